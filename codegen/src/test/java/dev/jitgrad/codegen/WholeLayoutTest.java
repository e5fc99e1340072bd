package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.MLP;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * DOTs and UPDATEs kept whole by {@link Lowering#lower}: {@link Layout} and {@link Tape} on the
 * lowered program against the same on {@link Lowering#expandNary} of it, statement by statement
 * (tokens, indices, tree sizes) and in workspace size; where an UPDATE is the last reader of two or
 * more stored values (whose slots the lowered layout may number differently), every workspace read
 * must still read what the expanded program's statement reads, and compiled code must match the
 * interpreter to the bit.
 */
class WholeLayoutTest {
  private static final JitOptions EXACT = JitOptions.defaults().withExact(true);
  private static final JitOptions DEFAULT = JitOptions.defaults();
  private static final JitOptions INTERPRETED =
      EXACT.withBackend(JitOptions.Backend.IR_INTERPRETER);

  private static final int[] ROWS = {1, 15, 16, 17};

  /** What {@link #check} found over the programs of one test. */
  private static final class Tally {
    int wholeDots;
    int wholeUpdates;
    int identical;
    int renumbered;
    int expandedStructures;
  }

  private static List<Value> leaves(String name, int n) {
    List<Value> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Value.of(0, name + i));
    }
    return out;
  }

  private static int count(Program p, Kind kind) {
    int n = 0;
    for (int i = 0; i < p.size; i++) {
      n += p.kind(i) == kind ? 1 : 0;
    }
    return n;
  }

  /** The differentiable program of {@code outputs}, as the compiler makes it. */
  private static Program differentiable(
      List<Value> outputs, List<Value> x, List<Value> w, JitOptions options) {
    return Compiler.run(Passes.beforeReverse(options), Tracer.trace(outputs, x, w));
  }

  /**
   * Checks the forward program and both gradient programs of {@code outputs} in {@code options}'
   * mode; returns the lowered programs.
   */
  private static List<Program> checkAll(
      List<Value> outputs, List<Value> x, List<Value> w, JitOptions options, Tally tally) {
    Program d = differentiable(outputs, x, w, options);
    List<Program> lowered =
        List.of(
            Compiler.forwardProgram(d, options),
            Compiler.gradientProgram(d, false, options),
            Compiler.gradientProgram(d, true, options));
    tally.expandedStructures += count(d, Kind.DOT) - count(lowered.get(0), Kind.DOT);
    for (Program p : lowered) {
      check(p, tally);
    }
    return lowered;
  }

  /**
   * Asserts that the statements of lowered program {@code p} are those of its expansion: equal to
   * the index where no UPDATE frees two values, else equal but for workspace slots, with the same
   * data flow through the workspace.
   */
  private static void check(Program p, Tally tally) {
    Program expanded = Lowering.expandNary(p);
    Layout lowLayout = new Layout(p);
    Layout expLayout = new Layout(expanded);
    Tape low = Tape.of(p, lowLayout);
    Tape exp = Tape.of(expanded, expLayout);
    tally.wholeDots += count(p, Kind.DOT);
    tally.wholeUpdates += count(p, Kind.UPDATE);
    assertEquals(0, count(expanded, Kind.DOT) + count(expanded, Kind.UPDATE), "expanded");

    boolean renumbered = updateFreesTwo(p, lowLayout);

    assertEquals(exp.size(), low.size(), "statements");
    for (int s = 0; s < exp.size(); s++) {
      assertTrue(
          exp.tokenEnd(s) - exp.tokenStart(s) == low.tokenEnd(s) - low.tokenStart(s)
              && exp.indexEnd(s) - exp.indexStart(s) == low.indexEnd(s) - low.indexStart(s),
          "statement " + s + " length");
      for (int t = 0; t < exp.tokenEnd(s) - exp.tokenStart(s); t++) {
        assertEquals(
            exp.token(exp.tokenStart(s) + t), low.token(low.tokenStart(s) + t), "token of " + s);
      }
      for (int x = 0; x < exp.indexEnd(s) - exp.indexStart(s); x++) {
        int e = exp.indexStart(s) + x;
        int l = low.indexStart(s) + x;
        assertEquals(exp.array(e), low.array(l), "array of statement " + s);
        assertEquals(exp.isTarget(e), low.isTarget(l), "access of statement " + s);
        if (!renumbered || exp.array(e) != Emitter.WS) {
          assertEquals(exp.index(e), low.index(l), "index " + x + " of statement " + s);
        }
      }
      assertEquals(exp.treeSize(s), low.treeSize(s), "tree size of statement " + s);
    }
    assertSameDataFlow(exp, expLayout.workspaceSize, low, lowLayout.workspaceSize, p.outputCount);
    if (renumbered) {
      tally.renumbered++;
    } else {
      assertEquals(expLayout.workspaceSize, lowLayout.workspaceSize, "workspace size");
      tally.identical++;
    }
  }

  /**
   * Asserts that every workspace read of each statement reads the value the same statement wrote in
   * both tapes, that the outputs' slots end holding the same statements' values, and that every
   * slot lies inside its workspace.
   */
  private static void assertSameDataFlow(
      Tape expected, int expectedSize, Tape actual, int actualSize, int outputs) {
    int[] expectedFrom = writers(expected, expectedSize, outputs);
    int[] actualFrom = writers(actual, actualSize, outputs);
    for (int x = 0; x < expectedFrom.length; x++) {
      if (expectedFrom[x] != actualFrom[x]) {
        fail(
            "workspace access "
                + x
                + " (of "
                + expectedFrom.length
                + ") reads statement "
                + actualFrom[x]
                + "'s value, expected statement "
                + expectedFrom[x]
                + "'s");
      }
    }
  }

  /**
   * Returns, per workspace read in order, the statement whose value it reads (-1 if none), then per
   * output slot the statement that wrote it last.
   */
  private static int[] writers(Tape t, int workspaceSize, int outputs) {
    int[] lastWriter = new int[workspaceSize];
    Arrays.fill(lastWriter, -1);
    List<Integer> from = new ArrayList<>();
    for (int s = 0; s < t.size(); s++) {
      int target = -1;
      for (int x = t.indexStart(s); x < t.indexEnd(s); x++) {
        if (t.array(x) != Emitter.WS) {
          continue;
        }
        assertTrue(t.index(x) >= 0 && t.index(x) < workspaceSize, "slot " + t.index(x));
        if (t.isTarget(x)) {
          target = t.index(x);
        } else {
          from.add(lastWriter[t.index(x)]);
        }
      }
      if (target >= 0) {
        lastWriter[target] = s; // a statement reads its operands, then writes its target
      }
    }
    for (int o = 0; o < outputs; o++) {
      from.add(lastWriter[o]);
    }
    return from.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Returns whether some UPDATE of {@code p} is the last reader of two or more values that {@code
   * layout} stores: the one case where the claim allows other slot numbers.
   */
  private static boolean updateFreesTwo(Program p, Layout layout) {
    int[] user = new int[p.size];
    boolean[] bySink = new boolean[p.size];
    for (int v : p.sinkValue) {
      bySink[v] = true;
    }
    for (int i = 0; i < p.size; i++) {
      for (int j = 0; j < p.arity(i); j++) {
        user[p.operand(i, j)] = i; // an inlined value has one reader
      }
    }
    int[] evalAt = new int[p.size];
    for (int i = p.size - 1; i >= 0; i--) {
      evalAt[i] = layout.inline[i] ? evalAt[user[i]] : i;
    }
    int[] lastRead = new int[p.size];
    Arrays.fill(lastRead, -1);
    for (int i = 0; i < p.size; i++) {
      for (int j = 0; j < p.arity(i); j++) {
        int o = p.operand(i, j);
        lastRead[o] = Math.max(lastRead[o], evalAt[i]);
      }
    }
    int[] freed = new int[p.size];
    for (int v = 0; v < p.size; v++) {
      if (layout.stored(v) && !bySink[v] && p.kind(lastRead[v]) == Kind.UPDATE) {
        if (++freed[lastRead[v]] >= 2) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Compiled exact code against the interpreter: value and gradients with and without input
   * gradients, every output's value, and batches against the IR interpreter's single rows summed
   * blockwise.
   */
  private static void assertMatchesInterpreter(
      List<Value> outputs, List<Value> x, List<Value> w, SplittableRandom random) {
    double[] xs = random.doubles(x.size(), -2, 2).toArray();
    double[] ws = random.doubles(w.size(), -0.5, 0.5).toArray();
    double[] expected = Oracle.interpret(outputs.get(0), x, w, xs, ws);
    double[] expectedOutputs = new double[outputs.size()];
    for (int k = 0; k < outputs.size(); k++) {
      expectedOutputs[k] = outputs.get(k).forward();
    }
    double[] expectedWithout =
        Oracle.concat(
            expected[0],
            new double[0],
            Arrays.copyOfRange(expected, 1 + xs.length, expected.length));
    CompiledGraph g = Jit.compile(outputs, x, w, EXACT);
    CompiledGraph interpreted = Jit.compile(outputs, x, w, INTERPRETED);

    double[] actual = Oracle.compiled(g, xs, ws);
    double[] paramGrad = Oracle.startGrad(ws.length);
    double value = g.valueAndGrad(xs, ws, paramGrad);
    double[] actualOutputs = new double[outputs.size()];
    g.forward(xs, ws, actualOutputs);

    Oracle.assertBitIdentical(expected, actual, "valueAndGrad with input gradients");
    Oracle.assertBitIdentical(
        expectedWithout, Oracle.concat(value, new double[0], paramGrad), "valueAndGrad");
    Oracle.assertBitIdentical(expectedOutputs, actualOutputs, "forward");
    for (int rows : ROWS) {
      double[] data = random.doubles(rows * x.size(), -2, 2).toArray();
      double[] grad = new double[ws.length];
      double sum = g.valueAndGradBatch(data, rows, ws, grad);
      Oracle.assertBitIdentical(
          Oracle.blockwiseSingleCalls(interpreted, data, rows, ws),
          Oracle.concat(sum, new double[0], grad),
          rows + " rows");
    }
  }

  /** A softmax cross-entropy (or, for one output, squared) loss over an MLP, as CodeDigests. */
  private record Net(List<Value> outputs, List<Value> inputs, List<Value> params) {
    static Net of(int[] sizes, boolean tanhInputs) {
      int classes = sizes[sizes.length - 1];
      MLP model = CodeDigests.model(sizes);
      List<Value> inputs = leaves("x", sizes[0] + classes);
      List<Value> features = new ArrayList<>();
      for (Value v : inputs.subList(0, sizes[0])) {
        features.add(tanhInputs ? v.tanh() : v);
      }
      Value loss = CodeDigests.loss(model.apply(features), inputs.subList(sizes[0], inputs.size()));
      return new Net(List.of(loss), inputs, model.parameters());
    }
  }

  @Test
  void lower_mlpPrograms_writeTheExpandedProgramsStatements() {
    Tally tally = new Tally();
    int[][] shapes = {{784, 40, 3}, {50, 33, 2}, {40, 64, 64, 1}, {33, 1}, {100, 48, 49, 10}};

    for (int[] shape : shapes) {
      Net net = Net.of(shape, false);
      for (JitOptions options : List.of(DEFAULT, EXACT)) {
        checkAll(net.outputs(), net.inputs(), net.params(), options, tally);
      }
    }

    assertTrue(tally.wholeDots > 0, "some DOT kept whole");
    assertTrue(tally.wholeUpdates > 0, "some UPDATE kept whole");
    assertTrue(tally.expandedStructures > 0, "some DOT expanded (40-64-64-1's output neuron)");
    assertTrue(tally.identical > 0, "some programs compared to the index");
  }

  @Test
  void lower_hiddenValuesReadOnceByOneNeuron_expandsTheForwardDotAndKeepsTheGradients() {
    Net net = Net.of(new int[] {40, 64, 64, 1}, false);
    Program d = differentiable(net.outputs(), net.inputs(), net.params(), EXACT);

    Program forward = Compiler.forwardProgram(d, EXACT);
    Program gradient = Compiler.gradientProgram(d, false, EXACT);

    assertEquals(129, count(d, Kind.DOT), "a DOT per neuron");
    // the output neuron's x are hidden values it alone reads: layout inlines them
    assertEquals(128, count(forward, Kind.DOT), "hidden neurons whole");
    assertTrue(count(gradient, Kind.UPDATE) >= 64, "first layer's UPDATEs whole");
    check(forward, new Tally());
    check(gradient, new Tally());
  }

  @Test
  void lower_firstLayerOverComputedInputs_updatesFreeTheirXAndMatchTheInterpreter() {
    Tally tally = new Tally();
    SplittableRandom random = new SplittableRandom(5);

    for (int[] shape : new int[][] {{33, 1}, {50, 33, 2}, {40, 64, 64, 1}}) {
      Net net = Net.of(shape, true); // tanh(x): the first UPDATEs' x are stored values
      for (JitOptions options : List.of(DEFAULT, EXACT)) {
        checkAll(net.outputs(), net.inputs(), net.params(), options, tally);
      }
      assertMatchesInterpreter(net.outputs(), net.inputs(), net.params(), random);
    }

    assertTrue(tally.wholeUpdates > 0, "some UPDATE kept whole");
    assertTrue(tally.renumbered > 0, "some UPDATE frees two stored values");
  }

  /** What a wide neuron reads as its head. */
  private enum Head {
    PARAM,
    INPUT,
    CONSTANT,
    SHARED,
    READ_ONCE
  }

  /** What a wide neuron reads as its x. */
  private enum Xs {
    INPUTS,
    SHARED_COMPUTED,
    COMPUTED_ONCE,
    CONSTANTS,
    REPEATED,
    PARAMS
  }

  /**
   * {@code sum(head, w_j·x_j ...)} over {@code n} products, weights {@code stride} apart, on the
   * left or right, then tanh and an extra use of what is shared.
   */
  private static Value neuron(
      int n,
      int stride,
      boolean weightsLeft,
      Head head,
      Xs xs,
      List<Value> x,
      List<Value> params,
      List<Value> extra) {
    List<Value> w = leaves("w", n * stride);
    List<Value> xParams = leaves("q", n);
    params.addAll(w);
    params.addAll(xParams);
    params.add(Value.of(0, "b"));
    Value h =
        switch (head) {
          case PARAM -> params.get(params.size() - 1);
          case INPUT -> x.get(1);
          case CONSTANT -> Value.of(0.75);
          case SHARED -> x.get(2).exp();
          case READ_ONCE -> x.get(3).mul(x.get(4));
        };
    if (head == Head.SHARED) {
      extra.add(h);
    }
    List<Value> terms = new ArrayList<>(List.of(h));
    List<Value> shared = new ArrayList<>();
    for (int j = 0; j < x.size(); j++) {
      shared.add(x.get(j).tanh());
    }
    for (int j = 0; j < n; j++) {
      Value xj =
          switch (xs) {
            case INPUTS -> x.get(j % x.size());
            case SHARED_COMPUTED -> shared.get(j % x.size());
            case COMPUTED_ONCE -> x.get(j % x.size()).mul(1.5 + j);
            case CONSTANTS -> Value.of(0.125 * j - 1);
            case REPEATED -> shared.get(j % 3);
            case PARAMS -> xParams.get(j);
          };
      Value wj = w.get(j * stride);
      terms.add(weightsLeft ? wj.mul(xj) : xj.mul(wj));
    }
    if (xs == Xs.SHARED_COMPUTED || xs == Xs.REPEATED) {
      extra.add(Value.sum(shared.subList(0, Math.min(n, shared.size()))));
    }
    return Value.sum(terms);
  }

  @Test
  void lower_wideNeurons_writeTheExpandedProgramsStatements() {
    Tally tally = new Tally();
    SplittableRandom random = new SplittableRandom(23);
    int cases = 0;

    for (int n : new int[] {32, 47, 48, 49, 72, 73}) {
      for (Head head : Head.values()) {
        for (Xs xs : Xs.values()) {
          List<Value> x = leaves("x", 40);
          List<Value> params = new ArrayList<>();
          List<Value> extra = new ArrayList<>();
          boolean left = (n + head.ordinal() + xs.ordinal()) % 2 == 0;
          int stride = 1 + (n + xs.ordinal()) % 3;
          Value y = neuron(n, stride, left, head, xs, x, params, extra);
          List<Value> terms = new ArrayList<>(List.of(y.tanh()));
          terms.addAll(extra);
          // y read by its tanh alone, inlined into it where it fits, or by a sink too
          List<Value> outputs =
              cases % 3 == 0 ? List.of(Value.sum(terms)) : List.of(Value.sum(terms), y);
          JitOptions options = cases % 2 == 0 ? EXACT : DEFAULT;
          List<Program> lowered = checkAll(outputs, x, params, options, tally);
          if (head != Head.READ_ONCE && xs != Xs.COMPUTED_ONCE) {
            assertEquals(1, count(lowered.get(0), Kind.DOT), n + " " + head + " " + xs);
          }
          if (cases % 9 == 0) {
            assertMatchesInterpreter(outputs, x, params, random);
          }
          cases++;
        }
      }
    }

    assertTrue(tally.wholeDots > 0, "some DOT kept whole");
    assertTrue(tally.wholeUpdates > 0, "some UPDATE kept whole");
    assertTrue(tally.expandedStructures > 0, "some DOT expanded");
  }

  @Test
  void lower_valueDotOverParams_staysWholeFromMinusZero() {
    Tally tally = new Tally();
    for (int n : new int[] {33, 49, 73}) {
      List<Value> x = leaves("x", n);
      List<Value> w = leaves("w", 2 * n);
      List<Value> shared = new ArrayList<>();
      List<Value> others = new ArrayList<>();
      for (Value v : x) {
        shared.add(v.tanh().mul(2.0));
        others.add(v.exp());
      }
      Value left = Value.dot(w.subList(0, n), shared); // every product in the DOT, from -0.0
      Value right = Value.dot(others, w.subList(n, 2 * n)); // weights on the right
      Value y = left.mul(right).add(Value.sum(shared)).add(Value.sum(others));
      Program d = differentiable(List.of(y), x, w, EXACT);

      assertEquals(2, count(d, Kind.DOT), "Value.dot makes DOTs");
      assertEquals(2, count(Compiler.forwardProgram(d, EXACT), Kind.DOT), "both kept whole");
      checkAll(List.of(y), x, w, EXACT, tally);
      checkAll(List.of(y), x, w, DEFAULT, tally);
      assertMatchesInterpreter(List.of(y), x, w, new SplittableRandom(n));
    }

    assertTrue(tally.wholeDots >= 6, "each Value.dot's DOT kept whole");
  }

  /**
   * A random wide neuron over {@code pool}: 32 to 80 products, weights on either side, one or two
   * apart, in param order or reversed (a DOT only if increasing); its head a param's computed copy,
   * a pool value, a constant or a product; its x mostly pool values, some constants, listed params
   * or values computed for this product alone.
   */
  private static Value randomNeuron(
      SplittableRandom r, List<Value> pool, List<Value> params, List<Value> free) {
    int n = 32 + r.nextInt(49);
    int stride = 1 + r.nextInt(2);
    boolean left = r.nextBoolean();
    List<Value> w = leaves("w", n * stride);
    if (r.nextInt(4) == 0) {
      Collections.reverse(w);
    }
    params.addAll(w);
    Value head =
        switch (r.nextInt(4)) {
          case 0 -> w.get(w.size() - 1).add(0.0).sub(0.0); // computed from a param
          case 1 -> pool.get(r.nextInt(pool.size()));
          case 2 -> Value.of(r.nextDouble());
          default -> pool.get(r.nextInt(pool.size())).mul(pool.get(r.nextInt(pool.size())));
        };
    List<Value> terms = new ArrayList<>(List.of(head));
    int offset = r.nextInt(pool.size());
    int odd = r.nextInt(12); // how often an x is not a pool value
    for (int j = 0; j < n; j++) {
      Value xj = pool.get((offset + j) % pool.size());
      if (r.nextInt(12) < odd) {
        xj =
            switch (r.nextInt(3)) {
              case 0 -> Value.of(j - 3.5);
              case 1 -> free.get(j % free.size());
              default -> xj.mul(1.0 + j); // read by this product alone
            };
      }
      Value wj = w.get(j * stride);
      terms.add(left ? wj.mul(xj) : xj.mul(wj));
    }
    return Value.sum(terms);
  }

  /** A random graph of layers of wide neurons, tanh, relu and exp, and irregular parts. */
  private static List<Value> randomGraph(SplittableRandom r, List<Value> x, List<Value> params) {
    List<Value> pool = new ArrayList<>(x);
    List<Value> free = leaves("f", 3); // listed params that are x, never weights
    params.addAll(free);
    List<Value> outputs = new ArrayList<>();
    int layers = 1 + r.nextInt(3);
    for (int layer = 0; layer < layers; layer++) {
      List<Value> next = new ArrayList<>();
      for (int k = 1 + r.nextInt(3); k > 0; k--) {
        Value v = randomNeuron(r, pool, params, free);
        next.add(
            switch (r.nextInt(5)) {
              case 0 -> v.tanh();
              case 1 -> v.relu();
              case 2 -> v.mul(0.1).exp();
              default -> v; // the DOT itself, read by later neurons
            });
        if (r.nextInt(4) == 0) {
          outputs.add(v); // a DOT read by a sink too
        }
      }
      if (r.nextInt(4) == 0) {
        outputs.add(randomNeuron(r, pool, params, free)); // a DOT read by its sink alone
      }
      if (r.nextBoolean()) {
        pool.addAll(next);
      } else {
        pool = next;
        for (int i = 0; pool.size() < 8; i++) {
          pool.add(x.get(i % x.size()).tanh());
        }
      }
    }
    Value irregular = pool.get(0).mul(pool.get(pool.size() - 1)).tanh().mul(2.0);
    List<Value> last = new ArrayList<>(pool.subList(0, Math.min(pool.size(), 5)));
    last.add(irregular);
    outputs.add(0, Value.sum(last));
    return outputs;
  }

  @Test
  void lower_randomGraphs_writeTheExpandedProgramsStatementsOrMatchTheInterpreter() {
    Tally tally = new Tally();
    int compared = 0;

    for (int seed = 0; seed < 200; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      List<Value> x = leaves("x", 6 + r.nextInt(40));
      List<Value> firstXs = new ArrayList<>(x);
      if (r.nextBoolean()) {
        firstXs.replaceAll(Value::tanh); // stored values as a first layer's x
      }
      List<Value> params = new ArrayList<>();
      List<Value> outputs = randomGraph(r, firstXs, params);

      compared += checkRandom(seed, r, outputs, x, params, tally);
    }

    assertTrue(tally.wholeDots > 0, "some DOT kept whole");
    assertTrue(tally.wholeUpdates > 0, "some UPDATE kept whole");
    assertTrue(tally.expandedStructures > 0, "some DOT expanded");
    assertTrue(tally.identical > 0, "some programs compared to the index");
    assertTrue(compared > 0, "some UPDATE freed two values");
  }

  /** Checks one random graph; returns 1 if it was compiled against the interpreter. */
  private static int checkRandom(
      int seed,
      SplittableRandom r,
      List<Value> outputs,
      List<Value> x,
      List<Value> params,
      Tally tally) {
    int renumbered = tally.renumbered;
    try {
      checkAll(outputs, x, params, seed % 2 == 0 ? EXACT : DEFAULT, tally);
      if (tally.renumbered > renumbered) {
        assertMatchesInterpreter(outputs, x, params, r);
        return 1;
      }
      return 0;
    } catch (AssertionError e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
    }
  }
}
