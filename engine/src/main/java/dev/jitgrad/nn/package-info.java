/** Neural networks on top of the engine: modules, losses and optimisers, as in micrograd. */
package dev.jitgrad.nn;
