package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Init;
import dev.jitgrad.nn.Layer;
import dev.jitgrad.nn.MLP;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Adversarial review of lane code that rolls a layer's neurons into one counted loop around one
 * chain ({@link LaneChains#rollsAsChains}): layers of wide neurons whose trips differ in small ways
 * (weights permuted, shared or used twice, activations mixed, a neuron reading another's output,
 * widths ragged, inputs permuted, biases that are inputs, parameters listed out of order), each
 * checked bit for bit against the per-row kernel and for taking the lane path.
 */
class RolledChainsAdversarialTest {
  private static final int[] ROWS = {1, 15, 16, 17, 100};
  private static final int CLASSES = 3;

  /** How the neurons of the wide layer differ from a uniform dense layer. */
  enum Variant {
    UNIFORM,
    PERMUTED_WEIGHTS,
    SHARED_WEIGHTS,
    WEIGHT_TWICE,
    MIXED_ACTIVATIONS,
    READS_PREVIOUS_NEURON,
    HEAD_IS_PREVIOUS_NEURON,
    RAGGED_WIDTHS,
    PERMUTED_INPUTS,
    INPUT_BIAS,
    SAME_INPUT_BIAS,
    TRANSPOSED_PARAMS,
    MOVED_NEURON_PARAMS,
    LAST_TRIP_DIFFERS,
    SHIFTED_INPUTS,
    SKEWED_AT_24,
    SKEWED_AT_25,
    SKEWED_AT_13
  }

  /** A wide layer of {@code neurons} over {@code width} features, then a loss. */
  private record Net(
      Value loss, List<Value> hidden, List<Value> inputs, List<Value> params, int features) {}

  private static Net net(
      Variant v, int neurons, int width, boolean crossEntropy, SplittableRandom random) {
    List<Value> x = new ArrayList<>();
    int skew =
        switch (v) {
          case SKEWED_AT_24 -> 24;
          case SKEWED_AT_25 -> 25;
          case SKEWED_AT_13 -> 13;
          default -> -1;
        };
    int features = width + (skew >= 0 || v == Variant.SHIFTED_INPUTS ? 2 * neurons : 0);
    for (int i = 0; i < features; i++) {
      x.add(Value.of(0, "x" + i));
    }
    List<Value> labels = new ArrayList<>();
    for (int c = 0; c < CLASSES && crossEntropy; c++) {
      labels.add(Value.of(0, "y" + c));
    }
    int cols = width + 1;
    Value[][] w = new Value[neurons][cols];
    Value[] b = new Value[neurons];
    for (int j = 0; j < neurons; j++) {
      for (int i = 0; i < cols; i++) {
        w[j][i] = Value.of(random.nextDouble(-0.3, 0.3), "w" + j + "_" + i);
      }
      b[j] = Value.of(random.nextDouble(-0.3, 0.3), "b" + j);
    }
    int odd = v.ordinal() % 2 == 0 ? neurons / 2 : 1;
    List<Value> hidden = new ArrayList<>();
    for (int j = 0; j < neurons; j++) {
      boolean special = j == odd || v == Variant.LAST_TRIP_DIFFERS && j == neurons - 1;
      List<Value> terms = new ArrayList<>();
      Value head = b[j];
      if (v == Variant.INPUT_BIAS) {
        head = x.get(j % width);
      } else if (v == Variant.SAME_INPUT_BIAS) {
        head = x.get(width - 1);
      } else if (v == Variant.HEAD_IS_PREVIOUS_NEURON && special && j > 0) {
        head = hidden.get(j - 1);
      }
      terms.add(head);
      int n = v == Variant.RAGGED_WIDTHS && j % 2 == 1 ? width - 1 : width;
      for (int i = 0; i < n; i++) {
        Value weight = w[j][i];
        Value input = x.get(i);
        if (v == Variant.SHIFTED_INPUTS) {
          input = x.get(j + i);
        } else if (skew >= 0) {
          input = x.get(i < skew ? j + i : 2 * j + i);
        }
        if (special && v == Variant.PERMUTED_WEIGHTS) {
          weight = w[j][n - 1 - i];
        } else if (special && v == Variant.SHARED_WEIGHTS && j > 0) {
          weight = w[j - 1][i];
        } else if (special && v == Variant.WEIGHT_TWICE && i == 1) {
          weight = w[j][0];
        } else if ((special || v == Variant.LAST_TRIP_DIFFERS) && v == Variant.PERMUTED_INPUTS) {
          input = x.get(special ? n - 1 - i : i);
        } else if (special && v == Variant.LAST_TRIP_DIFFERS && i == n / 2) {
          weight = w[j][n / 2 + 1];
        }
        terms.add(weight.mul(input));
      }
      if (v == Variant.READS_PREVIOUS_NEURON) {
        terms.add(w[j][width].mul(j == 0 ? x.get(0) : hidden.get(j - 1)));
      }
      Value sum = Value.sum(terms);
      Value out =
          switch (v == Variant.MIXED_ACTIVATIONS ? j % 3 : 0) {
            case 0 -> sum.relu();
            case 1 -> sum.tanh();
            default -> sum;
          };
      hidden.add(out);
    }
    List<Value> params = new ArrayList<>();
    if (v == Variant.TRANSPOSED_PARAMS) {
      for (int i = 0; i < cols; i++) {
        for (int j = 0; j < neurons; j++) {
          params.add(w[j][i]);
        }
      }
    } else {
      for (int j = 0; j < neurons; j++) {
        if (!(v == Variant.MOVED_NEURON_PARAMS && j == odd)) {
          params.addAll(Arrays.asList(w[j]));
        }
      }
      if (v == Variant.MOVED_NEURON_PARAMS) {
        params.addAll(Arrays.asList(w[odd]));
      }
    }
    params.addAll(Arrays.asList(b));
    MLP head = new MLP(random, neurons, new int[] {crossEntropy ? CLASSES : 1});
    List<Value> logits = head.apply(hidden);
    params.addAll(head.parameters());
    Value loss = crossEntropy ? CodeDigests.loss(logits, labels) : sumOfSquares(logits, x);
    List<Value> inputs = new ArrayList<>(x);
    inputs.addAll(labels);
    return new Net(loss, hidden, inputs, params, features);
  }

  private static Value sumOfSquares(List<Value> logits, List<Value> x) {
    List<Value> squares = new ArrayList<>();
    for (Value z : logits) {
      Value d = z.sub(x.get(0));
      squares.add(d.mul(d));
    }
    return Value.sum(squares);
  }

  private static double[] data(Net net, int rows, SplittableRandom random) {
    int n = net.inputs().size();
    double[] data = new double[rows * n];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < net.features(); i++) {
        data[r * n + i] = random.nextDouble(-1, 1);
      }
      if (n > net.features()) {
        data[r * n + net.features() + random.nextInt(n - net.features())] = 1;
      }
    }
    return data;
  }

  private static double[] params(List<Value> params) {
    double[] p = new double[params.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = params.get(i).data();
    }
    return p;
  }

  /**
   * Compiles {@code net}'s loss and its hidden layer, in default and exact mode, and checks each
   * batch against the per-row kernel bit for bit at every row count of {@link #ROWS}.
   */
  private static void assertBatchesMatchRows(Net net, long seed) {
    for (boolean exact : new boolean[] {false, true}) {
      JitOptions options = JitOptions.defaults().withExact(exact);
      CompiledGraph g = Jit.compile(List.of(net.loss()), net.inputs(), net.params(), options);
      CompiledGraph layer = Jit.compile(net.hidden(), net.inputs(), net.params(), options);
      double[] p = params(net.params());
      double[] data = data(net, 100, new SplittableRandom(seed));
      String what = (exact ? "exact " : "default ") + net.hidden().size() + " neurons";

      assertTrue(g.hasBatchLanes(), what + ": batch takes the lane path");
      assertTrue(layer.hasForwardLanes(), what + ": forwardBatch takes the lane path");
      for (int rows : ROWS) {
        double[] grad = new double[p.length];
        double sum = g.valueAndGradBatch(data, rows, p, grad);
        double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
        assertArrayEquals(expected, Oracle.concat(sum, new double[0], grad), what + ", " + rows);

        int outs = layer.outputCount();
        double[] batch = new double[rows * outs];
        layer.forwardBatch(data, rows, p, batch);
        double[] single = new double[rows * outs];
        int n = net.inputs().size();
        for (int r = 0; r < rows; r++) {
          double[] out = new double[outs];
          layer.forward(Arrays.copyOfRange(data, r * n, (r + 1) * n), p, out);
          System.arraycopy(out, 0, single, r * outs, outs);
        }
        assertArrayEquals(single, batch, what + ", forward " + rows);
      }
    }
  }

  /**
   * The lane code of {@code net}'s gradient program (program 1) and of its hidden layer's forward
   * program, as {@link LaneEmitter} writes them.
   */
  private static LaneEmitter.Code laneCode(Net net, boolean forwardOfLayer) {
    LoopFormsTest.Graph graph =
        new LoopFormsTest.Graph(
            forwardOfLayer ? Value.sum(net.hidden()) : net.loss(), net.inputs(), net.params());
    Program p = graph.programs(JitOptions.defaults()).get(forwardOfLayer ? 0 : 1);
    LaneEmitter.Code code = LaneEmitter.emit(p, new Layout(p));
    assertNotNull(code, "lane code");
    return code;
  }

  /** Counted loops in {@code code}: each loop's back edge is one {@code IF_ICMPLT}. */
  private static int loops(LaneEmitter.Code code) {
    String text = Disassembly.text(code.classes());
    int count = 0;
    for (int at = text.indexOf("IF_ICMPLT"); at >= 0; at = text.indexOf("IF_ICMPLT", at + 1)) {
      count++;
    }
    return count;
  }

  /**
   * Counts, in the lane code {@link LaneEmitter} writes for program {@code p}, the nests that
   * {@link Rolling#nests} finds and those of them that {@link LaneChains#rollsAsChains}: {nests,
   * rolled, trips of the rolled}.
   */
  private static int[] nests(Program p) {
    Tape tape = Tape.of(p, new Layout(p));
    List<Rolling.Loop> loops = Rolling.find(tape, LaneEmitter.MIN_ROLL_BYTES);
    List<Rolling.Nest> nests = Rolling.nests(tape, loops);
    LaneChains chains = new LaneChains(tape, p.inputCount, null, null);
    int rolled = 0;
    int trips = 0;
    for (Rolling.Nest nest : nests) {
      if (chains.rollsAsChains(nest, loops, loops.indexOf(nest.inner().get(0)))) {
        rolled++;
        trips += nest.trips();
      }
    }
    return new int[] {nests.size(), rolled, trips};
  }

  private static Program program(Net net, boolean forwardOfLayer) {
    LoopFormsTest.Graph graph =
        new LoopFormsTest.Graph(
            forwardOfLayer ? Value.sum(net.hidden()) : net.loss(), net.inputs(), net.params());
    return graph.programs(JitOptions.defaults()).get(forwardOfLayer ? 0 : 1);
  }

  /** Whether {@code v} changes a trip inside its run so that no nest of its layer may roll. */
  private static boolean skewed(Variant v) {
    return v == Variant.SKEWED_AT_13 || v == Variant.SKEWED_AT_24 || v == Variant.SKEWED_AT_25;
  }

  @Test
  void valueAndGradBatch_adversarialWideLayers_matchRowByRowBitForBit() {
    for (Variant v : Variant.values()) {
      Net net = net(v, 17, 300, v.ordinal() % 2 == 0, new SplittableRandom(v.ordinal()));

      int[] forward = nests(program(net, true));

      boolean shapesDiffer = v == Variant.MIXED_ACTIVATIONS || v == Variant.RAGGED_WIDTHS;
      assertTrue(
          shapesDiffer || forward[0] + nests(program(net, false))[0] > 0, v + ": a nest is found");
      if (skewed(v)) {
        assertEquals(0, forward[1], v + ": trips whose inputs skew inside the run do not roll");
      }
      assertBatchesMatchRows(net, 100 + v.ordinal());
    }
  }

  /**
   * The lane code of a uniform layer that rolls has fewer loops than its chains written one by one
   * would: a chain written alone has two back edges ({@code IF_ICMPLT}: its lane loop and its term
   * loop), a rolled nest of T trips three for its T chains; every other lane or row loop adds one.
   * A layer whose trips skew inside their runs has its nests found but none rolled, so two back
   * edges per chain at least.
   */
  @Test
  void emit_uniformLayerThatRolls_fewerLoopsThanChains() {
    assumeFalse(LaneVectors.ON, "the Vector API form does not roll");
    Net uniform = net(Variant.UNIFORM, 17, 120, true, new SplittableRandom(1));
    Net skewed = net(Variant.SKEWED_AT_24, 17, 300, true, new SplittableRandom(1));

    int[] rolled = nests(program(uniform, true));
    LaneEmitter.Code uniformCode = laneCode(uniform, true);
    int[] notRolled = nests(program(skewed, true));
    LaneEmitter.Code skewedCode = laneCode(skewed, true);

    assertEquals(17, rolled[2], "every neuron's trip rolls: " + Arrays.toString(rolled));
    assertTrue(
        loops(uniformCode) < 2 * uniformCode.chainStatements(),
        loops(uniformCode) + " loops for " + uniformCode.chainStatements() + " chains");
    assertTrue(notRolled[0] > 0 && notRolled[1] == 0, Arrays.toString(notRolled));
    assertTrue(
        loops(skewedCode) >= 2 * skewedCode.chainStatements(),
        loops(skewedCode) + " loops for " + skewedCode.chainStatements() + " chains");
  }

  @Test
  void valueAndGradBatch_layersOf2To64Neurons_matchRowByRowBitForBit() {
    for (int neurons : new int[] {2, 3, 17, 64}) {
      for (boolean crossEntropy : new boolean[] {true, false}) {
        Net net = net(Variant.UNIFORM, neurons, 120, crossEntropy, new SplittableRandom(neurons));

        assertBatchesMatchRows(net, neurons);
      }
    }
  }

  @Test
  void valueAndGradBatch_mnistMlpWhoseGradientRolls_matchesRowByRowBitForBit() {
    SplittableRandom random = new SplittableRandom(MLP.DEFAULT_SEED);
    Layer first = new Layer(784, 64, true, random, Init.HE);
    Layer second = new Layer(64, 10, false, random, Init.HE);
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < 794; i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    List<Value> hidden = first.apply(inputs.subList(0, 784));
    Value loss = CodeDigests.loss(second.apply(hidden), inputs.subList(784, 794));
    List<Value> params = new ArrayList<>(first.parameters());
    params.addAll(second.parameters());
    Net net = new Net(loss, hidden, inputs, params, 784);

    int[] gradient = nests(program(net, false));

    assertTrue(LaneVectors.ON || gradient[2] == 64, Arrays.toString(gradient));
    assertBatchesMatchRows(net, 7);
  }

  /** A second wide layer reads the first's outputs from the workspace, not the inputs. */
  @Test
  void valueAndGradBatch_wideLayerOverHiddenOutputs_matchesRowByRowBitForBit() {
    SplittableRandom random = new SplittableRandom(MLP.DEFAULT_SEED);
    MLP deep = new MLP(random, 60, 120, 17);
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < 60 + CLASSES; i++) {
      inputs.add(Value.of(0, "x" + i));
    }
    List<Value> hidden = deep.apply(inputs.subList(0, 60));
    MLP top = new MLP(random, 17, CLASSES);
    Value loss = CodeDigests.loss(top.apply(hidden), inputs.subList(60, inputs.size()));
    List<Value> params = new ArrayList<>(deep.parameters());
    params.addAll(top.parameters());
    Net net = new Net(loss, hidden, inputs, params, 60);

    int[] forward = nests(program(net, true));

    assertTrue(LaneVectors.ON || forward[1] > 0, Arrays.toString(forward));
    assertBatchesMatchRows(net, 11);
  }
}
