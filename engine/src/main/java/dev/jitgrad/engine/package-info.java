/**
 * A scalar autograd engine: {@link dev.jitgrad.engine.Value} records the expression graph built
 * from it and computes gradients by reverse-mode automatic differentiation, like micrograd.
 */
package dev.jitgrad.engine;
