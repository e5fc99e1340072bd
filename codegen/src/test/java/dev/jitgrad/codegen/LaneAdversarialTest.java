package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Adversarial shapes for the lane kernel's register-blocked forms and its lazy building. */
class LaneAdversarialTest {
  private static final int[] ROWS = {1, 7, 8, 9, 15, 16, 17, 31, 33};

  private static final double[] SPECIAL = {
    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0
  };

  /** Rows of numbers in [-1, 1], one row in three with a special value somewhere. */
  private static double[] data(SplittableRandom random, int rows, int inputs) {
    double[] data = random.doubles((long) rows * inputs, -1, 1).toArray();
    for (int r = 0; r < rows; r++) {
      if (r % 3 == 1) {
        data[r * inputs + random.nextInt(inputs)] = SPECIAL[r % SPECIAL.length];
      }
    }
    return data;
  }

  /** The forward and gradient programs of {@code m} with {@code options}. */
  private static List<Program> programs(LoopFormsTest.Graph m, JitOptions options) {
    return m.programs(options).subList(0, 2);
  }

  /**
   * Asserts that {@code p}'s lane kernel, rolled from {@code minRollBytes} on, gives the per-row
   * kernel's outputs of every row and its gradient summed over each block's rows in row order, at
   * every row count of {@link #ROWS}; returns the lane code.
   */
  static LaneEmitter.Code assertLanesEqualPerRow(
      Program p, int minRollBytes, SplittableRandom random, String what) {
    Layout layout = new Layout(p);
    Kernel perRow = Emitter.load(Emitter.emit(p, layout));
    LaneEmitter.Code code = LaneEmitter.emit(p, layout, minRollBytes);
    LaneKernel lanes = LaneEmitter.load(code);
    double[] params = random.doubles(p.paramCount, -1, 1).toArray();
    for (int rows : ROWS) {
      double[] data = data(random, rows, p.inputCount);
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
        Oracle.assertBitIdentical(expected, actual, what + ", " + rows + " rows, row " + start);
      }
    }
    for (byte[] c : code.classes()) {
      CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(c);
    }
    return code;
  }

  /**
   * A recurrence over partial sums: {@code v = b + Σ w·x} over the first {@code first} inputs, then
   * {@code v = tanh(v + Σ w·x)} over each next {@code width}, {@code steps} times, weights and
   * inputs consecutive, so each partial sum continues the one before in the same slot.
   */
  static LoopFormsTest.Graph recurrence(SplittableRandom random, int first, int width, int steps) {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    for (int i = 0; i < first + width * steps; i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    Value v = Value.of(random.nextDouble(-1, 1), "b");
    params.add(v);
    for (int k = 0, x = 0; k <= steps; k++) {
      List<Value> terms = new ArrayList<>();
      terms.add(v);
      for (int j = 0; j < (k == 0 ? first : width); j++, x++) {
        Value w = Value.of(random.nextDouble(-1, 1), "w");
        params.add(w);
        terms.add(w.mul(inputs.get(x)));
      }
      v = k == 0 ? Value.sum(terms) : Value.sum(terms).tanh();
    }
    return new LoopFormsTest.Graph(v, inputs, params);
  }

  static String dump(Tape tape) {
    StringBuilder b = new StringBuilder();
    List<Rolling.Loop> loops = Rolling.find(tape, 0);
    b.append(loops).append('\n');
    for (int s = 0; s < tape.size(); s++) {
      int x = tape.indexStart(s);
      b.append(s).append(": ");
      for (int t = tape.tokenStart(s); t < tape.tokenEnd(s); t++) {
        long token = tape.token(t);
        int type = Tape.type(token);
        int pl = Tape.payload(token);
        if (type == Tape.TARGET || type == Tape.LOAD) {
          b.append(type == Tape.TARGET ? "T" : "").append("a").append(pl).append('[').append(tape.index(x++)).append("] ");
        } else if (type == Tape.CONST) {
          b.append(Double.longBitsToDouble(tape.token(++t))).append(' ');
        } else if (type == Tape.OP) {
          dev.jitgrad.engine.Op op = dev.jitgrad.engine.Op.values()[pl];
          b.append(op).append(' ');
          t += Emitter.constants(op);
        } else {
          b.append("H").append(pl).append(' ');
        }
      }
      b.append('\n');
    }
    return b.toString();
  }

  @Test
  void run_rolledPartialSumsWithActivationAfterEach_equalsPerRowKernel() {
    for (int width = 20; width <= 25; width++) {
      SplittableRandom random = new SplittableRandom(5);
      LoopFormsTest.Graph m = recurrence(random, 24, width, 6);
      Program p = programs(m, JitOptions.defaults()).get(0);
      Tape tape = Tape.of(p, new Layout(p));
      if (width == 23) System.out.println(dump(tape).replaceAll("(?m)^.*(.{120})$", "$1"));
      LaneEmitter.Code code = assertLanesEqualPerRow(p, 0, random, "rolled " + width);
      System.out.println(width + ": " + code.chainStatements() + " " + code.blockedUpdates());
    }
  }

  @Test
  void publicApi_recurrence() {
    for (boolean exact : new boolean[] {false, true}) {
    SplittableRandom random = new SplittableRandom(5);
    LoopFormsTest.Graph m = recurrence(random, 24, 23, 80);
    CompiledGraph g = Jit.compile(List.of(m.loss()), m.inputs(), m.params(), JitOptions.defaults().withExact(exact));
    double[] p = random.doubles(g.paramCount(), -0.2, 0.2).toArray();
    int rows = 17;
    double[] data = data(random, rows, g.inputCount());
    double[] out = new double[rows];
    g.forwardBatch(data, rows, p, out);
    double[] grad = new double[p.length];
    double sum = g.valueAndGradBatch(data, rows, p, grad);
    System.out.println("lanes " + g.hasForwardLanes() + " " + g.hasBatchLanes());
    double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
    for (int r = 0; r < rows; r++) {
      double e = g.forward(Arrays.copyOfRange(data, r * g.inputCount(), (r + 1) * g.inputCount()), p);
      if (Double.doubleToLongBits(e) != Double.doubleToLongBits(out[r])) System.out.println("exact=" + exact + " row " + r + " forwardBatch " + out[r] + " forward " + e);
    }
    System.out.println("batch sum " + sum + " expected " + expected[0]);
    Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), "batch exact=" + exact);
    }
  }

  /** v = b + Σ24 w·x, then (v + Σ12 w·x) · v: the last partial sum reads the slot it continues. */
  static LoopFormsTest.Graph tailReadsTarget(SplittableRandom random, int second) {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    for (int i = 0; i < 24 + second; i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    Value b = Value.of(random.nextDouble(-1, 1), "b");
    params.add(b);
    List<Value> terms = new ArrayList<>();
    terms.add(b);
    for (int j = 0; j < 24; j++) {
      Value w = Value.of(random.nextDouble(-1, 1), "w");
      params.add(w);
      terms.add(w.mul(inputs.get(j)));
    }
    Value v = Value.sum(terms);
    terms = new ArrayList<>();
    terms.add(v);
    for (int j = 24; j < 24 + second; j++) {
      Value w = Value.of(random.nextDouble(-1, 1), "w");
      params.add(w);
      terms.add(w.mul(inputs.get(j)));
    }
    Value v2 = Value.sum(terms).mul(v);
    return new LoopFormsTest.Graph(v2.mul(v2), inputs, params);
  }

  @Test
  void scratch_tailReadsTarget() {
    for (int second = 12; second <= 20; second += 4) {
      SplittableRandom random = new SplittableRandom(7);
      LoopFormsTest.Graph m = tailReadsTarget(random, second);
      for (Program p : programs(m, JitOptions.defaults())) {
        Tape tape = Tape.of(p, new Layout(p));
        System.out.println(dump(tape).replaceAll("(?m)^(.{60}).*(.{60})$", "$1 ... $2"));
        LaneEmitter.Code code = assertLanesEqualPerRow(p, Integer.MAX_VALUE, random, "tail " + second);
        System.out.println(second + ": " + code.chainStatements() + " " + code.blockedUpdates());
      }
    }
  }
}
