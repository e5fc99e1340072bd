package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.MLP;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every loop form the emitter writes (rolled runs, trips run ascending, reads hoisted out of a
 * loop) against the straight-line code of the same program, which runs the same statements
 * unrolled: the results must be the same bits, at points full of NaN and infinities, in default and
 * exact mode; in exact mode they must also be the interpreter's bits.
 */
class LoopFormsTest {
  private static final double[] SPECIAL = {
    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1e308, -1e-310
  };

  /** A traced graph: a softmax cross-entropy MLP, plus a wild random DAG over its own inputs. */
  record Graph(Value loss, List<Value> inputs, List<Value> params) {
    static Graph mlp(SplittableRandom random, int wildOps, int... sizes) {
      int features = sizes[0];
      int classes = sizes[sizes.length - 1];
      int[] outs = new int[sizes.length - 1];
      System.arraycopy(sizes, 1, outs, 0, outs.length);
      MLP mlp = new MLP(random, features, outs);
      List<Value> inputs = new ArrayList<>();
      for (int i = 0; i < features + classes; i++) {
        inputs.add(Value.of(0, "x" + i));
      }
      List<Value> logits = mlp.apply(inputs.subList(0, features));
      List<Value> exps = new ArrayList<>();
      for (Value z : logits) {
        exps.add(z.exp());
      }
      Value loss =
          Value.sum(exps).log().sub(Value.dot(inputs.subList(features, inputs.size()), logits));
      if (wildOps > 0) {
        RandomGraphs.Sample wild = RandomGraphs.wild(random, 6, wildOps);
        inputs.addAll(wild.leaves());
        loss = loss.add(wild.output());
      }
      return new Graph(loss, inputs, mlp.parameters());
    }

    /** Returns the tape of program {@code which} of {@link #programs} with the default options. */
    Tape tape(int which) {
      Program p = programs(JitOptions.defaults()).get(which);
      return Tape.of(p, new Layout(p));
    }

    /** Returns a fresh point: features in [-1, 1] and a one-hot label of {@code classes}. */
    double[] sample(SplittableRandom random, int classes) {
      double[] x = new double[inputs.size()];
      for (int i = 0; i < x.length - classes; i++) {
        x[i] = random.nextDouble(-1, 1);
      }
      x[x.length - classes + random.nextInt(classes)] = 1;
      return x;
    }

    /**
     * Returns the forward program, the gradient program and the one with input gradients too, with
     * {@code options}.
     */
    List<Program> programs(JitOptions options) {
      Program traced = Tracer.trace(List.of(loss), inputs, params);
      Program differentiable =
          Compiler.run(Passes.beforeReverse(options), Lowering.expandNary(traced));
      return List.of(
          Compiler.forwardProgram(differentiable, options),
          Compiler.gradientProgram(differentiable, false, options),
          Compiler.gradientProgram(differentiable, true, options));
    }
  }

