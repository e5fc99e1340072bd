package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Init;
import dev.jitgrad.nn.Layer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Adversarial review of lane code that rolls a nest whose trips are each a hidden neuron's
 * statements then its weights' row-blocked gradient update into one counted loop ({@link
 * LaneEmitter}'s {@code rollsAsUpdates}, {@link LaneUpdates#scaledUpdate(Rolling.Loop,
 * Rolling.Nest, org.objectweb.asm.MethodVisitor)}): layers whose neurons' trips differ in small
 * ways, MLPs, updates of few elements, row counts around the blocks of 8 and 16, each batch checked
 * bit for bit against the per-row kernel.
 *
 * <p>What rolled is read from the lane code: every written row-blocked update advances its row
 * counter by {@link LaneUpdates#UPDATE_ROWS} once ({@code IINC 5 8}, local {@link LaneEmitter#L}),
 * and {@link LaneEmitter.Code#blockedUpdates} counts each rolled trip as an update; a per-neuron
 * copy writes one update per counted update, so {@code blockedUpdates - written} is the sum over
 * the rolled nests of their trips less one, 0 when nothing rolled as updates.
 */
class RolledUpdatesAdversarialTest {
  private static final int[] ROWS = {1, 7, 8, 9, 15, 16, 17, 100};
  private static final int CLASSES = 3;

  /** How one hidden layer's neurons differ from a dense layer with its weights row-major. */
  enum Twist {
    NONE,
    PERMUTED_WEIGHTS,
    COLUMN_MAJOR,
    SHARED_WEIGHT,
    WEIGHT_TWICE,
    MIXED_ACTIVATIONS,
    READ_BY_LOSS,
    FLIPPED,
    ONE_FLIPPED,
    OVER_HIDDEN,
    LAST_NEURON_LINEAR
  }

  /**
   * Twists that leave every neuron alike but for strides: weights column-major or all descending, a
   * layer over hidden values. Their layer's 17 trips roll as one.
   */
  private static final Set<Twist> UNIFORM =
      EnumSet.of(Twist.NONE, Twist.COLUMN_MAJOR, Twist.FLIPPED, Twist.OVER_HIDDEN);

  /** A loss, its inputs and params, and the count of trips its twisted layer has. */
  private record Case(String name, Value loss, List<Value> inputs, List<Value> params) {}

  /**
   * A layer of {@code neurons} over {@code width} inputs (or, {@link Twist#OVER_HIDDEN}, over a
   * relu layer of {@code width} neurons over them), twisted at neuron {@code neurons / 2}, then a
   * linear head of {@code outputs} and a cross-entropy loss (a square for one output).
   */
  private static Case layer(Twist twist, int neurons, int width, long seed) {
    return layer(twist, neurons, width, 1, seed);
  }

  private static Case layer(Twist twist, int neurons, int width, int outputs, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < width + (outputs > 1 ? outputs : 0); i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    List<Value> features = inputs.subList(0, width);
    List<Value> params = new ArrayList<>();
    List<Value> source = features;
    if (twist == Twist.OVER_HIDDEN) {
      Layer below = new Layer(width, width, true, random, Init.HE);
      source = below.apply(features);
      params.addAll(below.parameters());
    }
    Value[][] w = new Value[neurons][width];
    Value[] b = new Value[neurons];
    for (int j = 0; j < neurons; j++) {
      for (int i = 0; i < width; i++) {
        w[j][i] = Value.of(random.nextDouble(-0.4, 0.4), "w" + j + "_" + i);
      }
      b[j] = Value.of(random.nextDouble(-0.1, 0.1), "b" + j);
    }
    int odd = neurons / 2;
    List<Value> hidden = new ArrayList<>();
    for (int j = 0; j < neurons; j++) {
      List<Value> terms = new ArrayList<>();
      terms.add(b[j]);
      for (int i = 0; i < width; i++) {
        Value weight = w[j][i];
        if (j == odd && twist == Twist.PERMUTED_WEIGHTS) {
          weight = w[j][(i + 1) % width];
        } else if (j == odd && twist == Twist.SHARED_WEIGHT && i == width / 2) {
          weight = w[j - 1][i];
        } else if (j == odd && twist == Twist.WEIGHT_TWICE && i == 1) {
          weight = w[j][0];
        }
        terms.add(weight.mul(source.get(i)));
      }
      Value z = Value.sum(terms);
      int kind = twist == Twist.MIXED_ACTIVATIONS ? j % 3 : 0;
      if (twist == Twist.LAST_NEURON_LINEAR && j == neurons - 1) {
        kind = 2;
      }
      hidden.add(kind == 0 ? z.relu() : kind == 1 ? z.tanh() : z);
    }
    if (twist == Twist.COLUMN_MAJOR) {
      for (int i = 0; i < width; i++) {
        for (int j = 0; j < neurons; j++) {
          params.add(w[j][i]);
        }
      }
    } else {
      for (int j = 0; j < neurons; j++) {
        boolean down = twist == Twist.FLIPPED || twist == Twist.ONE_FLIPPED && j == odd;
        for (int i = 0; i < width; i++) {
          params.add(w[j][down ? width - 1 - i : i]);
        }
      }
    }
    params.addAll(Arrays.asList(b));
    Layer head = new Layer(neurons, outputs, false, random, Init.HE);
    params.addAll(head.parameters());
    Value loss = CodeDigests.loss(head.apply(hidden), inputs.subList(width, inputs.size()));
    if (twist == Twist.READ_BY_LOSS) {
      loss = loss.add(hidden.get(odd).mul(inputs.get(0)));
    }
    return new Case(twist + " " + neurons + "x" + width + "->" + outputs, loss, inputs, params);
  }

  /** An MLP of {@code sizes} with a cross-entropy loss (a square for one output). */
  private static Case mlp(long seed, int... sizes) {
    SplittableRandom random = new SplittableRandom(seed);
    int outputs = sizes[sizes.length - 1];
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < sizes[0] + (outputs > 1 ? outputs : 0); i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    List<Value> x = inputs.subList(0, sizes[0]);
    List<Value> params = new ArrayList<>();
    for (int k = 1; k < sizes.length; k++) {
      Layer layer = new Layer(sizes[k - 1], sizes[k], k < sizes.length - 1, random, Init.HE);
      x = layer.apply(x);
      params.addAll(layer.parameters());
    }
    Value loss = CodeDigests.loss(x, inputs.subList(sizes[0], inputs.size()));
    return new Case("mlp " + Arrays.toString(sizes), loss, inputs, params);
  }

  private static double[] rows(Case c, int rows, SplittableRandom random) {
    int n = c.inputs().size();
    double[] data = random.doubles((long) rows * n, -1, 1).toArray();
    return data;
  }

  private static double[] params(Case c, SplittableRandom random) {
    double[] p = new double[c.params().size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = c.params().get(i).data() + random.nextDouble(-0.01, 0.01);
    }
    return p;
  }

  /** The gradient program (program 1) of {@code c} with {@code options}. */
  private static Program gradientProgram(Case c, JitOptions options) {
    return new LoopFormsTest.Graph(c.loss(), c.inputs(), c.params()).programs(options).get(1);
  }

  /**
   * Updates that rolled away in the lane code of {@code c}'s gradient: {@code blockedUpdates} less
   * the row-blocked updates written ({@code IINC 5 8}); also checks every lane method verifies and
   * stays under 8000 bytes.
   */
  private static int rolledAway(Case c, JitOptions options) {
    Program p = gradientProgram(c, options);
    LaneEmitter.Code code = LaneEmitter.emit(p, new Layout(p));
    assertNotNull(code, c.name() + ": lane code");
    for (byte[] classFile : code.classes()) {
      CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(classFile);
    }
    String text = Disassembly.text(code.classes());
    int written = 0;
    for (int at = text.indexOf("IINC 5 8\n"); at >= 0; at = text.indexOf("IINC 5 8\n", at + 1)) {
      written++;
    }
    return code.blockedUpdates() - written;
  }

  /**
   * Checks {@code c}'s batches in default and exact mode bit for bit against per-row calls at
   * {@code rowCounts} (and, if {@code parallel}, at a count the thread pool splits), and its
   * forward batch against per-row {@code forward}; returns the updates rolled away in default mode.
   */
  private static int assertMatchesRows(Case c, boolean parallel, int... rowCounts) {
    int rolled = 0;
    for (boolean exact : new boolean[] {false, true}) {
      JitOptions options = JitOptions.defaults().withExact(exact);
      CompiledGraph g = Jit.compile(List.of(c.loss()), c.inputs(), c.params(), options);
      SplittableRandom random = new SplittableRandom(c.name().hashCode() + (exact ? 1 : 0));
      double[] p = params(c, random);
      String what = c.name() + (exact ? " exact" : " default");
      int[] counts = rowCounts;
      if (parallel) {
        counts = Arrays.copyOf(rowCounts, rowCounts.length + 1);
        counts[rowCounts.length] = LaneBatchTest.parallelRows(g);
      }

      int away = rolledAway(c, options);
      rolled = exact ? rolled : away;

      assertTrue(g.hasBatchLanes(), what + ": the batch takes the lane path");
      for (int rows : counts) {
        double[] data = rows(c, rows, random);
        double[] grad = new double[p.length];
        double sum = g.valueAndGradBatch(data, rows, p, grad);
        Oracle.assertBitIdentical(
            Oracle.blockwiseSingleCalls(g, data, rows, p),
            Oracle.concat(sum, new double[0], grad),
            what + ", " + rows + " rows");
      }
      int rows = 17;
      int n = c.inputs().size();
      double[] data = rows(c, rows, random);
      double[] batch = new double[rows];
      g.forwardBatch(data, rows, p, batch);
      double[] single = new double[rows];
      for (int r = 0; r < rows; r++) {
        double[] out = new double[1];
        g.forward(Arrays.copyOfRange(data, r * n, (r + 1) * n), p, out);
        single[r] = out[0];
      }
      Oracle.assertBitIdentical(single, batch, what + ", forwardBatch");
    }
    return rolled;
  }

  @Test
  void valueAndGradBatch_twistedLayersOf17_matchRowByRowBitForBit() {
    for (Twist twist : Twist.values()) {
      Case c = layer(twist, 17, 60, twist.ordinal());

      int rolled = assertMatchesRows(c, false, ROWS);

      if (!LaneVectors.ON && UNIFORM.contains(twist)) {
        assertTrue(rolled >= 16, c.name() + ": every trip after the first rolls away, " + rolled);
      } else if (!LaneVectors.ON && twist == Twist.MIXED_ACTIVATIONS) {
        assertTrue(rolled == 0, c.name() + ": no two neighbours alike, " + rolled);
      } else if (!LaneVectors.ON && twist != Twist.LAST_NEURON_LINEAR) {
        assertTrue(rolled <= 15, c.name() + ": the odd trip splits the nest, " + rolled);
      }
    }
  }

  @Test
  void valueAndGradBatch_layersOf2To64Neurons_matchRowByRowBitForBit() {
    for (int neurons : new int[] {2, 3, 17, 64}) {
      Case c = layer(Twist.NONE, neurons, neurons < 17 ? 300 : 40, neurons % 3 + 1, neurons);

      assertMatchesRows(c, false, 1, 9, 16, 17);
    }
  }

  /** Updates of 1 to 17 elements, over inputs (first layer) and over hidden values (third). */
  @Test
  void valueAndGradBatch_updatesOfFewElements_matchRowByRowBitForBit() {
    for (int width : new int[] {1, 7, 8, 9, 15, 16, 17}) {
      Case c = mlp(width, width, 48, width, 48, CLASSES);

      assertMatchesRows(c, false, 7, 8, 9, 17);
    }
  }

  @Test
  void valueAndGradBatch_mlps_matchRowByRowBitForBit() {
    for (int[] sizes : new int[][] {{64, 32, 10}, {2, 64, 64, 1}, {100, 40, 3}}) {
      Case c = mlp(sizes.length, sizes);

      int rolled = assertMatchesRows(c, sizes[0] == 64, ROWS);

      assertTrue(LaneVectors.ON || rolled > 0, c.name() + ": a nest rolls, " + rolled);
    }
  }

  @Test
  void valueAndGradBatch_mnistMlp_matchesRowByRowBitForBit() {
    Case c = mlp(784, 784, 64, 10);

    int rolled = assertMatchesRows(c, false, 1, 9, 16, 17);

    assertTrue(LaneVectors.ON || rolled >= 63, c.name() + ": the hidden layer rolls, " + rolled);
  }

  /**
   * The rolled update's measure is 0 when nothing rolls: a layer whose every neuron differs from
   * its neighbours (mixed activations) keeps per-neuron updates.
   */
  @Test
  void emit_rolledAwayCountsOnlyRolledUpdates() {
    assumeFalse(LaneVectors.ON, "the Vector API form does not roll updates");
    Case mixed = layer(Twist.MIXED_ACTIVATIONS, 2, 300, 5);

    int rolled = rolledAway(mixed, JitOptions.defaults());

    assertEquals(0, rolled, mixed.name());
  }
}
