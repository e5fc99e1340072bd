package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.MLP;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Compiled MLPs whose layers the emitter rolls into loops: size, validity and exactness. */
class RolledCodeTest {
  /** An MLP with a per-sample softmax cross-entropy loss; the one-hot label is inputs too. */
  static final class CrossEntropy {
    final List<Value> inputs = new ArrayList<>();
    final List<Value> params;
    final Value loss;

    CrossEntropy(int features, int hidden, int classes) {
      MLP mlp = new MLP(new SplittableRandom(11), features, hidden, classes);
      params = mlp.parameters();
      for (int i = 0; i < features + classes; i++) {
        inputs.add(Value.of(0, "x" + i));
      }
      List<Value> logits = mlp.apply(inputs.subList(0, features));
      List<Value> exps = new ArrayList<>();
      for (Value z : logits) {
        exps.add(z.exp());
      }
      loss = Value.sum(exps).log().sub(Value.dot(inputs.subList(features, inputs.size()), logits));
    }

    /** Returns a fresh point: features in [-1, 1] and a one-hot label. */
    double[] sample(SplittableRandom random, int features, int classes) {
      double[] x = new double[features + classes];
      for (int i = 0; i < features; i++) {
        x[i] = random.nextDouble(-1, 1);
      }
      x[features + random.nextInt(classes)] = 1;
      return x;
    }
  }

  /** The bytes of {@code m}'s gradient program rolled whatever its size (stages 1 to 9). */
  private static int rolledGradientBytes(CrossEntropy m) {
    JitOptions options = JitOptions.defaults();
    Program traced = Tracer.trace(List.of(m.loss), m.inputs, m.params);
    Program differentiable =
        Compiler.run(Passes.beforeReverse(options), Lowering.expandNary(traced));
    Program gradient = Compiler.gradientProgram(differentiable, false, options);
    return Emitter.emit(gradient, new Layout(gradient), 0).bytes();
  }

  @Test
  void classBytes_mnistSizedLayer_everyMethodVerifiesAndStaysUnderHugeMethodLimit() {
    CrossEntropy m = new CrossEntropy(784, 16, 10);
    CompiledGraph g = Jit.compile(m.loss, m.inputs, m.params);
    g.valueAndGrad(
        new double[794], new double[g.paramCount()], new double[794], new double[g.paramCount()]);

    List<byte[]> classes = g.classBytes();

    assertEquals(3, classes.size(), "forward, gradient and input-gradient code");
    for (byte[] c : classes) {
      CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(c);
    }
  }

  /**
   * Straight-line code grows with the weights: twice the features, about twice the bytes. Rolled
   * code grows with the neurons, whose number stays the same here.
   */
  @Test
  void emit_twiceTheFeatures_lessThanAQuarterMoreCode() {
    CrossEntropy narrow = new CrossEntropy(392, 8, 4);
    CrossEntropy wide = new CrossEntropy(784, 8, 4);

    int narrowBytes = rolledGradientBytes(narrow);
    int wideBytes = rolledGradientBytes(wide);

    assertTrue(
        wideBytes < 1.25 * narrowBytes,
        "392 features: " + narrowBytes + " bytes, 784 features: " + wideBytes + " bytes");
  }

  @Test
  void valueAndGrad_rolledMlpAtFreshPoints_matchesInterpreter() {
    int features = 784;
    int classes = 10;
    CrossEntropy m = new CrossEntropy(features, 16, classes);
    CompiledGraph exact =
        Jit.compile(List.of(m.loss), m.inputs, m.params, JitOptions.defaults().withExact(true));
    CompiledGraph fast = Jit.compile(m.loss, m.inputs, m.params);
    SplittableRandom random = new SplittableRandom(13);
    for (int t = 0; t < 3; t++) {
      double[] x = m.sample(random, features, classes);
      double[] p = random.doubles(m.params.size(), -0.3, 0.3).toArray();

      double[] expected = Oracle.interpret(m.loss, m.inputs, m.params, x, p);

      Oracle.assertBitIdentical(expected, Oracle.compiled(exact, x, p), "exact mode");
      Oracle.assertSameNumbers(expected, Oracle.compiled(fast, x, p), "default mode");
    }
    assertTrue(
        fast.bytecode().contains("IF_ICMPLT"),
        "a gradient program this large is rolled into loops");
  }

  @Test
  void valueAndGradBatch_rolledMlpAnyRowCount_equalsBlockwiseSumOfSingleCalls() {
    int features = 784;
    int classes = 10;
    CrossEntropy m = new CrossEntropy(features, 16, classes);
    CompiledGraph g = Jit.compile(m.loss, m.inputs, m.params);
    SplittableRandom random = new SplittableRandom(17);
    double[] p = random.doubles(m.params.size(), -0.5, 0.5).toArray();
    for (int rows : new int[] {1, 15, 16, 17, 1000}) {
      double[] data = new double[rows * (features + classes)];
      for (int r = 0; r < rows; r++) {
        double[] x = m.sample(random, features, classes);
        System.arraycopy(x, 0, data, r * x.length, x.length);
      }
      double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
      double[] grad = new double[p.length];

      double sum = g.valueAndGradBatch(data, rows, p, grad);

      Oracle.assertBitIdentical(
          expected, Oracle.concat(sum, new double[0], grad), rows + " rows, sum and gradient");
    }
  }
}