  /** Returns {@code n} numbers in [-2, 2], about one in five a special value. */
  private static double[] point(SplittableRandom random, int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] =
          random.nextInt(5) == 0
              ? SPECIAL[random.nextInt(SPECIAL.length)]
              : random.nextDouble(-2, 2);
    }
    return x;
  }

  /**
   * Asserts that {@code p} rolled (whatever its size) computes the bits its straight-line code
   * does, and the interpreter's in exact mode, at finite points and at points with special values;
   * returns the rolled code's text.
   */
  private static String assertRolledEqualsStraightLine(
      Program p, boolean exact, SplittableRandom random) {
    Layout layout = new Layout(p);
    Emitter.Code rolled = Emitter.emit(p, layout, 0);
    Kernel loops = Emitter.load(rolled);
    Kernel straight = Emitter.load(Emitter.emit(p, layout, Integer.MAX_VALUE));
    for (byte[] c : rolled.classes()) {
      CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(c);
    }
    for (int t = 0; t < 4; t++) {
      double[] x =
          t == 0 ? random.doubles(p.inputCount, -1, 1).toArray() : point(random, p.inputCount);
      double[] params =
          t == 0 ? random.doubles(p.paramCount, -1, 1).toArray() : point(random, p.paramCount);

      double[] expected = Programs.run(straight, p, x, params);
      double[] actual = Programs.run(loops, p, x, params);

      Oracle.assertBitIdentical(expected, actual, "rolled against straight-line, point " + t);
      if (exact) {
        Oracle.assertBitIdentical(
            Programs.interpret(p, x, params), actual, "rolled against interpreter, point " + t);
      }
    }
    return Disassembly.text(rolled.classes());
  }

  @Test
  void emit_mlpsOfSeveralShapesRolled_bitIdenticalToStraightLineAndExactInterpreter() {
    int[][] shapes = {
      {64, 32, 10}, {30, 16, 8, 4}, {200, 10, 5}, {5, 40, 3}, {50, 10, 3}, {2, 16, 16, 1}
    };
    SplittableRandom random = new SplittableRandom(21);
    for (int[] shape : shapes) {
      Graph g = Graph.mlp(random, 0, shape);
      for (boolean exact : new boolean[] {false, true}) {
        String text = "";
        for (Program p : g.programs(JitOptions.defaults().withExact(exact))) {
          text += assertRolledEqualsStraightLine(p, exact, random);
        }

        assertTrue(
            text.contains("IF_ICMPLT"), "no loop in the code of " + shape.length + " layers");
      }
    }
  }

  @Test
  void emit_mlpWithWildGraphRolled_bitIdenticalToStraightLineAndExactInterpreter() {
    SplittableRandom random = new SplittableRandom(23);
    for (int seed = 0; seed < 6; seed++) {
      Graph g = Graph.mlp(random, 40, 40 + 4 * seed, 8, 3);
      for (boolean exact : new boolean[] {false, true}) {
        String text = "";
        for (Program p : g.programs(JitOptions.defaults().withExact(exact))) {
          text += assertRolledEqualsStraightLine(p, exact, random);
        }

        assertTrue(text.contains("IF_ICMPLT"), "no loop in graph " + seed);
      }
    }
  }

  /**
   * A hidden layer's neurons are one loop nest in the gradient program: the updates of a neuron's
   * 64 weight gradients are its inner loop, the 32 neurons the outer.
   */
  @Test
  void nests_mlpGradient_hiddenLayerIsOneNestOverItsNeurons() {
    Tape tape = Graph.mlp(new SplittableRandom(3), 0, 64, 32, 10).tape(1);

    List<Rolling.Nest> nests = Rolling.nests(tape, Rolling.find(tape, 0));

    assertTrue(
        nests.stream()
            .anyMatch(n -> n.trips() == 32 && n.inner().stream().anyMatch(l -> l.trips() == 64)),
        "nests: " + nests);
  }

  /**
   * A hidden layer's forward sums are serial chains of partial sums, one per neuron, independent of
   * each other: their nest runs several neurons interleaved, then the neurons left over one by one.
   */
  @Test
  void jam_layerOfLongSums_interleavesIndependentNeurons() {
    Tape tape = Graph.mlp(new SplittableRandom(4), 0, 200, 10, 5).tape(0);
    List<Rolling.Nest> nests = Rolling.nests(tape, Rolling.find(tape, 0));

    int jam = nests.stream().mapToInt(n -> Rolling.jam(tape, n)).max().orElse(1);

    assertTrue(jam > 1 && 10 % jam != 0, "jam " + jam + ", nests: " + nests);
  }

  /**
   * A neuron's sum of 50 terms is three partial sums, one loop trip per neuron: the loop runs
   * several neurons interleaved, then the neurons left over one by one.
   */
  @Test
  void jam_loopOfShortSums_interleavesIndependentNeurons() {
    Tape tape = Graph.mlp(new SplittableRandom(6), 0, 50, 10, 3).tape(1);

    List<Rolling.Loop> jammed =
        Rolling.find(tape, 0).stream().filter(l -> Rolling.jam(tape, l) > 1).toList();

    assertTrue(
        jammed.stream().anyMatch(l -> l.trips() == 10 && 10 % Rolling.jam(tape, l) != 0),
        "interleaved loops: " + jammed);
  }

  /**
   * Six repetitions of a statement and a loop whose statement reads parameters at six strides: a
   * nest with more index terms than the emitter has index locals, so some are computed inline.
   */
  @Test
  void emit_nestWithMoreIndexTermsThanLocals_bitIdenticalToStraightLine() {
    int n = 40;
    Program.Builder b = new Program.Builder(n, 2000, 1);
    b.sink(b.binary(Op.MUL, b.leaf(Kind.INPUT, 0), b.leaf(Kind.PARAM, 0)), Program.OUTPUT, 0);
    for (int g = 0; g < 6; g++) {
      int first = b.binary(Op.MUL, b.leaf(Kind.INPUT, g), b.leaf(Kind.PARAM, g));
      int bias = b.binary(Op.ADD, b.leaf(Kind.PARAM_GRAD, 1000 + g), first);
      b.sink(bias, Program.PARAM_GRAD, 1000 + g);
      for (int k = 0; k < n; k++) {
        int sum = b.leaf(Kind.PARAM_GRAD, g * n + k);
        for (int stride = 2; stride <= 7; stride++) {
          int w = b.leaf(Kind.PARAM, stride * k + stride + 300 * g);
          sum = b.binary(Op.ADD, sum, b.binary(Op.MUL, w, b.leaf(Kind.INPUT, k)));
        }
        b.sink(sum, Program.PARAM_GRAD, g * n + k);
      }
    }
    Program p = Verifier.verify(b.build(), "hand-built");
    Tape tape = Tape.of(p, new Layout(p));
    List<Rolling.Nest> nests = Rolling.nests(tape, Rolling.find(tape, 0));

    assertRolledEqualsStraightLine(p, true, new SplittableRandom(8));

    assertTrue(
        nests.size() == 1 && Rolling.keys(tape, nests.get(0)) > Rolling.MAX_KEYS,
        "nests: " + nests);
  }

  /** The updates of a neuron's weights, descending in reverse mode, run as an ascending loop. */
  @Test
  void emit_independentDescendingUpdates_loopAscendsWithTheAdjointInALocal() {
    int n = 64;
    Program.Builder b = new Program.Builder(n, n, 1);
    int g = b.binary(Op.MUL, b.leaf(Kind.INPUT, 0), b.leaf(Kind.PARAM, 0));
    b.sink(g, Program.OUTPUT, 0);
    for (int k = n - 1; k >= 0; k--) {
      int product = b.binary(Op.MUL, b.leaf(Kind.INPUT, k), g);
      b.sink(b.binary(Op.ADD, b.leaf(Kind.PARAM_GRAD, k), product), Program.PARAM_GRAD, k);
    }
    Program p = Verifier.verify(b.build(), "hand-built");

    String text = assertRolledEqualsStraightLine(p, true, new SplittableRandom(5));

    assertTrue(text.contains("DLOAD"), "the adjoint is read into a local before the loop");
    assertTrue(!text.contains("INEG"), "the loop ascends");
  }
}
