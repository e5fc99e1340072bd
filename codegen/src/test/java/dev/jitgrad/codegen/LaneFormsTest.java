package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The lane kernel's register-blocked forms alone (chains and weight-gradient updates by row
 * blocks): a lane kernel against the per-row kernel of the same program run row by row, block by
 * block, to the bit.
 */
class LaneFormsTest {
  private static final int[] ROWS = {1, 15, 16, 17, 1000};

  private static final double[] SPECIAL = {
    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0
  };

  /** Rows of numbers in [-2, 2], one row in four with a special value somewhere. */
  static double[] data(SplittableRandom random, int rows, int inputs) {
    double[] data = random.doubles((long) rows * inputs, -2, 2).toArray();
    for (int r = 0; r < rows; r++) {
      if (random.nextInt(4) == 0) {
        data[r * inputs + random.nextInt(inputs)] = SPECIAL[random.nextInt(SPECIAL.length)];
      }
    }
    return data;
  }

  /**
   * Asserts {@link #assertLanesEqualPerRowKernel(Program, int, SplittableRandom, String, int[],
   * RowData)} at this class's row counts and rows.
   */
  private static LaneEmitter.Code assertLanesEqualPerRowKernel(
      Program p, int minRollBytes, SplittableRandom random, String what) {
    return assertLanesEqualPerRowKernel(p, minRollBytes, random, what, ROWS, LaneFormsTest::data);
  }

  /** Row-major rows of inputs for a lane test. */
  interface RowData {
    double[] of(SplittableRandom random, int rows, int inputs);
  }

  /**
   * Asserts that {@code p}'s lane kernel, rolled from {@code minRollBytes} of per-row code on,
   * gives the per-row kernel's outputs of every row and its gradient summed over each block's rows
   * in order, at each of {@code rowCounts} rows made by {@code rowData}, and that every lane method
   * stays under the huge method limit; returns the lane code, or null if {@code p} has none.
   */
  static LaneEmitter.Code assertLanesEqualPerRowKernel(
      Program p,
      int minRollBytes,
      SplittableRandom random,
      String what,
      int[] rowCounts,
      RowData rowData) {
    Layout layout = new Layout(p);
    Kernel perRow = Emitter.load(Emitter.emit(p, layout));
    LaneEmitter.Code code = LaneEmitter.emit(p, layout, minRollBytes);
    if (code == null) {
      return null;
    }
    LaneKernel lanes = LaneEmitter.load(code);
    double[] params = random.doubles(p.paramCount, -1, 1).toArray();
    params[random.nextInt(params.length)] = -0.0;
    for (int rows : rowCounts) {
      double[] data = rowData.of(random, rows, p.inputCount);
      double[] ws = new double[perRow.workspaceSize()];
      double[] laneArray = new double[lanes.arraySize()];
      for (int start = 0; start < rows; start += LaneEmitter.LANES) {
        int n = Math.min(LaneEmitter.LANES, rows - start);
        double[] expected = new double[n * p.outputCount + p.paramCount];
        double[] actual = new double[expected.length];
        double[] grad = new double[p.paramCount];
        for (int r = 0; r < n; r++) {
          double[] row =
              Arrays.copyOfRange(data, (start + r) * p.inputCount, (start + r + 1) * p.inputCount);
          perRow.run(row, params, grad, null, ws);
          System.arraycopy(ws, 0, expected, r * p.outputCount, p.outputCount);
        }
        System.arraycopy(grad, 0, expected, n * p.outputCount, p.paramCount);
        Arrays.fill(grad, 0.0);

        lanes.gather(data, start, n, laneArray);
        lanes.run(laneArray, params, grad, n);

        for (int r = 0; r < n; r++) {
          for (int o = 0; o < p.outputCount; o++) {
            actual[r * p.outputCount + o] = laneArray[lanes.output(o) + r];
          }
        }
        System.arraycopy(grad, 0, actual, n * p.outputCount, p.paramCount);
        Oracle.assertBitIdentical(
            expected, actual, what + ", " + rows + " rows, block at row " + start);
      }
    }
    for (byte[] c : code.classes()) {
      CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(c);
    }
    return code;
  }

