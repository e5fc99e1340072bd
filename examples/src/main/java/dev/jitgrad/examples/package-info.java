/**
 * The runnable demo: micrograd's two-moons classifier trained by the {@code Value} interpreter or
 * by compiled bytecode, a handwritten-digits classifier, with plots, graph export and the README
 * expression.
 *
 * <p>{@link dev.jitgrad.examples.Main} is the command line; {@code Trainer} runs one moons training
 * and {@code DigitsTraining} one digits training, each returning a {@link
 * dev.jitgrad.examples.TrainingResult}.
 */
package dev.jitgrad.examples;
