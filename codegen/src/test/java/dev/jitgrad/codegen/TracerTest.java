package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Neuron;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TracerTest {
  @Test
  void trace_sumOfFourLeaves_keepsOneSumWithFourOperands() {
    List<Value> leaves = List.of(Value.of(1), Value.of(2), Value.of(3), Value.of(4));

    Program p = Tracer.trace(List.of(Value.sum(leaves)), List.of(), leaves);

    assertEquals(5, p.size);
    assertEquals(Op.SUM, p.op(4));
    assertEquals(4, p.arity(4));
    for (int j = 0; j < 4; j++) {
      assertEquals(j, p.operand(4, j));
    }
  }

  /** Products enough for a DOT. */
  private static final int N = Tracer.Dots.MIN_PRODUCTS;

  @Test
  void trace_dotOfParams_becomesOneDotFromMinusZero() {
    List<Value> w = leaves(N + 1);
    List<Value> x = inputs(N + 1);

    Program p = Tracer.trace(List.of(Value.dot(w, x)), x, w);

    // ((w0·x0 + w1·x1) + w2·x2) ... = ((-0.0 + w0·x0) + w1·x1) ...: every product in the DOT
    int dot = p.sinkValue[0];
    assertEquals(Kind.DOT, p.kind(dot));
    assertEquals(Kind.CONST, p.kind(p.operand(dot, 0)));
    assertEquals(
        Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(p.k[p.operand(dot, 0)]));
    assertEquals(List.of(0, 1.0), List.of(p.index(dot), p.k2(dot)), "params from 0, 1 apart");
    for (int j = 1; j <= N + 1; j++) {
      assertEquals(
          List.of(Kind.INPUT, j - 1),
          List.of(p.kind(p.operand(dot, j)), p.index(p.operand(dot, j))));
    }
    assertEquals(N + 2, p.arity(dot));
  }

  @Test
  void trace_dotWhoseFirstProductIsNoWeights_becomesADotAfterIt() {
    List<Value> w = leaves(N + 1);
    List<Value> x = inputs(N + 1);
    List<Value> first = new ArrayList<>(w);
    first.set(0, w.get(0).tanh()); // not a listed param: the first product stays the DOT's head

    Program p = Tracer.trace(List.of(Value.dot(first, x)), x, w);

    int dot = p.sinkValue[0];
    assertEquals(Kind.DOT, p.kind(dot));
    assertEquals(Op.MUL, p.op(p.operand(dot, 0)));
    assertEquals(List.of(1, 1.0), List.of(p.index(dot), p.k2(dot)), "params from 1, 1 apart");
    assertEquals(N + 1, p.arity(dot));
  }

  @Test
  void trace_neuron_becomesADotAfterTheBias() {
    Neuron neuron = new Neuron(N, false, new SplittableRandom(3));
    List<Value> x = inputs(N);

    Program p = Tracer.trace(List.of(neuron.apply(x)), x, neuron.parameters());

    int dot = p.sinkValue[0];
    assertEquals(Kind.DOT, p.kind(dot));
    assertEquals(
        List.of(Kind.PARAM, N), List.of(p.kind(p.operand(dot, 0)), p.index(p.operand(dot, 0))));
    assertEquals(List.of(0, 1.0), List.of(p.index(dot), p.k2(dot)), "the weights, then the bias");
    assertEquals(N + 1, p.arity(dot));
    assertEquals(N + 2, p.size, "the inputs, the bias and the DOT: no weight reads, no products");
  }

  @Test
  void trace_neuronOfFewerInputs_staysASumOfProducts() {
    Neuron neuron = new Neuron(N - 1, false, new SplittableRandom(3));
    List<Value> x = inputs(N - 1);

    Program p = Tracer.trace(List.of(neuron.apply(x)), x, neuron.parameters());

    assertEquals(Op.SUM, p.op(p.sinkValue[0]));
  }

  @Test
  void trace_inputTimesWeight_marksTheWeightsOnTheRight() {
    List<Value> w = leaves(N);
    List<Value> x = inputs(N);
    List<Value> terms = new ArrayList<>(List.of(Value.of(0.5)));
    for (int i = 0; i < N; i++) {
      terms.add(x.get(i).mul(w.get(i)));
    }

    Program p = Tracer.trace(List.of(Value.sum(terms)), x, w);

    int dot = p.sinkValue[0];
    assertEquals(Kind.DOT, p.kind(dot));
    assertEquals(-1.0, p.k2(dot));
    assertEquals(Kind.CONST, p.kind(p.operand(dot, 0)), "an unlisted leaf is a constant");
  }

  @Test
  void trace_sumsThatCannotBeDots_stayProducts() {
    List<Value> x = inputs(N);
    List<Value> w = leaves(N + 1);
    Value b = w.get(N);
    // weights not evenly spaced: the first two swapped
    Value shuffled = neuronSum(b, w, x, 1, 0);
    // a weight read twice
    Value shared = neuronSum(b, w, x, 0, 1).add(w.get(1));
    // x0 read between its product and the sum, by the second product's factor
    List<Value> xs = new ArrayList<>(x);
    xs.set(1, x.get(0).tanh());
    Value between = neuronSum(b, w, xs, 0, 1);
    // a term that is no product, right after the first product
    List<Value> terms = new ArrayList<>(List.of(b, w.get(0).mul(x.get(0)), x.get(1)));
    for (int i = 2; i < N; i++) {
      terms.add(w.get(i).mul(x.get(i)));
    }
    Value notAProduct = Value.sum(terms);

    for (Value y : List.of(shuffled, shared, between, notAProduct)) {
      Program p = Tracer.trace(List.of(y), x, w);

      for (int i = 0; i < p.size; i++) {
        assertNotEquals(Kind.DOT, p.kind(i), p.toString());
      }
    }
    assertEquals(Kind.DOT, Tracer.trace(List.of(neuronSum(b, w, x, 0, 1)), x, w).kind(N + 1));
  }

  /** Returns {@code b + w[first]·x0 + w[second]·x1 + w2·x2 + ...}. */
  private static Value neuronSum(Value b, List<Value> w, List<Value> x, int first, int second) {
    List<Value> terms = new ArrayList<>(List.of(b));
    for (int i = 0; i < x.size(); i++) {
      terms.add(w.get(i == 0 ? first : i == 1 ? second : i).mul(x.get(i)));
    }
    return Value.sum(terms);
  }

  private static List<Value> leaves(int n) {
    List<Value> w = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      w.add(Value.of(i + 1.0, "w" + i));
    }
    return w;
  }

  private static List<Value> inputs(int n) {
    List<Value> x = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      x.add(Value.of(i + 0.5, "x" + i));
    }
    return x;
  }

  @Test
  void trace_leaves_becomeInputParamAndConstantReads() {
    Value x = Value.of(1, "x");
    Value w = Value.of(2, "w");
    Value c = Value.of(3, "c");

    Program p = Tracer.trace(List.of(x.mul(w).add(c)), List.of(x), List.of(w));

    assertEquals(
        "%0 = INPUT[0]\n%1 = PARAM[0]\n%2 = MUL %0 %1\n%3 = CONST 3.0\n%4 = ADD %2 %3\n"
            + "output[0] = %4\n",
        p.toString());
  }

  @Property(tries = 200)
  void trace_wildDag_interpretsToEnginesOutput(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    RandomGraphs.Sample s = RandomGraphs.wild(new SplittableRandom(seed), leaves, ops);
    double[] p = new double[leaves];
    for (int i = 0; i < leaves; i++) {
      p[i] = s.leaves().get(i).data();
    }

    Program traced = Tracer.trace(List.of(s.output()), List.of(), s.leaves());

    Verifier.verify(traced, "trace");
    Oracle.assertBitIdentical(
        new double[] {s.output().data()},
        new double[] {Programs.interpret(traced, new double[0], p)[0]},
        "traced program");
  }
}
