package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Graphs built to break the arguments that let the emitter reorder, hoist and interleave loop trips
 * and let the passes fold and drop sum terms: weights shared between neurons and layers (one
 * parameter gradient accumulated by many trips), a parameter repeated within a dot, inputs read by
 * every neuron (input gradients accumulated by many trips), sums holding one node several times and
 * signed zeros, NaN and infinities among their constants, layer widths that leave 1, 2 and 3 trips
 * after the interleaved groups. Compiled, every graph must give {@code backward()}'s numbers in
 * default mode and its bits in exact mode, at points full of NaN, infinities, signed zeros and
 * extremes.
 */
class AdversarialLoopsTest {
  private static final double[] SPECIAL = {
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    -0.0,
    0.0,
    Double.MAX_VALUE,
    -Double.MAX_VALUE,
    Double.MIN_VALUE,
    -1e-310,
    1e154
  };

  /** A graph to compile: its loss, inputs and params. */
  private record Case(Value loss, List<Value> inputs, List<Value> params) {}

  /** Returns {@code n} numbers in [-2, 2], about one in {@code every} a special value. */
  static double[] point(SplittableRandom random, int n, int every) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] =
          every > 0 && random.nextInt(every) == 0
              ? SPECIAL[random.nextInt(SPECIAL.length)]
              : random.nextDouble(-2, 2);
    }
    return x;
  }

  /**
   * Asserts that {@code c} compiled gives the interpreter's numbers in default mode and its bits in
   * exact mode at a finite point and at points with special values, through the gradient code and
   * the forward-only code; returns the default bytecode.
   */
  private static String assertMatchesBackward(Case c, SplittableRandom random) {
    CompiledGraph fast = Jit.compile(c.loss(), c.inputs(), c.params());
    CompiledGraph exact =
        Jit.compile(
            List.of(c.loss()), c.inputs(), c.params(), JitOptions.defaults().withExact(true));
    for (byte[] bytes : fast.classBytes()) {
      CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(bytes);
    }
    for (byte[] bytes : exact.classBytes()) {
      CompiledGraphTest.assertVerifiesUnderHugeMethodLimit(bytes);
    }
    for (int every : new int[] {0, 40, 5, 2}) {
      double[] x = point(random, c.inputs().size(), every);
      double[] p = point(random, c.params().size(), every);

      double[] expected = Oracle.interpret(c.loss(), c.inputs(), c.params(), x, p);

      Oracle.assertSameNumbers(
          expected, Oracle.compiled(fast, x, p), "default mode, specials 1/" + every);
      Oracle.assertBitIdentical(
          expected, Oracle.compiled(exact, x, p), "exact mode, specials 1/" + every);
      Oracle.assertSameNumbers(
          new double[] {expected[0]},
          new double[] {fast.forward(x, p)},
          "default forward, specials 1/" + every);
      Oracle.assertBitIdentical(
          new double[] {expected[0]},
          new double[] {exact.forward(x, p)},
          "exact forward, specials 1/" + every);
    }
    return fast.bytecode();
  }

  private static List<Value> leaves(int n, String name, List<Value> into) {
    List<Value> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Value v = Value.of(0, name + i);
      out.add(v);
      into.add(v);
    }
    return out;
  }

  /** Returns {@code tanh(dot(weights[n], x) + bias[n])} for each neuron {@code n}. */
  private static List<Value> layer(List<List<Value>> weights, List<Value> bias, List<Value> x) {
    List<Value> out = new ArrayList<>();
    for (int n = 0; n < weights.size(); n++) {
      out.add(Value.dot(weights.get(n), x).add(bias.get(n)).tanh());
    }
    return out;
  }

  /** Returns {@code log(sum(exp(z))) - z[0]}: every output feeds the loss. */
  private static Value crossEntropy(List<Value> z) {
    List<Value> exps = new ArrayList<>();
    for (Value v : z) {
      exps.add(v.exp());
    }
    return Value.sum(exps).log().sub(z.get(0));
  }

  /**
   * Every neuron of a layer has the same weights (one parameter gradient written by every trip of
   * the layer's nest), two layers share one matrix, and the widths leave 3, 2 and 1 neurons after
   * groups of four.
   */
  @Test
  void compile_weightsSharedWithinAndAcrossLayers_matchesBackward() {
    SplittableRandom random = new SplittableRandom(101);
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    List<Value> x = leaves(48, "x", inputs);
    List<Value> shared = leaves(48, "w", params);
    List<List<Value>> w1 = new ArrayList<>();
    for (int n = 0; n < 11; n++) {
      w1.add(shared);
    }
    List<List<Value>> v = new ArrayList<>();
    for (int n = 0; n < 11; n++) {
      v.add(leaves(11, "v" + n + "_", params));
    }
    List<List<Value>> w4 = new ArrayList<>();
    for (int n = 0; n < 9; n++) {
      w4.add(leaves(11, "u" + n + "_", params));
    }
    List<Value> h = layer(w1, leaves(11, "b", params), x);
    h = layer(v, leaves(11, "c", params), h);
    h = layer(v, leaves(11, "d", params), h);
    List<Value> z = layer(w4, leaves(9, "e", params), h);

    String code = assertMatchesBackward(new Case(crossEntropy(z), inputs, params), random);

    assertTrue(code.contains("IF_ICMPLT"), "no loop was written");
  }

  /**
   * Each neuron's dot reads three parameters over and over (one gradient element accumulated by
   * many statements of one loop), and the inputs feed every neuron, so their gradients accumulate
   * across the layer's trips too.
   */
  @Test
  void compile_parameterRepeatedWithinDots_matchesBackward() {
    SplittableRandom random = new SplittableRandom(102);
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    List<Value> x = leaves(64, "x", inputs);
    List<List<Value>> weights = new ArrayList<>();
    for (int n = 0; n < 14; n++) {
      List<Value> mine = leaves(3, "w" + n + "_", params);
      List<Value> row = new ArrayList<>();
      for (int k = 0; k < x.size(); k++) {
        row.add(mine.get(k % 3));
      }
      weights.add(row);
    }
    List<Value> h = layer(weights, leaves(14, "b", params), x);
    List<List<Value>> out = new ArrayList<>();
    for (int n = 0; n < 6; n++) {
      out.add(leaves(14, "u" + n + "_", params));
    }

    String code =
        assertMatchesBackward(
            new Case(crossEntropy(layer(out, leaves(6, "c", params), h)), inputs, params), random);

    assertTrue(code.contains("IF_ICMPLT"), "no loop was written");
  }

  /**
   * Neurons whose sums hold a product several times, one node in several places, and leading and
   * trailing constants: signed zeros, huge values whose sum overflows in one order only, NaN and
   * infinities. With NaN among the constants the loss is a plain sum, so the other neurons'
   * gradients stay finite; without, the reciprocals of sums of signed zeros are logits too, so the
   * sign of every zero sum shows in the loss.
   */
  @Test
  void compile_sumsWithRepeatedTermsAndSpecialConstants_matchesBackward() {
    SplittableRandom random = new SplittableRandom(103);
    double[][] finite = {
      {-0.0, -0.0},
      {-0.0, 0.0},
      {0.0, -0.0},
      {Double.MAX_VALUE, Double.MAX_VALUE},
      {Double.MAX_VALUE, -Double.MAX_VALUE},
      {1e308, -1e308, 1e308},
      {1.0, 1e-17, 1e-17},
      {},
      {Double.POSITIVE_INFINITY}
    };
    double[][] nonFinite = {
      {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY},
      {-0.0, Double.NaN, 1.0},
      {Double.NEGATIVE_INFINITY, -0.0},
      {0.0, 0.0}
    };

    String code = assertMatchesBackward(sums(finite, true), random);
    assertMatchesBackward(sums(nonFinite, false), random);

    assertTrue(code.contains("IF_ICMPLT"), "no loop was written");
  }

  /**
   * Returns the graph of {@link #compile_sumsWithRepeatedTermsAndSpecialConstants_matchesBackward}.
   */
  private static Case sums(double[][] heads, boolean reciprocals) {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    List<Value> x = leaves(40, "x", inputs);
    List<Value> hidden = new ArrayList<>();
    for (int n = 0; n < 13; n++) {
      List<Value> w = leaves(x.size(), "w" + n + "_", params);
      List<Value> terms = new ArrayList<>();
      for (double c : heads[n % heads.length]) {
        terms.add(Value.of(c));
      }
      Value first = w.get(0).mul(x.get(0));
      for (int k = 0; k < x.size(); k++) {
        Value product = w.get(k).mul(x.get(k));
        terms.add(product);
        if (k % 7 == 0) {
          terms.add(product);
          terms.add(Value.of(-0.0));
        }
        if (k % 11 == 0) {
          terms.add(first);
        }
      }
      terms.add(Value.of(n % 2 == 0 ? -0.0 : 0.0));
      hidden.add(Value.sum(List.of(Value.sum(terms))).tanh());
    }
    hidden.add(Value.sum(hidden.get(0), hidden.get(0), Value.of(-0.0), hidden.get(1)));
    if (!reciprocals) {
      return new Case(Value.sum(hidden), inputs, params);
    }
    Value negativeZero = x.get(1).mul(Value.of(0.0)).abs().neg(); // -0.0 unless x1 is NaN or ±inf
    hidden.add(Value.of(1).div(Value.sum(Value.of(-0.0), Value.of(-0.0), negativeZero)).tanh());
    hidden.add(Value.of(1).div(Value.sum(Value.of(0.0), negativeZero)).tanh());
    hidden.add(Value.of(1).div(Value.sum(negativeZero, Value.of(0.0), Value.of(-0.0))).tanh());
    hidden.add(Value.of(1).div(Value.sum(Value.of(0.0), Value.of(-0.0), negativeZero)).tanh());
    // (1 + a) + b and (a + b) + 1 differ when a and b are below half an ulp of 1 but their sum is
    // not
    for (int k = 2; k < 18; k += 2) {
      Value a = x.get(k).mul(1e-16);
      Value b = x.get(k + 1).mul(1e-16);
      hidden.add(Value.sum(Value.of(1.0), Value.of(0.0), a, b).sub(1.0).mul(1e16));
    }
    return new Case(crossEntropy(hidden), inputs, params);
  }

  /**
   * MLPs with input gradients whose layer widths leave every remainder after groups of four
   * interleaved neurons, very wide layers (the last with indices past 32767), a deep chain of
   * narrow layers, and a wild random DAG on top of some.
   */
  @Test
  void compile_mlpsWithEveryJamRemainder_matchesBackward() {
    int[][] shapes = {
      {33, 9, 7, 3},
      {17, 10, 11, 2},
      {300, 5, 1},
      {24, 13, 13, 13, 13, 6},
      {2, 16, 16, 1},
      {400, 90, 3}
    };
    SplittableRandom random = new SplittableRandom(104);
    for (int i = 0; i < shapes.length; i++) {
      LoopFormsTest.Graph g = LoopFormsTest.Graph.mlp(random, i % 2 == 0 ? 30 : 0, shapes[i]);

      String code = assertMatchesBackward(new Case(g.loss(), g.inputs(), g.params()), random);

      assertTrue(code.contains("IF_ICMPLT"), "no loop in shape " + i);
    }
  }

  /**
   * A recurrence whose every step looks like a neuron of one layer but starts its sum with the
   * previous step's output: the trips of that would-be layer depend on each other, so none may run
   * interleaved with or before the one it reads.
   */
  @Test
  void compile_recurrenceShapedLikeALayer_matchesBackward() {
    SplittableRandom random = new SplittableRandom(106);
    for (int steps : new int[] {9, 10, 11, 12}) {
      List<Value> inputs = new ArrayList<>();
      List<Value> params = new ArrayList<>();
      List<Value> x = leaves(200, "x", inputs);
      List<Value> shared = leaves(200, "s", params);
      List<Value> outputs = new ArrayList<>();
      Value h = Value.of(0.5);
      for (int n = 0; n < steps; n++) {
        List<Value> w = steps % 2 == 0 ? shared : leaves(200, "w" + n + "_", params);
        List<Value> terms = new ArrayList<>();
        terms.add(h);
        for (int k = 0; k < x.size(); k++) {
          terms.add(w.get(k).mul(x.get(k)));
        }
        h = Value.sum(terms).tanh();
        outputs.add(h);
      }

      String code = assertMatchesBackward(new Case(crossEntropy(outputs), inputs, params), random);

      assertTrue(code.contains("IF_ICMPLT"), "no loop for " + steps + " steps");
    }
  }

  /**
   * Wide neurons whose every term is scaled by the neuron's own parameter: each trip of the layer's
   * interleaved nest reads its own scale, once per trip, before the loop over the terms.
   */
  @Test
  void compile_wideNeuronsWithOwnScale_matchesBackward() {
    SplittableRandom random = new SplittableRandom(107);
    for (int neurons : new int[] {9, 10, 11, 12}) {
      List<Value> inputs = new ArrayList<>();
      List<Value> params = new ArrayList<>();
      List<Value> x = leaves(200, "x", inputs);
      List<Value> scale = leaves(neurons, "a", params);
      List<Value> hidden = new ArrayList<>();
      for (int n = 0; n < neurons; n++) {
        List<Value> w = leaves(x.size(), "w" + n + "_", params);
        List<Value> terms = new ArrayList<>();
        for (int k = 0; k < x.size(); k++) {
          terms.add(w.get(k).mul(x.get(k)).mul(scale.get(n)));
        }
        hidden.add(Value.sum(terms).tanh());
      }

      String code = assertMatchesBackward(new Case(crossEntropy(hidden), inputs, params), random);

      assertTrue(code.contains("IF_ICMPLT"), "no loop for " + neurons + " neurons");
    }
  }

  /** Random wild DAGs around several layers over shared inputs, at the same special points. */
  @Test
  void compile_randomCasesFeedingSharedLayers_matchesBackward() {
    SplittableRandom random = new SplittableRandom(105);
    for (int round = 0; round < 4; round++) {
      Oracle.RandomCase wild = Oracle.RandomCase.draw(random, 8, 40);
      List<Value> inputs = new ArrayList<>(wild.inputs());
      List<Value> params = new ArrayList<>(wild.params());
      List<Value> x = leaves(30 + round, "x", inputs);
      x.add(wild.sample().output());
      List<List<Value>> w = new ArrayList<>();
      for (int n = 0; n < 8 + round; n++) {
        w.add(n % 3 == 0 && n > 0 ? w.get(n - 1) : leaves(x.size(), "w" + n + "_", params));
      }
      List<Value> h = layer(w, leaves(w.size(), "b", params), x);
      h.add(wild.sample().output());

      String code = assertMatchesBackward(new Case(crossEntropy(h), inputs, params), random);

      assertTrue(code.contains("IF_ICMPLT"), "no loop in round " + round);
    }
  }
}
