/**
 * The runnable demo: micrograd's two-moons classifier trained by the {@code Value} interpreter or
 * by compiled bytecode, with plots, graph export and the README expression.
 *
 * <p>{@link dev.jitgrad.examples.Main} is the command line; {@link dev.jitgrad.examples.Trainer}
 * runs one training and returns a {@link dev.jitgrad.examples.TrainingResult}.
 */
package dev.jitgrad.examples;
