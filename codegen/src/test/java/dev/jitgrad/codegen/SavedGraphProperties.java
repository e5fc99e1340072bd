package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Random DAGs mixing every op, saved and loaded: the loaded graph computes the saved bits. */
class SavedGraphProperties {
  @Property(tries = 300)
  void readFrom_randomDag_computesTheSavedGraphsBits(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int leaves,
      @ForAll @IntRange(min = 1, max = 80) int ops,
      @ForAll boolean exact)
      throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    Oracle.RandomCase c = Oracle.RandomCase.draw(random, leaves, ops);
    RandomGraphs.Sample s = c.sample();
    List<Value> inputs = c.inputs();
    List<Value> params = c.params();
    // A second output that is a leaf read straight into an output sink.
    List<Value> outputs = List.of(s.output(), s.leaves().get(random.nextInt(leaves)));
    CompiledGraph saved =
        Jit.compile(outputs, inputs, params, JitOptions.defaults().withExact(exact));
    byte[] bytes = SavedGraphs.bytes(saved);

    CompiledGraph loaded = SavedGraphs.load(bytes, JitOptions.defaults());
    CompiledGraph interpreted =
        SavedGraphs.load(
            bytes, JitOptions.defaults().withBackend(JitOptions.Backend.IR_INTERPRETER));

    double[] expected = SavedGraphs.results(saved, seed);
    Oracle.assertBitIdentical(expected, SavedGraphs.results(loaded, seed), "loaded");
    Oracle.assertBitIdentical(expected, SavedGraphs.results(interpreted, seed), "interpreted");
    assertEquals(saved.ir(), loaded.ir());
    assertArrayEquals(bytes, SavedGraphs.bytes(loaded), "saving a loaded graph again");
  }
}
