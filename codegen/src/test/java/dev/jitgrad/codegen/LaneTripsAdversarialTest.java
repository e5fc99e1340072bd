package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Adversarial cases for nests that lane code rolls trip by trip ({@code LaneEmitter.rolledTrips}),
 * found between the loops and nests found already and rotated to start inside a nest: neurons that
 * break the repetition at a nest's ends by an index order, a constant or an activation, groups at
 * and past {@link LaneEmitter#TRIP_SCALARS}, random narrow models rolled from any size on, and the
 * public batch call against the interpreter and against per-row calls summed block by block.
 */
class LaneTripsAdversarialTest {
  /** Every block size a lane kernel can get, and counts that leave a partial last block. */
  private static final int[] ROWS = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 33, 100
  };

  /** Row counts of the public batch calls. */
  private static final int[] BATCH_ROWS = {1, 15, 16, 17, 100, 1000};

  /** A hidden neuron's activation: neuron {@code j} of hidden layer {@code layer} (from 1). */
  interface Activation {
    Value apply(Value z, int layer, int j);
  }

  /**
   * Which output of the layer before neuron {@code j} of {@code layer} weight {@code i} multiplies
   * ({@code fanIn} outputs).
   */
  interface Wiring {
    int input(int layer, int j, int i, int fanIn);
  }

  static final Wiring IN_ORDER = (layer, j, i, fanIn) -> i;

  /**
   * Returns micrograd's per-sample moons loss (max margin, scaled by 1/100, the label an input
   * after the features) over an MLP of {@code sizes} (one output), hidden neurons through {@code
   * activation}, weights wired by {@code wiring}.
   */
  static LoopFormsTest.Graph moons(
      SplittableRandom random, Activation activation, Wiring wiring, int... sizes) {
    int features = sizes[0];
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i <= features; i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    List<Value> params = new ArrayList<>();
    List<Value> h = inputs.subList(0, features);
    for (int layer = 1; layer < sizes.length; layer++) {
      boolean output = layer == sizes.length - 1;
      List<Value> next = new ArrayList<>();
      for (int j = 0; j < sizes[layer]; j++) {
        List<Value> terms = new ArrayList<>();
        for (int i = 0; i < h.size(); i++) {
          Value w = Value.of(random.nextDouble(-1, 1), "w");
          params.add(w);
          terms.add(w.mul(h.get(wiring.input(layer, j, i, h.size()))));
        }
        Value b = Value.of(random.nextDouble(-1, 1), "b");
        params.add(b);
        terms.add(b);
        Value z = Value.sum(terms);
        next.add(output ? z : activation.apply(z, layer, j));
      }
      h = next;
    }
    Value loss = Losses.svmMaxMargin(h.get(0), inputs.get(features)).mul(0.01);
    return new LoopFormsTest.Graph(loss, inputs, params);
  }

  private static LoopFormsTest.Graph moons(SplittableRandom random, int... sizes) {
    return moons(random, (z, layer, j) -> z.relu(), IN_ORDER, sizes);
  }

  /** Moons rows: features in [-2, 2] (one row in four with a special value), a label ±1. */
  static double[] rows(SplittableRandom random, int rows, int inputs) {
    double[] data = LaneFormsTest.data(random, rows, inputs);
    for (int r = 0; r < rows; r++) {
      data[r * inputs + inputs - 1] = random.nextBoolean() ? 1 : -1;
    }
    return data;
  }

  /**
   * Asserts that the gradient program of {@code m}, in default and exact mode, rolled from {@code
   * minRollBytes} on, gives on lanes what its per-row kernel gives row by row; returns how many
   * nests were rolled trip by trip in default mode.
   */
  private static int assertGradientLanesEqualPerRowKernel(
      LoopFormsTest.Graph m, int minRollBytes, SplittableRandom random, String what) {
    int tripNests = 0;
    for (boolean exact : new boolean[] {false, true}) {
      Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);
      String label = what + (exact ? ", exact" : "") + ", rolled from " + minRollBytes;

      LaneEmitter.Code code =
          LaneFormsTest.assertLanesEqualPerRowKernel(
              gradient, minRollBytes, random, label, ROWS, LaneTripsAdversarialTest::rows);

      assertNotNull(code, label);
      tripNests += exact ? 0 : code.tripNests();
    }
    return tripNests;
  }

  @Test
  void run_lastNeuronWiredInAnotherOrder_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(11);
    // the last hidden neuron of the last hidden layer has the others' shape, but its weights meet
    // the layer's inputs reversed, shifted by one or all on one input: other index strides in
    // the statements a rotated trip would take past the nest's end
    Wiring[] wirings = {
      (layer, j, i, fanIn) -> layer == 2 && j == 15 ? fanIn - 1 - i : i,
      (layer, j, i, fanIn) -> layer == 2 && j == 15 ? (i + 1) % fanIn : i,
      (layer, j, i, fanIn) -> layer == 2 && j == 15 ? 0 : i,
      (layer, j, i, fanIn) -> layer == 2 && j == 0 ? fanIn - 1 - i : i,
      (layer, j, i, fanIn) -> layer == 2 && j % 5 == 4 ? (i + 1) % fanIn : i,
    };
    int rolled = 0;
    for (int w = 0; w < wirings.length; w++) {
      LoopFormsTest.Graph m = moons(random, (z, layer, j) -> z.relu(), wirings[w], 2, 16, 16, 1);

      rolled += assertGradientLanesEqualPerRowKernel(m, 0, random, "wiring " + w);
      assertGradientLanesEqualPerRowKernel(m, LaneEmitter.MIN_ROLL_BYTES, random, "wiring " + w);
    }
    assertTrue(rolled >= 1, "nests rolled trip by trip: " + rolled);
  }

  @Test
  void run_neuronsThatBreakTheRepetitionByAConstantOrAnActivation_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(12);
    // same tree shapes with another constant (a leak of 0.01 against 0.02, a scale), or another
    // activation, at the first, the last or an inner neuron of the last hidden layer
    Activation[] activations = {
      (z, layer, j) -> layer == 2 && j == 15 ? z.max(z.mul(0.02)) : z.max(z.mul(0.01)),
      (z, layer, j) -> layer == 2 && j == 0 ? z.max(z.mul(0.02)) : z.max(z.mul(0.01)),
      (z, layer, j) -> layer == 2 && j == 15 ? z.mul(2).relu() : z.mul(3).relu(),
      (z, layer, j) -> layer == 2 && j == 7 ? z.tanh() : z.relu(),
      (z, layer, j) -> j % 2 == 0 ? z.tanh() : z.sigmoid(),
      (z, layer, j) -> layer == 1 ? z.tanh() : z.sigmoid(),
      (z, layer, j) -> z.neg().exp().add(1).pow(-1),
      (z, layer, j) -> j % 3 == 0 ? z.relu() : z.softplus(),
    };
    for (int a = 0; a < activations.length; a++) {
      LoopFormsTest.Graph m = moons(random, activations[a], IN_ORDER, 2, 16, 16, 1);

      assertGradientLanesEqualPerRowKernel(m, 0, random, "activation " + a);
      assertGradientLanesEqualPerRowKernel(
          m, LaneEmitter.MIN_ROLL_BYTES, random, "activation " + a);
    }
  }

  @Test
  void run_rowGroupsAtAndPastTripScalars_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(13);
    // a neuron of the second hidden layer (fan-in w) accumulates its bias and w weights in one row
    // loop: w + 1 accumulators, TRIP_SCALARS = 24 of them at w = 23; the lane loop of a neuron's
    // adjoint loads the next layer's weights (its fan-out) as scalars
    for (int w = 22; w <= 25; w++) {
      for (int[] sizes : new int[][] {{2, 16, w, 1}, {3, w, w, 1}}) {
        assertGradientLanesEqualPerRowKernel(
            moons(random, sizes), 0, random, Arrays.toString(sizes));
      }
      int[] sizes = {2, w, 16, 1};

      int tripNests =
          assertGradientLanesEqualPerRowKernel(
              moons(random, sizes), 0, random, Arrays.toString(sizes));

      assertEquals(
          w + 1 <= LaneEmitter.TRIP_SCALARS,
          tripNests > 0,
          Arrays.toString(sizes)
              + ": rolled trip by trip while a row loop holds at most "
              + LaneEmitter.TRIP_SCALARS
              + " accumulators");
    }
  }

  @Test
  void run_randomNarrowModelsRolledFromAnySize_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(14);
    Activation[] activations = {
      (z, layer, j) -> z.relu(),
      (z, layer, j) -> z.tanh(),
      (z, layer, j) -> z.sigmoid(),
      (z, layer, j) -> j % 4 == 3 ? z.tanh() : z.relu(),
    };
    int rolled = 0;
    for (int trial = 0; trial < 10; trial++) {
      int depth = 1 + random.nextInt(4);
      int[] sizes = new int[depth + 2];
      sizes[0] = 1 + random.nextInt(6);
      for (int l = 1; l <= depth; l++) {
        sizes[l] = 3 + random.nextInt(38);
      }
      sizes[depth + 1] = 1;
      Activation activation = activations[random.nextInt(activations.length)];
      LoopFormsTest.Graph m = moons(random, activation, IN_ORDER, sizes);
      int minRollBytes = random.nextBoolean() ? 0 : LaneEmitter.MIN_ROLL_BYTES;

      rolled +=
          assertGradientLanesEqualPerRowKernel(m, minRollBytes, random, Arrays.toString(sizes));
    }
    assertTrue(rolled >= 3, "nests rolled trip by trip: " + rolled);
  }

  @Test
  void run_crossEntropyModelsWithWideFirstLayers_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(15);
    // standard loops (runs from 1,024 bytes) next to runs from 256 bytes: the trips search runs in
    // the gaps between them, and a wide input layer's weight gradients end the tape
    int[][] models = {{2, 16, 10}, {8, 16, 16, 3}, {40, 12, 4}, {24, 20, 8, 2}, {5, 33, 7}};
    for (int[] sizes : models) {
      LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 0, sizes);

      assertGradientLanesEqualPerRowKernel(m, 0, random, "cross-entropy " + Arrays.toString(sizes));
      assertGradientLanesEqualPerRowKernel(
          m, LaneEmitter.MIN_ROLL_BYTES, random, "cross-entropy " + Arrays.toString(sizes));
    }
  }

  @Test
  void run_crossEntropyModelWithWildOps_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(16);
    for (int trial = 0; trial < 3; trial++) {
      LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 30, 3, 16, 16, 2);

      assertGradientLanesEqualPerRowKernel(m, 0, random, "wild " + trial);
    }
  }

  /**
   * Returns {@code sum_k y_k·f(z_k)} over {@code outputs} neurons {@code z_k = sum_i w_ki·x_i +
   * b_k} of {@code features} inputs, the {@code y_k} inputs after the features: with the identity
   * for {@code f} a neuron's gradients read only inputs (a trip of row loops alone), with relu a
   * lane loop for its adjoint comes first.
   */
  private static LoopFormsTest.Graph weighted(
      SplittableRandom random, int features, int outputs, boolean relu) {
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < features + outputs; i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    List<Value> params = new ArrayList<>();
    List<Value> terms = new ArrayList<>();
    for (int k = 0; k < outputs; k++) {
      List<Value> sum = new ArrayList<>();
      for (int i = 0; i < features; i++) {
        Value w = Value.of(random.nextDouble(-1, 1), "w");
        params.add(w);
        sum.add(w.mul(inputs.get(i)));
      }
      Value b = Value.of(random.nextDouble(-1, 1), "b");
      params.add(b);
      sum.add(b);
      Value z = Value.sum(sum);
      terms.add(inputs.get(features + k).mul(relu ? z.relu() : z));
    }
    return new LoopFormsTest.Graph(Value.sum(terms), inputs, params);
  }

  @Test
  void run_tripsOfRowLoopsAloneOrAfterALaneLoop_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(20);
    int[] rolled = new int[2]; // without, with relu
    for (int features : new int[] {3, 12, 16, 23, 24, 40}) {
      for (int outputs : new int[] {4, 17}) {
        for (boolean relu : new boolean[] {false, true}) {
          LoopFormsTest.Graph m = weighted(random, features, outputs, relu);
          String what = features + " by " + outputs + (relu ? ", relu" : "");

          rolled[relu ? 1 : 0] += assertGradientLanesEqualPerRowKernel(m, 0, random, what);
        }
      }
    }
    assertTrue(
        rolled[0] >= 1 && rolled[1] >= 1,
        "nests rolled trip by trip: " + rolled[0] + ", " + rolled[1]);
  }

  @Test
  void find_withinRandomRanges_loopsLieInTheRangeAndRepeat() {
    SplittableRandom random = new SplittableRandom(17);
    Tape tape = moons(random, 2, 16, 16, 1).tape(1);
    List<Rolling.Loop> whole =
        Rolling.find(tape, Rolling.MIN_TRIPS, LaneEmitter.TRIP_RUN_BYTES, 0, tape.size());

    assertEquals(Rolling.find(tape, Rolling.MIN_TRIPS, LaneEmitter.TRIP_RUN_BYTES), whole);
    for (int trial = 0; trial < 40; trial++) {
      int from = random.nextInt(tape.size() + 1);
      int to = from + random.nextInt(tape.size() - from + 1);

      List<Rolling.Loop> loops =
          Rolling.find(tape, Rolling.MIN_TRIPS, LaneEmitter.TRIP_RUN_BYTES, from, to);
      List<Rolling.Nest> nests = Rolling.nests(tape, loops, from, to);

      String range = "[" + from + ", " + to + ")";
      for (Rolling.Loop loop : loops) {
        assertTrue(from <= loop.first() && loop.end() <= to, loop + " in " + range);
        for (int n = loop.first() + loop.period(); n < loop.end(); n++) {
          int j = (n - loop.first()) / loop.period();
          int a = n - j * loop.period();
          assertTrue(
              LaneEmitter.shifted(tape, a, n, j, loop.period()),
              "statement " + n + " of " + loop + " is statement " + a + " shifted, in " + range);
        }
      }
      for (Rolling.Nest nest : nests) {
        assertTrue(from <= nest.first() && nest.end() <= to, nest + " in " + range);
      }
    }
  }

  /**
   * A graph compiled with some options and, with the same options, for the IR interpreter, and its
   * parameters' values with one of them -0.0.
   */
  private record Compiled(CompiledGraph graph, CompiledGraph interpreted, double[] params) {
    static Compiled of(LoopFormsTest.Graph m, JitOptions options) {
      List<Value> outputs = List.of(m.loss());
      CompiledGraph graph = Jit.compile(outputs, m.inputs(), m.params(), options);
      CompiledGraph interpreted =
          Jit.compile(
              outputs,
              m.inputs(),
              m.params(),
              options.withBackend(JitOptions.Backend.IR_INTERPRETER));
      double[] p = new double[m.params().size()];
      for (int i = 0; i < p.length; i++) {
        p[i] = m.params().get(i).data();
      }
      p[p.length / 2] = -0.0;
      return new Compiled(graph, interpreted, p);
    }
  }

  @Test
  void valueAndGradBatch_exactMode_equalsInterpreterBits() {
    SplittableRandom random = new SplittableRandom(18);
    for (int[] sizes : new int[][] {{2, 16, 16, 1}, {2, 22, 16, 1}, {3, 9, 14, 12, 1}}) {
      LoopFormsTest.Graph m = moons(random, sizes);
      Compiled c = Compiled.of(m, JitOptions.defaults().withExact(true));
      for (int rows : BATCH_ROWS) {
        double[] data = rows(random, rows, m.inputs().size());
        double[] expected = new double[c.params().length];
        double[] actual = new double[c.params().length];
        String what = Arrays.toString(sizes) + ", exact, " + rows + " rows";

        double expectedLoss = c.interpreted().valueAndGradBatch(data, rows, c.params(), expected);
        double actualLoss = c.graph().valueAndGradBatch(data, rows, c.params(), actual);

        Oracle.assertBitIdentical(expected, actual, what);
        Oracle.assertBitIdentical(
            new double[] {expectedLoss}, new double[] {actualLoss}, what + ", loss");
      }
      assertTrue(c.graph().hasBatchLanes(), Arrays.toString(sizes) + ": batches run on lanes");
    }
  }

  @Test
  void valueAndGradBatch_defaultMode_equalsBlockwiseSingleCallsAndInterpreter() {
    SplittableRandom random = new SplittableRandom(19);
    int tripNests = 0;
    for (int[] sizes : new int[][] {{2, 16, 16, 1}, {2, 23, 16, 1}, {4, 12, 12, 12, 1}}) {
      LoopFormsTest.Graph m = moons(random, sizes);
      Compiled c = Compiled.of(m, JitOptions.defaults());
      Program gradient = m.programs(JitOptions.defaults()).get(1);
      LaneEmitter.Code code = LaneEmitter.emit(gradient, new Layout(gradient));
      assertNotNull(code, Arrays.toString(sizes));
      tripNests += code.tripNests();
      for (int rows : BATCH_ROWS) {
        double[] data = rows(random, rows, m.inputs().size());
        double[] blockwise = Oracle.blockwiseSingleCalls(c.graph(), data, rows, c.params());
        double[] interpreted = new double[c.params().length];
        double interpretedLoss =
            c.interpreted().valueAndGradBatch(data, rows, c.params(), interpreted);
        double[] grad = new double[c.params().length];
        String what = Arrays.toString(sizes) + ", " + rows + " rows";

        double loss = c.graph().valueAndGradBatch(data, rows, c.params(), grad);

        double[] actual = Oracle.concat(loss, new double[0], grad);
        Oracle.assertBitIdentical(blockwise, actual, what + ", against per-row calls");
        Oracle.assertClose(
            Oracle.concat(interpretedLoss, new double[0], interpreted),
            actual,
            what + ", against the interpreter");
      }
      assertTrue(c.graph().hasBatchLanes(), Arrays.toString(sizes) + ": batches run on lanes");
    }
    assertTrue(tripNests >= 1, "nests rolled trip by trip in the batches' lane code: " + tripNests);
  }
}
