package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Neuron;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Adversarial review of the plain lane form's weight-gradient updates that leave out the rows
 * adding only ±0 ({@link LaneUpdates}' {@code skippingUpdate}): rows whose hidden ReLU neurons are
 * all dead, all alive or alternating, inputs of +Inf, 1e308 (hidden values overflowing to +Inf),
 * NaN, -Inf and -0.0 in rows whose adjoints are 0, -0.0 params, gradients passed in non-zero (and
 * -0.0), layers that read the same inputs or hidden values (the scan reused), rolled nests and
 * standalone updates, row counts around the blocks of 8 and 16, default and exact mode, one thread
 * and the pool; each batch checked bit for bit against per-row calls summed per block.
 *
 * <p>The skipping form is read from the lane code: each skipping update adds its listed rows {@link
 * LaneUpdates#SKIP_ROWS} at a time ({@code IINC 5 4}, local {@link LaneEmitter#L}) and turns a
 * listed row back into an int ({@code D2I}). The Vector API form ({@link LaneVectors#ON}) keeps the
 * row blocks, so those checks run only without it.
 */
class LaneSkipAdversarialTest {
  private static final int[] ROWS = {8, 9, 15, 16, 17, 33, 100};

  /** How a case's params are set: each rule makes some rows' hidden neurons die. */
  enum Weights {
    /** Weights ±[0.1, 0.9], one in seven -0.0. */
    RANDOM,
    /**
     * Every hidden neuron's weight on its first input negative, on the second input of a layer over
     * inputs 4.0 for neuron 0 and negative for the others: a row with x0 = +Inf kills the layer
     * (adjoints 0, multiplied value +Inf), a row with x1 = 1e308 makes hidden value 0 +Inf and
     * kills the layer above it; the loss stays finite, the gradients of those weights are NaN.
     */
    GUARDED,
    /** Hidden weights positive, biases -0.0: a row of negative inputs kills every neuron. */
    POSITIVE,
    /** Hidden weights of even neurons positive, of odd ones negative: alternating dead neurons. */
    ALTERNATING
  }

  /**
   * A loss, its inputs (the first {@code features} of them the rows' features, the rest labels),
   * its params, and per param its role: {over inputs 1/0, output layer 1/0, neuron, input or -1}.
   */
  private record Case(
      String name,
      Value loss,
      List<Value> inputs,
      int features,
      List<Value> params,
      List<int[]> roles) {}

  /** Builds a case layer by layer, recording each param's role. */
  private static final class Builder {
    final List<Value> inputs = new ArrayList<>();
    final List<Value> params = new ArrayList<>();
    final List<int[]> roles = new ArrayList<>();
    final SplittableRandom random;
    final int features;

    Builder(int features, int labels, long seed) {
      this.features = features;
      this.random = new SplittableRandom(seed);
      for (int i = 0; i < features + labels; i++) {
        inputs.add(Value.of(0, "x" + i));
      }
    }

    List<Value> features() {
      return inputs.subList(0, features);
    }

    /**
     * A layer of {@code out} neurons over {@code x}: ReLU ({@code mixed}: ReLU for even neurons,
     * linear for odd) unless {@code output}.
     */
    List<Value> layer(List<Value> x, int out, boolean mixed, boolean overInputs, boolean output) {
      List<Value> y = new ArrayList<>();
      for (int j = 0; j < out; j++) {
        Neuron n = new Neuron(x.size(), !output && (!mixed || j % 2 == 0), random);
        y.add(n.apply(x));
        List<Value> p = n.parameters();
        for (int i = 0; i < p.size(); i++) {
          params.add(p.get(i));
          roles.add(new int[] {overInputs ? 1 : 0, output ? 1 : 0, j, i < x.size() ? i : -1});
        }
      }
      return y;
    }

    Case loss(String name, List<Value> logits) {
      Value loss = CodeDigests.loss(logits, inputs.subList(features, inputs.size()));
      return new Case(name, loss, inputs, features, params, roles);
    }
  }

  /** An MLP of {@code sizes}, ReLU hidden layers ({@code mixed}: every other neuron linear). */
  private static Case mlp(boolean mixed, int... sizes) {
    int outputs = sizes[sizes.length - 1];
    Builder b = new Builder(sizes[0], outputs > 1 ? outputs : 0, Arrays.hashCode(sizes));
    List<Value> x = b.features();
    for (int k = 1; k < sizes.length; k++) {
      x = b.layer(x, sizes[k], mixed, k == 1, k == sizes.length - 1);
    }
    return b.loss((mixed ? "mixed " : "mlp ") + Arrays.toString(sizes), x);
  }

  /**
   * Two ReLU layers of {@code width} over the same inputs, two ReLU layers of {@code width} over
   * the first of them, a linear head over the last two: updates that read the same run one after
   * the other.
   */
  private static Case twins(int features, int width) {
    Builder b = new Builder(features, 3, width);
    List<Value> a = b.layer(b.features(), width, false, true, false);
    List<Value> unused = b.layer(b.features(), width, false, true, false);
    List<Value> c = b.layer(a, width, false, false, false);
    List<Value> d = b.layer(a, width, false, false, false);
    List<Value> top = new ArrayList<>(c);
    top.addAll(d);
    top.addAll(unused);
    return b.loss("twins " + features + "x" + width, b.layer(top, 3, false, false, true));
  }

  private static double[] params(Case c, Weights rule, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] p = new double[c.params().size()];
    for (int k = 0; k < p.length; k++) {
      int[] role = c.roles().get(k);
      boolean overInputs = role[0] == 1;
      boolean output = role[1] == 1;
      int j = role[2];
      int i = role[3];
      double u = random.nextDouble(0.1, 0.9);
      double signed = random.nextBoolean() ? u : -u;
      if (output || rule == Weights.RANDOM) {
        p[k] = i < 0 ? random.nextDouble(-0.1, 0.1) : i % 7 == 3 ? -0.0 : signed;
      } else if (rule == Weights.GUARDED) {
        if (i < 0) {
          p[k] = j % 2 == 0 ? -0.0 : random.nextDouble(-0.1, 0.1);
        } else if (i == 0) {
          p[k] = -u;
        } else if (i == 1 && overInputs) {
          p[k] = j == 0 ? 4.0 : -u;
        } else {
          p[k] = i % 7 == 3 ? -0.0 : signed;
        }
      } else if (rule == Weights.POSITIVE) {
        p[k] = i < 0 ? -0.0 : u;
      } else {
        p[k] = i < 0 ? 0.0 : j % 2 == 0 ? u : -u;
      }
    }
    return p;
  }

  /**
   * {@code rows} rows of {@code c}'s inputs, row {@code r}'s features of kind {@code (5r + salt)
   * mod 8}: random, all negative, all positive, x0 = +Inf and x1 = 1e308 (if {@code nonFinite},
   * else random), all -0.0, alternating signs; labels in [0, 1).
   */
  private static double[] rows(Case c, int rows, boolean nonFinite, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int n = c.inputs().size();
    double[] data = new double[rows * n];
    for (int r = 0; r < rows; r++) {
      int kind = Math.floorMod(5 * r + (int) seed, 8);
      for (int i = 0; i < n; i++) {
        double u = random.nextDouble(-1, 1);
        double v;
        if (i >= c.features()) {
          v = Math.abs(u);
        } else {
          v =
              switch (kind) {
                case 2 -> -1 - 2 * Math.abs(u);
                case 3 -> 1 + 2 * Math.abs(u);
                case 4 -> nonFinite && i == 0 ? Double.POSITIVE_INFINITY : u;
                case 5 -> nonFinite && i == 1 ? 1e308 : u;
                case 6 -> -0.0;
                case 7 -> (i % 2 == 0 ? 1 : -1) * (1 + Math.abs(u));
                default -> u;
              };
        }
        data[r * n + i] = v;
      }
    }
    return data;
  }

  /**
   * Per-row calls summed per block ({@link Oracle#blockwiseSingleCalls}), the blocks' gradients
   * added in order into a copy of {@code start}.
   */
  private static double[] blockwiseFrom(
      CompiledGraph g, double[] data, int rows, double[] p, double[] start) {
    int n = g.inputCount();
    double[] grad = start.clone();
    double sum = 0;
    for (int first = 0; first < rows; first += CompiledGraph.BATCH_BLOCK_ROWS) {
      double[] block =
          Oracle.blockwiseSingleCalls(
              g,
              Arrays.copyOfRange(
                  data, first * n, Math.min(rows, first + CompiledGraph.BATCH_BLOCK_ROWS) * n),
              Math.min(rows - first, CompiledGraph.BATCH_BLOCK_ROWS),
              p);
      sum += block[0];
      for (int i = 0; i < grad.length; i++) {
        grad[i] += block[1 + i];
      }
    }
    return Oracle.concat(sum, new double[0], grad);
  }

  /** Gradients a caller had: {@link Oracle#startGrad}, every third -0.0. */
  private static double[] start(int n) {
    double[] s = Oracle.startGrad(n);
    for (int i = 0; i < n; i += 3) {
      s[i] = -0.0;
    }
    return s;
  }

  /**
   * Returns the skipping updates written in the lane code of {@code c}'s gradient program with
   * {@code options} ({@code IINC 5 4}) and asserts there is one, and that each of them turns listed
   * rows back into ints; -1 with the Vector API form, which keeps row blocks, and in exact mode,
   * whose lane code writes no row-blocked updates.
   */
  private static int skippingUpdates(Case c, JitOptions options) {
    if (LaneVectors.ON || options.exact()) {
      return -1;
    }
    Program p = new LoopFormsTest.Graph(c.loss(), c.inputs(), c.params()).programs(options).get(1);
    LaneEmitter.Code code = LaneEmitter.emit(p, new Layout(p));
    assertNotNull(code, c.name() + ": lane code");
    for (byte[] classFile : code.classes()) {
      CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(classFile);
    }
    String text = Disassembly.text(code.classes());
    int passes = count(text, "IINC 5 " + LaneUpdates.SKIP_ROWS + "\n");
    assertTrue(passes > 0, c.name() + ": skipping updates written");
    assertTrue(count(text, "D2I\n") >= passes * LaneUpdates.SKIP_ROWS, c.name() + ": listed rows");
    assertTrue(passes <= code.blockedUpdates(), c.name() + ": at most one per update");
    return code.blockedUpdates() == passes ? 0 : passes;
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
      n++;
    }
    return n;
  }

  /**
   * Checks {@code c}'s batches with params of each rule, in default and exact mode, bit for bit
   * against per-row calls at {@code rowCounts} (and at a count the pool splits if {@code
   * parallel}), the gradient passed in as {@link #start}.
   */
  private static void assertMatchesRows(
      Case c, Weights[] rules, boolean parallel, int... rowCounts) {
    for (boolean exact : new boolean[] {false, true}) {
      JitOptions options = JitOptions.defaults().withExact(exact);
      CompiledGraph g = Jit.compile(List.of(c.loss()), c.inputs(), c.params(), options);
      assertTrue(g.hasBatchLanes(), c.name() + ": the batch takes the lane path");
      skippingUpdates(c, options);
      int[] counts = rowCounts;
      if (parallel) {
        counts = Arrays.copyOf(rowCounts, rowCounts.length + 1);
        counts[rowCounts.length] = LaneBatchTest.parallelRows(g);
      }
      for (Weights rule : rules) {
        double[] p = params(c, rule, rule.ordinal() + 31L * c.name().hashCode());
        for (int rows : counts) {
          String what =
              c.name() + " " + rule + (exact ? " exact, " : " default, ") + rows + " rows";
          double[] data = rows(c, rows, rule == Weights.GUARDED, rows + rule.ordinal());
          double[] grad = start(p.length);
          double[] expected = blockwiseFrom(g, data, rows, p, grad);

          double sum = g.valueAndGradBatch(data, rows, p, grad);

          Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), what);
        }
      }
    }
  }

  @Test
  void valueAndGradBatch_rolledNests2x64x64x1_matchRowByRowBitForBit() {
    Case c = mlp(false, 2, 64, 64, 1);

    assertMatchesRows(c, Weights.values(), true, ROWS);

    assertTrue(
        skippingUpdates(c, JitOptions.defaults()) != 0, c.name() + ": a nest rolls, skipping rows");
  }

  @Test
  void valueAndGradBatch_layersOf17ToTenClasses_matchRowByRowBitForBit() {
    Case c = mlp(false, 64, 17, 17, 10);

    assertMatchesRows(c, Weights.values(), false, ROWS);
  }

  @Test
  void valueAndGradBatch_wideInputsLikeMnist_matchRowByRowBitForBit() {
    Case c = mlp(false, 300, 64, 10);

    assertMatchesRows(c, new Weights[] {Weights.GUARDED, Weights.ALTERNATING}, false, 9, 17, 33);
  }

  @Test
  void valueAndGradBatch_mnistMlp_matchesRowByRowBitForBit() {
    Case c = mlp(false, 784, 64, 10);

    assertMatchesRows(c, new Weights[] {Weights.GUARDED}, false, 16, 17);
  }

  /** Every other neuron linear: no two neighbours alike, so the updates stand alone. */
  @Test
  void valueAndGradBatch_standaloneUpdates_matchRowByRowBitForBit() {
    Case c = mlp(true, 60, 40, 40, 3);

    assertMatchesRows(c, Weights.values(), false, ROWS);

    assertTrue(
        skippingUpdates(c, JitOptions.defaults()) <= 0,
        c.name() + ": every update written on its own, skipping rows");
  }

  @Test
  void valueAndGradBatch_layersReadingTheSameRun_matchRowByRowBitForBit() {
    for (int width : new int[] {17, 40}) {
      Case c = twins(64, width);

      assertMatchesRows(c, Weights.values(), false, 8, 16, 17, 33);
    }
  }

  /**
   * Rows with NaN or -Inf in any input and rows of huge finite values: the batch still equals the
   * per-row calls, NaN where they give NaN.
   */
  @Test
  void valueAndGradBatch_nanAndInfinitiesInAnyPlace_matchRowByRowBitForBit() {
    Case c = mlp(false, 64, 24, 24, 1);
    double[] specials = {
      Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 1e308, -1e308
    };
    for (boolean exact : new boolean[] {false, true}) {
      JitOptions options = JitOptions.defaults().withExact(exact);
      CompiledGraph g = Jit.compile(List.of(c.loss()), c.inputs(), c.params(), options);
      skippingUpdates(c, options);
      for (Weights rule : Weights.values()) {
        double[] p = params(c, rule, rule.ordinal());
        for (int place = 0; place < 5 * specials.length; place++) {
          int rows = 8 + place % 9;
          double[] data = rows(c, rows, false, place);
          data[(place % rows) * c.inputs().size() + place % 5] = specials[place / 5];
          double[] grad = start(p.length);
          double[] expected = blockwiseFrom(g, data, rows, p, grad);

          double sum = g.valueAndGradBatch(data, rows, p, grad);

          Oracle.assertBitIdentical(
              expected,
              Oracle.concat(sum, new double[0], grad),
              c.name() + " " + rule + " " + specials[place / 5] + " at " + place);
        }
      }
    }
  }

  /**
   * A block of 16 rows where row 5 has x0 = +Inf and row 11 x1 = 1e308 ({@link Weights#GUARDED}):
   * their loss is finite and every adjoint of the layer they kill is 0, so only the non-finite
   * multiplied value keeps them; the interpreter gives NaN for the weights it multiplies, and so
   * must the batch, finite everywhere else.
   */
  @Test
  void valueAndGradBatch_deadRowsWithInfiniteValues_keepTheirNaN() {
    Case c = mlp(false, 64, 48, 48, 1);
    double[] p = params(c, Weights.GUARDED, 7);
    int rows = 16;
    double[] data = rows(c, rows, false, 3);
    int n = c.inputs().size();
    data[5 * n] = Double.POSITIVE_INFINITY;
    data[11 * n + 1] = 1e308;
    for (boolean exact : new boolean[] {false, true}) {
      CompiledGraph g =
          Jit.compile(
              List.of(c.loss()), c.inputs(), c.params(), JitOptions.defaults().withExact(exact));
      skippingUpdates(c, JitOptions.defaults().withExact(exact));
      boolean[] nan = new boolean[p.length];
      for (int r : new int[] {5, 11}) {
        double[] row = Arrays.copyOfRange(data, n * r, n * (r + 1));
        double[] interpreted = Oracle.interpret(c.loss(), c.inputs(), c.params(), row, p);
        double[] before = Oracle.startGrad(p.length);
        assertTrue(Double.isFinite(interpreted[0]), "row " + r + ": finite loss");
        int nans = 0;
        for (int k = 0; k < p.length; k++) {
          double got = interpreted[1 + n + k];
          nan[k] |= Double.isNaN(got);
          nans += Double.isNaN(got) ? 1 : 0;
          int[] role = c.roles().get(k);
          if (role[0] == 1 && role[3] == 1 && r == 5) {
            assertEquals(before[k], got, "row 5 kills the first layer: weight " + k + " gets 0");
          }
        }
        assertEquals(48, nans, "row " + r + ": a layer's weights on the infinite value are NaN");
      }
      double[] grad = new double[p.length];

      double sum = g.valueAndGradBatch(data, rows, p, grad);

      assertTrue(Double.isFinite(sum), "the batch's loss is finite");
      for (int k = 0; k < p.length; k++) {
        assertEquals(nan[k], Double.isNaN(grad[k]), "param " + k + " is NaN as interpreted");
      }
      Oracle.assertBitIdentical(
          Oracle.blockwiseSingleCalls(g, data, rows, p),
          Oracle.concat(sum, new double[0], grad),
          "dead rows with infinite values" + (exact ? " exact" : ""));
    }
  }
}
