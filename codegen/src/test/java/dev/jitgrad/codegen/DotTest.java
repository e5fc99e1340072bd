package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Init;
import dev.jitgrad.nn.MLP;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Neurons' sums kept whole as DOTs through reverse mode and the passes, their weight gradients as
 * UPDATEs ({@link Kind#DOT}, {@link Kind#UPDATE}): compiled code against the interpreter, gradients
 * of inputs and params, to the bit in exact mode.
 */
class DotTest {
  private static final JitOptions EXACT = JitOptions.defaults().withExact(true);

  /** Products enough for a DOT. */
  private static final int N = Tracer.Dots.MIN_PRODUCTS;

  /** {@code {value, inputGrad..., paramGrad...}} compiled and interpreted, to the bit. */
  private static void assertMatchesInterpreter(
      Value y, List<Value> x, List<Value> w, double[] xs, double[] ws, JitOptions options) {
    double[] expected = Oracle.interpret(y, x, w, xs, ws);

    double[] actual = Oracle.compiled(Jit.compile(List.of(y), x, w, options), xs, ws);

    if (options.exact()) {
      Oracle.assertBitIdentical(expected, actual, "exact");
    } else {
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 0.0, "element " + i); // == up to the sign of a zero
      }
    }
  }

  @Test
  void valueAndGrad_valueDotFromMinusZero_matchesTheEngineOnSignedZerosAndNonFinites() {
    // Value.dot's DOT starts from -0.0, which the engine's sum does not: -0.0 + p = p for every
    // double p, so a sum of -0.0 products stays -0.0 and NaN and infinities pass as they are
    List<Value> x = new ArrayList<>();
    List<Value> w = new ArrayList<>();
    for (int i = 0; i <= N; i++) {
      x.add(Value.of(0, "x" + i));
      w.add(Value.of(0, "w" + i));
    }
    Value y = Value.dot(w, x).tanh();
    double[][] xsCases = {
      filled(N + 1, -0.0), filled(N + 1, 0.0), filled(N + 1, 1.5), filled(N + 1, -2.0)
    };
    double[][] wsCases = {
      filled(N + 1, 0.0),
      filled(N + 1, -0.0),
      filled(N + 1, Double.NaN),
      withFirst(0.5, Double.POSITIVE_INFINITY)
    };

    for (double[] xs : xsCases) {
      for (double[] ws : wsCases) {
        assertMatchesInterpreter(y, x, w, xs, ws, EXACT);
        assertMatchesInterpreter(y, x, w, xs, ws, JitOptions.defaults());
      }
    }
    double[] allNegativeZero =
        Oracle.compiled(
            Jit.compile(List.of(Value.dot(w, x)), x, w, EXACT),
            filled(N + 1, -0.0),
            filled(N + 1, 1.0));
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(allNegativeZero[0]));
  }

  private static double[] filled(int n, double v) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  private static double[] withFirst(double rest, double first) {
    double[] a = filled(N + 1, rest);
    a[0] = first;
    return a;
  }

  @Test
  void valueAndGrad_xReadBetweenItsProductAndTheSum_addsItsGradientInTheEnginesOrder() {
    // x0's gradient, from 0.25, gains 1e16 (y's last term), then 1 (through u), then -1e16 (from
    // w0·x0): ((0.25 + 1e16) + 1) - 1e16 = 0 in the engine's order, 1 if w0·x0's came before u's.
    List<Value> x = new ArrayList<>();
    List<Value> w = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      x.add(Value.of(0, "x" + i));
      w.add(Value.of(0, "w" + i));
    }
    Value b = Value.of(0, "b");
    List<Value> terms = new ArrayList<>(List.of(b, w.get(0).mul(x.get(0))));
    terms.add(w.get(1).mul(x.get(0).mul(2.0))); // u = 2·x0, read between w0·x0 and the sum
    for (int i = 2; i < N; i++) {
      terms.add(w.get(i).mul(x.get(i)));
    }
    Value y = Value.sum(terms).add(x.get(0).mul(1e16));
    List<Value> params = new ArrayList<>(w);
    params.add(b);
    double[] xs = new double[N];
    xs[0] = 0.25;
    double[] ws = new double[N + 1];
    ws[0] = -1e16;
    ws[1] = 0.5;

    double[] interpreted = Oracle.interpret(y, x, params, xs, ws);

    assertEquals(0.0, interpreted[1], "the engine's x0 gradient");
    assertMatchesInterpreter(y, x, params, xs, ws, EXACT);
    assertMatchesInterpreter(y, x, params, xs, ws, JitOptions.defaults());
  }

  @Test
  void valueAndGrad_mlpWithInputGradients_matchesTheInterpreterToTheBit() {
    SplittableRandom random = new SplittableRandom(61);
    MLP mlp = new MLP(random, Init.HE, N, N, 3);
    List<Value> x = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      x.add(Value.of(0, "x" + i));
    }
    List<Value> out = mlp.apply(x);
    Value y = Value.sum(out.get(0).tanh(), out.get(1).mul(out.get(2)), x.get(3).exp());
    double[] xs = random.doubles(N, -2, 2).toArray();
    double[] ws = random.doubles(mlp.parameters().size(), -1, 1).toArray();
    Program traced = Tracer.trace(List.of(y), x, mlp.parameters());
    int dots = 0;
    for (int i = 0; i < traced.size; i++) {
      dots += traced.kind(i) == Kind.DOT ? 1 : 0;
    }

    assertEquals(N + 3, dots, "a DOT per neuron");
    assertMatchesInterpreter(y, x, mlp.parameters(), xs, ws, EXACT);
    assertMatchesInterpreter(y, x, mlp.parameters(), xs, ws, JitOptions.defaults());
  }

  @Test
  void valueAndGrad_weightsOnTheRightOverHiddenValues_matchesTheInterpreterToTheBit() {
    SplittableRandom random = new SplittableRandom(71);
    List<Value> x = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    List<Value> terms = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      x.add(Value.of(0, "x" + i));
      params.add(Value.of(0, "w" + i));
    }
    params.add(Value.of(0, "b"));
    terms.add(params.get(N));
    for (int i = 0; i < N; i++) {
      terms.add(x.get(i).tanh().mul(params.get(i))); // tanh(x)·w: the weight on the right
    }
    Value y = Value.sum(terms).sigmoid();
    double[] xs = random.doubles(N, -2, 2).toArray();
    double[] ws = random.doubles(N + 1, -1, 1).toArray();
    Program traced = Tracer.trace(List.of(y), x, params);
    int dot = -1;
    for (int i = 0; i < traced.size; i++) {
      dot = traced.kind(i) == Kind.DOT ? i : dot;
    }

    assertTrue(dot >= 0, traced.toString());
    assertEquals(-1.0, traced.k2(dot), "weights on the right, one apart");
    assertMatchesInterpreter(y, x, params, xs, ws, EXACT);
    assertMatchesInterpreter(y, x, params, xs, ws, JitOptions.defaults());
  }

  @Test
  void gradientProgram_firstLayerDots_keepOneUpdatePerNeuronUntilExpanded() {
    MLP mlp = new MLP(new SplittableRandom(67), Init.HE, N, 6, 2);
    List<Value> x = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      x.add(Value.of(0, "x" + i));
    }
    Value y = Value.sum(mlp.apply(x));
    Program differentiable = Tracer.trace(List.of(y), x, mlp.parameters());

    Program reversed = Reverse.differentiate(differentiable, false, false);
    Program expanded = Lowering.expandNary(reversed);

    int updates = 0;
    for (int i = 0; i < reversed.size; i++) {
      updates += reversed.kind(i) == Kind.UPDATE ? 1 : 0;
    }
    // the 6 neurons over inputs; the 2 over 6 hidden values are sums of products
    assertEquals(6, updates, "an UPDATE per first-layer neuron");
    for (int i = 0; i < expanded.size; i++) {
      assertTrue(!expanded.kind(i).isStructured(), "expanded: " + expanded.name(i));
    }
    Verifier.verify(reversed, "reverse mode");
    Verifier.verify(expanded, "expand");
    assertEquals(Lowering.expandedSize(reversed), expanded.size, "nothing dead");
  }
}
