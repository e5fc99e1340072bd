package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Nests that lane code rolls trip by trip ({@code LaneEmitter.rolledTrips}): a hidden neuron's
 * adjoint, bias and weight gradients as one counted loop around a lane loop and a row loop of
 * accumulators, against the per-row kernel run row by row, block by block, to the bit.
 */
class LaneTripsTest {
  private static final int[] ROWS = {1, 4, 15, 16, 17, 100};

  /**
   * Returns micrograd's per-sample moons loss over an MLP of {@code sizes} ({@link
   * LaneTripsAdversarialTest#moons}); with {@code lastTanh} the last hidden neuron of the last
   * hidden layer goes through tanh instead of relu, which breaks the repetition at the nest's end.
   */
  private static LoopFormsTest.Graph moons(
      SplittableRandom random, boolean lastTanh, int... sizes) {
    LaneTripsAdversarialTest.Activation activation =
        (z, layer, j) ->
            lastTanh && layer == sizes.length - 2 && j == sizes[layer] - 1 ? z.tanh() : z.relu();
    return LaneTripsAdversarialTest.moons(
        random, activation, LaneTripsAdversarialTest.IN_ORDER, sizes);
  }

  private static double[] rows(SplittableRandom random, int rows, int inputs) {
    return LaneTripsAdversarialTest.rows(random, rows, inputs);
  }

  private static LaneEmitter.Code assertLanesEqualPerRowKernel(
      Program p, SplittableRandom random, String what) {
    LaneEmitter.Code code =
        LaneFormsTest.assertLanesEqualPerRowKernel(
            p, LaneEmitter.MIN_ROLL_BYTES, random, what, ROWS, LaneTripsTest::rows);
    assertNotNull(code, what);
    return code;
  }

  @Test
  void run_moonsModel_rollsHiddenNeuronsTripByTripAndEqualsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(1);
    LoopFormsTest.Graph m = moons(random, false, 2, 16, 16, 1);
    for (boolean exact : new boolean[] {false, true}) {
      Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);
      String what = "2-16-16-1" + (exact ? ", exact" : "");

      LaneEmitter.Code code = assertLanesEqualPerRowKernel(gradient, random, what);

      if (!exact) {
        assertEquals(1, code.tripNests(), what);
        if (!LaneVectors.ON) { // the Vector API form's chunks are smaller
          assertEquals(
              1, code.chunks(), what + ": one chunk method where a copy per neuron took four");
        }
      }
    }
  }

  @Test
  void run_nestWhoseLastTripDiffers_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(2);
    for (boolean exact : new boolean[] {false, true}) {
      Program gradient =
          moons(random, true, 2, 16, 16, 1).programs(JitOptions.defaults().withExact(exact)).get(1);

      assertLanesEqualPerRowKernel(gradient, random, "last neuron tanh" + (exact ? ", exact" : ""));
    }
  }

  @Test
  void run_randomNarrowModels_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(3);
    int rolled = 0;
    for (int trial = 0; trial < 12; trial++) {
      int layers = 1 + random.nextInt(3);
      int[] sizes = new int[layers + 2];
      sizes[0] = 1 + random.nextInt(4);
      for (int l = 1; l <= layers; l++) {
        sizes[l] = 3 + random.nextInt(20);
      }
      sizes[layers + 1] = 1;
      boolean exact = random.nextBoolean();
      LoopFormsTest.Graph m = moons(random, random.nextInt(3) == 0, sizes);
      Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);
      String what = java.util.Arrays.toString(sizes) + (exact ? ", exact" : "");

      rolled += assertLanesEqualPerRowKernel(gradient, random, what).tripNests();
    }
    assertTrue(rolled >= 1, "nests rolled trip by trip: " + rolled);
  }

  @Test
  void run_crossEntropyModel_equalsPerRowKernel() {
    SplittableRandom random = new SplittableRandom(4);
    LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 0, 2, 16, 10);
    for (boolean exact : new boolean[] {false, true}) {
      Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);

      assertLanesEqualPerRowKernel(gradient, random, "2-16-10" + (exact ? ", exact" : ""));
    }
  }

  @Test
  void valueAndGradBatch_moonsModel_exactModeEqualsInterpreterBits() {
    SplittableRandom random = new SplittableRandom(5);
    MLP mlp = new MLP(random, 2, new int[] {16, 16, 1});
    List<Value> inputs = List.of(Value.of(0), Value.of(0), Value.of(0));
    Value loss =
        Losses.svmMaxMargin(mlp.apply(inputs.subList(0, 2)).get(0), inputs.get(2)).mul(0.01);
    List<Value> params = mlp.parameters();
    JitOptions exact = JitOptions.defaults().withExact(true);
    CompiledGraph compiled = Jit.compile(List.of(loss), inputs, params, exact);
    CompiledGraph interpreted =
        Jit.compile(
            List.of(loss), inputs, params, exact.withBackend(JitOptions.Backend.IR_INTERPRETER));
    double[] p = new double[params.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = params.get(i).data();
    }
    for (int rows : ROWS) {
      double[] data = rows(random, rows, 3);
      double[] expected = new double[p.length];
      double[] actual = new double[p.length];

      double expectedLoss = interpreted.valueAndGradBatch(data, rows, p, expected);
      double actualLoss = compiled.valueAndGradBatch(data, rows, p, actual);

      Oracle.assertBitIdentical(expected, actual, rows + " rows");
      Oracle.assertBitIdentical(
          new double[] {expectedLoss}, new double[] {actualLoss}, rows + " rows, loss");
    }
  }
}
