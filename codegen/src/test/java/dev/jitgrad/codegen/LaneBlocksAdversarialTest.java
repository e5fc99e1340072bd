package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * An adversarial reading of blocks of vector chains ({@link LaneChains#block}): layers whose
 * neurons' long sums read the same lane values, each sum wrapped in ops that read other neurons'
 * outputs (before its sum, after it, or as its head), headless or parameter-second, over inputs or
 * workspace slots, cut by {@link Layout} into parts with short last parts between the runs, with
 * long statements and long ops around the sums near the chunk limits; run in both test executions,
 * so the plain form checks the same numbers. Oracle: the per-row kernel row by row, to the bit, in
 * default and exact mode, with NaN, infinities and -0.0 in the rows.
 */
class LaneBlocksAdversarialTest {
  /** Row counts around the 8-row passes, the vector length and the 16-row blocks. */
  private static final int[] ROWS = {1, 7, 8, 9, 15, 16, 17, 1000};

  /** Fewer row counts for the sweeps over many graphs, still around a block's edges. */
  private static final int[] FEW_ROWS = {1, 9, 16, 17};

  /** How a neuron's sum {@code s} is wrapped into its output. */
  private static final int LINEAR = 0;

  private static final int TANH = 1;
  private static final int NEG = 2;
  private static final int TIMES_MINUS_ONE = 3;
  private static final int INPUT_TIMES = 4; // x0·s: ops before the sum read an input
  private static final int PREVIOUS_TIMES = 5; // o_(k-1)·s: ops before the sum read a block's run
  private static final int PLUS_PREVIOUS = 6; // s + o_(k-1): a residual after the sum
  private static final int WHERE_PREVIOUS = 7; // where(o_(k-1), s, x0): reads before and after
  private static final int LONG_TAIL = 8; // clamp, pow, softplus, max with constants after the sum
  private static final int INPUT_MINUS = 9; // sigmoid(x1 - s)
  private static final int KINDS = 10;

  private static List<Value> leaves(String name, int n, SplittableRandom random) {
    List<Value> leaves = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      leaves.add(Value.of(random == null ? 0 : random.nextDouble(-1, 1), name + i));
    }
    return leaves;
  }

  /** Returns sum {@code s} of neuron {@code k} wrapped by {@code kind}. */
  private static Value wrap(int kind, Value s, Value previous, List<Value> x) {
    return switch (kind) {
      case LINEAR -> s;
      case TANH -> s.tanh();
      case NEG -> s.neg();
      case TIMES_MINUS_ONE -> s.mul(-1);
      case INPUT_TIMES -> x.get(0).mul(s);
      case PREVIOUS_TIMES -> previous.mul(s);
      case PLUS_PREVIOUS -> s.add(previous);
      case WHERE_PREVIOUS -> Value.where(previous, s, x.get(0));
      case LONG_TAIL -> s.clamp(-0.75, 0.75).pow(3).softplus().max(x.get(1)).mul(-0.0).add(s);
      case INPUT_MINUS -> x.get(1).sub(s).sigmoid();
      default -> throw new IllegalArgumentException("kind " + kind);
    };
  }

  /**
   * A layer of {@code neurons} neurons, each a sum over {@code lanes} with its own weights (the
   * weight first or second in each product, a bias first or none) wrapped by {@code kinds[k %
   * kinds.length]}, where neuron k's previous output is neuron k - 1's (an input for the first);
   * the loss sums the outputs.
   */
  private static LoopFormsTest.Graph layer(
      SplittableRandom random,
      List<Value> x,
      List<Value> lanes,
      int neurons,
      boolean bias,
      boolean weightFirst,
      int... kinds) {
    List<Value> params = new ArrayList<>();
    List<Value> outs = new ArrayList<>();
    Value previous = x.get(x.size() - 1);
    for (int k = 0; k < neurons; k++) {
      List<Value> w = leaves("w" + k + "_", lanes.size(), random);
      params.addAll(w);
      List<Value> terms = new ArrayList<>();
      if (bias) {
        Value b = Value.of(random.nextDouble(-1, 1), "b" + k);
        params.add(b);
        terms.add(b);
      }
      for (int i = 0; i < lanes.size(); i++) {
        terms.add(weightFirst ? w.get(i).mul(lanes.get(i)) : lanes.get(i).mul(w.get(i)));
      }
      Value out = wrap(kinds[k % kinds.length], Value.sum(terms), previous, x);
      outs.add(out);
      previous = out;
    }
    return new LoopFormsTest.Graph(Value.sum(outs), x, params);
  }

  /**
   * Asserts, in default and exact mode, that the forward and gradient programs of {@code m} run on
   * lanes as the per-row kernel does row by row, straight and rolled; returns how many blocks of
   * several runs the straight lane code of all of them ran.
   */
  private static int assertBlocksEqualPerRowKernel(
      LoopFormsTest.Graph m, SplittableRandom random, String what, int[] rows) {
    int blocks = 0;
    for (boolean exact : new boolean[] {false, true}) {
      List<Program> programs = m.programs(JitOptions.defaults().withExact(exact));
      for (int which = 0; which < 2; which++) {
        String at = what + ", program " + which + ", exact " + exact;
        Program p = programs.get(which);

        LaneEmitter.Code straight =
            LaneFormsTest.assertLanesEqualPerRowKernel(
                p, Integer.MAX_VALUE, random, at, rows, LaneFormsTest::data);
        LaneFormsTest.assertLanesEqualPerRowKernel(
            p, 0, random, at + ", rolled", rows, LaneFormsTest::data);

        assertTrue(which == 1 || straight != null, at + ": no lane code");
        if (straight != null) {
          blocks += straight.chainBlocks();
        }
      }
    }
    return blocks;
  }

  /** Asserts that blocks of several runs ran exactly where the vector form runs. */
  private static void assertBlocksRan(int blocks, String what) {
    assertTrue(LaneVectors.ON ? blocks > 0 : blocks == 0, what + ": blocks " + blocks);
  }

  @Test
  void run_layersOfOneToNineNeuronsWrappedEveryWay_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(101);
    List<Value> x = leaves("x", 20, null);
    int blocks = 0;
    for (int kind = 0; kind < KINDS; kind++) {
      for (int neurons : new int[] {1, 2, 3, 5, 9}) {
        LoopFormsTest.Graph m = layer(random, x, x, neurons, true, true, kind);

        blocks +=
            assertBlocksEqualPerRowKernel(
                m, random, "kind " + kind + ", " + neurons + " neurons", FEW_ROWS);
      }
    }
    assertBlocksRan(blocks, "wrapped layers");
  }

  @Test
  void run_neuronsEachWrappedOtherwiseWithNonFiniteRows_equalPerRowKernelAtEveryRowCount() {
    SplittableRandom random = new SplittableRandom(103);
    List<Value> x = leaves("x", 22, null);
    int[] kinds = {PREVIOUS_TIMES, LINEAR, WHERE_PREVIOUS, PLUS_PREVIOUS, TANH, INPUT_TIMES, NEG};
    LoopFormsTest.Graph m = layer(random, x, x, 8, true, true, kinds);

    int blocks = assertBlocksEqualPerRowKernel(m, random, "mixed kinds", ROWS);

    assertBlocksRan(blocks, "mixed kinds");
  }

  /**
   * Layers over inputs, or over hidden values (workspace slots, {@code tanh(x_i)}) of 30, 40 and 52
   * terms, which {@link Layout} cuts into parts, the short last parts and the activations standing
   * between the runs of a block; with a bias or headless, the weight first or second.
   */
  @Test
  void run_layersHeadlessOrNotWeightFirstOrSecondCutIntoParts_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(107);
    int blocks = 0;
    for (int width : new int[] {20, 30, 40, 52}) {
      List<Value> x = leaves("x", width, null);
      List<Value> lanes = width == 20 ? x : x.stream().map(Value::tanh).toList();
      for (boolean bias : new boolean[] {false, true}) {
        for (boolean weightFirst : new boolean[] {false, true}) {
          for (int neurons : new int[] {2, 4, 7, 9}) {
            LoopFormsTest.Graph m =
                layer(random, x, lanes, neurons, bias, weightFirst, TANH, PLUS_PREVIOUS, NEG);
            String what =
                width + " wide, bias " + bias + ", weight first " + weightFirst + ", " + neurons;

            blocks += assertBlocksEqualPerRowKernel(m, random, what, FEW_ROWS);
          }
        }
      }
    }
    assertBlocksRan(blocks, "headless, weight second, cut");
  }

  /** Layers of sums so wide that their middle parts roll into loops inside the runs of a block. */
  @Test
  void run_wideSumsWhosePartsRollIntoLoops_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(113);
    int blocks = 0;
    for (int width : new int[] {150, 301}) {
      List<Value> x = leaves("x", width, null);
      for (int neurons : new int[] {2, 5}) {
        LoopFormsTest.Graph m = layer(random, x, x, neurons, true, true, TANH, LINEAR);

        blocks += assertBlocksEqualPerRowKernel(m, random, width + " wide, " + neurons, FEW_ROWS);
      }
    }
    assertBlocksRan(blocks, "wide layers");
  }

  /**
   * An MLP of layers wide enough that the adjoint sums of its hidden neurons are chains in the
   * gradient program, their derivative around the sum reading the neuron's value.
   */
  @Test
  void run_deepLayersWithAdjointSums_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(127);
    List<Value> x = leaves("x", 13, null);
    List<Value> params = new ArrayList<>();
    List<Value> values = x;
    int[] widths = {30, 24, 14, 3};
    for (int layer = 0; layer < widths.length; layer++) {
      List<Value> next = new ArrayList<>();
      for (int k = 0; k < widths[layer]; k++) {
        List<Value> w = leaves("w" + layer + "_", values.size(), random);
        Value b = Value.of(random.nextDouble(-1, 1), "b" + layer);
        params.addAll(w);
        params.add(b);
        Value s = Value.dot(w, values).add(b);
        next.add(layer % 3 == 0 ? s.tanh() : layer % 3 == 1 ? s.relu() : s.sigmoid());
      }
      values = next;
    }
    LoopFormsTest.Graph m = new LoopFormsTest.Graph(Value.sum(values), x, params);

    int blocks = assertBlocksEqualPerRowKernel(m, random, "13-30-24-14-3", ROWS);

    assertBlocksRan(blocks, "deep layers");
  }

  /**
   * Lane operands that do not advance (one input in every term) or walk down, and parameters that
   * do not advance (one weight per neuron) or are shared by every neuron (exact mode keeps their
   * products apart).
   */
  @Test
  void run_lanesAndWeightsOfEveryStep_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(131);
    List<Value> x = leaves("x", 20, null);
    List<Value> down = new ArrayList<>(x);
    Collections.reverse(down);
    List<Value> one = Collections.nCopies(20, x.get(3));
    List<Value> shared = leaves("v", 20, random);
    int blocks = 0;
    for (int kind = 0; kind < 4; kind++) {
      List<Value> params = new ArrayList<>(shared);
      List<Value> outs = new ArrayList<>();
      for (int k = 0; k < 5; k++) {
        Value single = Value.of(random.nextDouble(-1, 1), "u" + k);
        Value b = Value.of(random.nextDouble(-1, 1), "b" + k);
        params.add(single);
        params.add(b);
        List<Value> w = kind == 2 ? Collections.nCopies(20, single) : shared;
        List<Value> lanes = kind == 0 ? one : kind == 1 ? down : x;
        if (kind == 0 || kind == 1) {
          w = leaves("w" + k + "_", 20, random);
          params.addAll(w);
        }
        outs.add(Value.dot(w, lanes).add(b).tanh());
      }
      LoopFormsTest.Graph m = new LoopFormsTest.Graph(Value.sum(outs), x, params);

      blocks += assertBlocksEqualPerRowKernel(m, random, "steps kind " + kind, FEW_ROWS);
    }
    assertBlocksRan(blocks, "steps");
  }

  /**
   * Each neuron's output {@code s·g + tanh(s)} with {@code g} a long expression over the inputs of
   * 4 to 200 operations, so between the runs of a block stand 1 to more than {@link
   * LaneChains#MAX_BETWEEN} statements, up to the byte limits of a block's chunk.
   */
  @Test
  void run_longStatementsBetweenRuns_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(137);
    List<Value> x = leaves("x", 20, null);
    int blocks = 0;
    for (int ops : new int[] {4, 40, 90, 200, 400}) {
      List<Value> params = new ArrayList<>();
      List<Value> outs = new ArrayList<>();
      for (int k = 0; k < 4; k++) {
        List<Value> w = leaves("w" + k + "_", 20, random);
        Value b = Value.of(random.nextDouble(-1, 1), "b" + k);
        params.addAll(w);
        params.add(b);
        Value s = Value.dot(w, x).add(b);
        Value g = x.get(k).mul(1.0 + k);
        for (int j = 0; j < ops; j++) {
          Value p = x.get(random.nextInt(20));
          g = j % 3 == 0 ? g.mul(p).tanh() : j % 3 == 1 ? g.add(p.mul(0.5)) : g.sub(p).sigmoid();
        }
        outs.add(s.mul(g).add(s.tanh()));
      }
      LoopFormsTest.Graph m = new LoopFormsTest.Graph(Value.sum(outs), x, params);

      blocks += assertBlocksEqualPerRowKernel(m, random, ops + " ops between", FEW_ROWS);
    }
    assertBlocksRan(blocks, "long statements between");
  }

  /**
   * Random stacks of layers: lanes of inputs, hidden slots, every second input, inputs walking down
   * or the layer before's outputs; sums headed by a bias, nothing, an input, a lane value or the
   * neuron before's output; weights first or second; each neuron wrapped by a random kind.
   */
  @Test
  void run_randomLayersOfWrappedSums_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(139);
    int blocks = 0;
    for (int graph = 0; graph < 24; graph++) {
      int width = 12 + random.nextInt(50);
      List<Value> x = leaves("x", 2 * width, null);
      List<Value> params = new ArrayList<>();
      List<Value> values = x.subList(0, width);
      List<Value> outs = new ArrayList<>();
      for (int layer = 0; layer < 2; layer++) {
        List<Value> lanes =
            switch (random.nextInt(5)) {
              case 0 -> values;
              case 1 -> values.stream().map(Value::tanh).toList();
              case 2 -> IntStream.range(0, width).mapToObj(i -> x.get(2 * i)).toList();
              case 3 -> {
                List<Value> down = new ArrayList<>(values);
                Collections.reverse(down);
                yield down;
              }
              default -> x.subList(width, 2 * width);
            };
        int head = random.nextInt(5);
        boolean weightFirst = random.nextBoolean();
        List<Value> next = new ArrayList<>();
        Value previous = x.get(1);
        for (int k = 0, neurons = 1 + random.nextInt(9); k < neurons; k++) {
          List<Value> w = leaves("w" + k + "_", lanes.size(), random);
          params.addAll(w);
          List<Value> terms = new ArrayList<>();
          if (head == 0) {
            Value b = Value.of(random.nextDouble(-1, 1), "b" + k);
            params.add(b);
            terms.add(b);
          } else if (head > 1) {
            terms.add(head == 2 ? x.get(k) : head == 3 ? lanes.get(k % lanes.size()) : previous);
          }
          for (int i = 0; i < lanes.size(); i++) {
            terms.add(weightFirst ? w.get(i).mul(lanes.get(i)) : lanes.get(i).mul(w.get(i)));
          }
          previous = wrap(random.nextInt(KINDS), Value.sum(terms), previous, x);
          next.add(previous);
        }
        outs.addAll(next);
        values = next;
        width = next.size();
      }
      LoopFormsTest.Graph m = new LoopFormsTest.Graph(Value.sum(outs), x, params);

      blocks += assertBlocksEqualPerRowKernel(m, random, "random graph " + graph, FEW_ROWS);
    }
    assertBlocksRan(blocks, "random layers");
  }

  /**
   * Neurons each summing the neuron before's output in every term, {@code s_k = Σ_i w_k,i·o_(k-1) +
   * b_k} and {@code o_k = tanh(s_k)·o_(k-1)}, only the last output read by the loss: {@link Layout}
   * puts every sum in one slot that is also their lane operand, or, with every sum read by the loss
   * too, puts every {@code o_k} (a statement between the runs) in the slot of {@code o_(k-1)}.
   * Either way consecutive sums read the same lane slot with their own weights, as a layer's do,
   * though each needs the one before, so none may join another's block.
   */
  @Test
  void run_sumsOfTheNeuronBeforesOutputInEveryTerm_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(149);
    List<Value> x = leaves("x", 3, null);
    for (int terms : new int[] {14, 30}) {
      for (boolean sumsRead : new boolean[] {false, true}) {
        List<Value> params = new ArrayList<>();
        List<Value> outs = new ArrayList<>();
        Value previous = x.get(0);
        for (int k = 0; k < 6; k++) {
          List<Value> w = leaves("w" + k + "_", terms, random);
          Value b = Value.of(random.nextDouble(-1, 1), "b" + k);
          params.addAll(w);
          params.add(b);
          Value s = Value.dot(w, Collections.nCopies(terms, previous)).add(b);
          previous = s.tanh().mul(previous);
          if (sumsRead) {
            outs.add(s.mul(x.get(1)));
          }
        }
        outs.add(previous);
        LoopFormsTest.Graph m = new LoopFormsTest.Graph(Value.sum(outs), x, params);
        String what = terms + " terms, sums read " + sumsRead;

        int blocks = assertBlocksEqualPerRowKernel(m, random, what, ROWS);

        assertTrue(blocks == 0, what + ": blocks " + blocks);
      }
    }
  }

  /**
   * Neurons over windows of the same lanes that start one lane (or a few) apart, of one width:
   * their sums have one shape, terms and steps, but not the same lane values, so they may not share
   * a block's lane vectors; over inputs and over hidden slots, the windows walking up or down.
   */
  @Test
  void run_neuronsOverShiftedWindowsOfTheLanes_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(151);
    List<Value> x = leaves("x", 40, null);
    List<Value> hidden = x.stream().map(Value::tanh).toList();
    for (List<Value> lanes : List.of(x, hidden)) {
      for (int shift : new int[] {1, 3, -2}) {
        List<Value> params = new ArrayList<>();
        List<Value> outs = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
          int start = shift > 0 ? k * shift : 20 + k * shift;
          List<Value> w = leaves("w" + k + "_", 20, random);
          Value b = Value.of(random.nextDouble(-1, 1), "b" + k);
          params.addAll(w);
          params.add(b);
          outs.add(Value.dot(w, lanes.subList(start, start + 20)).add(b).tanh());
        }
        LoopFormsTest.Graph m = new LoopFormsTest.Graph(Value.sum(outs), x, params);
        String what = (lanes == x ? "inputs" : "slots") + ", shift " + shift;

        int blocks = assertBlocksEqualPerRowKernel(m, random, what, FEW_ROWS);

        assertTrue(blocks == 0, what + ": blocks " + blocks);
      }
    }
  }

  /**
   * A layer whose neurons are the program's outputs, each sum written straight into its output
   * slot, with ops before and after it reading other outputs.
   */
  @Test
  void run_layerOfOutputs_equalPerRowKernel() {
    SplittableRandom random = new SplittableRandom(157);
    List<Value> x = leaves("x", 24, null);
    List<Value> params = new ArrayList<>();
    List<Value> outs = new ArrayList<>();
    Value previous = x.get(2);
    for (int k = 0; k < 7; k++) {
      List<Value> w = leaves("w" + k + "_", 20, random);
      params.addAll(w);
      Value s = Value.dot(w, x.subList(4, 24));
      previous =
          wrap(new int[] {LINEAR, PREVIOUS_TIMES, PLUS_PREVIOUS, TANH}[k % 4], s, previous, x);
      outs.add(previous);
    }
    int blocks = 0;
    for (boolean exact : new boolean[] {false, true}) {
      JitOptions options = JitOptions.defaults().withExact(exact);
      Program traced = Tracer.trace(outs, x, params);
      Program p =
          Compiler.forwardProgram(
              Compiler.run(Passes.beforeReverse(options), Lowering.expandNary(traced)), options);

      LaneEmitter.Code straight =
          LaneFormsTest.assertLanesEqualPerRowKernel(
              p, Integer.MAX_VALUE, random, "exact " + exact, ROWS, LaneFormsTest::data);

      blocks += straight.chainBlocks();
    }
    assertBlocksRan(blocks, "outputs");
  }
}