  /**
   * A graph of sums of products of every operand kind, each sum then through clamp and pow:
   * parameters times inputs after a parameter, inputs times hidden values after an input.
   */
  static LoopFormsTest.Graph chains(SplittableRandom random) {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    List<Value> hidden = new ArrayList<>();
    for (int k = 0; k < 6; k++) {
      List<Value> terms = new ArrayList<>();
      Value bias = Value.of(random.nextDouble(-1, 1), "b" + k);
      params.add(bias);
      terms.add(bias);
      for (Value x : inputs) {
        Value w = Value.of(random.nextDouble(-1, 1), "w" + k);
        params.add(w);
        terms.add(w.mul(x));
      }
      hidden.add(Value.sum(terms).clamp(-1.5, 1.5).pow(3));
    }
    List<Value> outer = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      List<Value> terms = new ArrayList<>();
      terms.add(inputs.get(k));
      for (int j = 0; j < 30; j++) {
        terms.add(inputs.get(k + j).mul(hidden.get(j % hidden.size())));
      }
      outer.add(Value.sum(terms).tanh());
    }
    return new LoopFormsTest.Graph(Value.sum(outer), inputs, params);
  }

  /**
   * Asserts that {@code p}'s lane kernels, straight and rolled from any size on, equal its per-row
   * kernel ({@link #assertLanesEqualPerRowKernel}) and hold at least {@code chains} chains
   * (straight), {@code rolledChains} chains and {@code rolledUpdates} row-blocked updates (rolled).
   */
  private static void assertStraightAndRolled(
      Program p,
      SplittableRandom random,
      String what,
      int chains,
      int rolledChains,
      int rolledUpdates) {
    LaneEmitter.Code straight = assertLanesEqualPerRowKernel(p, Integer.MAX_VALUE, random, what);
    LaneEmitter.Code rolled = assertLanesEqualPerRowKernel(p, 0, random, what + ", rolled");

    assertTrue(straight.chainStatements() >= chains, what + ": " + straight.chainStatements());
    assertTrue(
        rolled.chainStatements() >= rolledChains, what + ", rolled: " + rolled.chainStatements());
    assertTrue(
        rolled.blockedUpdates() >= rolledUpdates, what + ", rolled: " + rolled.blockedUpdates());
  }

  @Test
  void run_mlpCrossEntropyChains_equalsPerRowKernelRowByRow() {
    SplittableRandom random = new SplittableRandom(83);
    LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 0, 64, 24, 10);
    for (boolean exact : new boolean[] {false, true}) {
      List<Program> programs = m.programs(JitOptions.defaults().withExact(exact));
      String what = exact ? ", exact" : "";

      assertStraightAndRolled(programs.get(0), random, "forward" + what, 24, 1, 0);
      assertStraightAndRolled(programs.get(1), random, "gradient" + what, 24, 1, exact ? 0 : 24);
    }
  }

  @Test
  void run_adjointSumsInsideDerivativeProducts_equalsPerRowKernelRowByRow() {
    SplittableRandom random = new SplittableRandom(101);
    LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 0, 6, 40, 64, 3);
    for (boolean exact : new boolean[] {false, true}) {
      Program gradient = m.programs(JitOptions.defaults().withExact(exact)).get(1);
      String what = "6-40-64-3" + (exact ? ", exact" : "");

      // default mode: 64 + 3 neurons' sums, and each of 40 adjoint sums in three statements
      assertStraightAndRolled(gradient, random, what, exact ? 67 : 187, 1, 0);
    }
  }

  @Test
  void run_chainsOfEveryOperandKindWithOpsAfter_equalsPerRowKernelRowByRow() {
    SplittableRandom random = new SplittableRandom(89);
    LoopFormsTest.Graph m = chains(random);
    for (boolean exact : new boolean[] {false, true}) {
      List<Program> programs = m.programs(JitOptions.defaults().withExact(exact));
      String what = exact ? ", exact" : "";

      assertStraightAndRolled(programs.get(0), random, "forward" + what, 6, 3, 0);
      assertStraightAndRolled(programs.get(1), random, "gradient" + what, 6, 3, 0);
    }
  }
}
