package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.internal.IdentityIndex;
import dev.jitgrad.engine.internal.Nodes;
import dev.jitgrad.engine.internal.Topology;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Adversarial tests of the node numbers that {@link Value#hashCode()} hands out, of {@link
 * IdentityIndex} keyed by them, of {@link Topology} as an array-backed record that starts at 32
 * nodes, and of {@link Value#backward()} marking reached nodes by topological position.
 *
 * <p>Two oracles over the public API ({@code children}, {@code op}, {@code data}; a clamp's bounds
 * through {@link Nodes#constant}): micrograd's recursive {@code build_topo} ({@link
 * GraphTest#referenceOrder}), and a reference backward written here that walks its reverse, passing
 * a gradient on only from nodes some rule has reached (a where's condition is reached by no rule),
 * with each op's derivative written from its documented convention.
 */
class EngineIdentityAdversarialTest {
  /** Node counts on both sides of each doubling of arrays that start at 32 (and of 16 and 1024). */
  private static final int[] SIZES = {
    1, 2, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 2047, 2048, 2049
  };

  // ---- oracles ----------------------------------------------------------------------------------

  /**
   * Share of max(a, b)'s gradient that goes to a: all above, none below, half at a tie, all at NaN.
   */
  private static double maxShare(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return 1;
    }
    return a > b ? 1 : a < b ? 0 : 0.5;
  }

  /**
   * The gradient that {@code v}'s rule sends to operand {@code j} for adjoint {@code g}, or null if
   * the rule sends nothing there (a where's condition).
   */
  private static Double contribution(Value v, int j, double g) {
    double a = v.child(0).data();
    double b = v.childCount() > 1 ? v.child(1).data() : 0;
    double out = v.data();
    switch (v.op()) {
      case ADD:
      case SUM:
        return g;
      case SUB:
        return j == 0 ? g : -g;
      case MUL:
        return j == 0 ? b * g : a * g;
      case DIV:
        return j == 0 ? g / b : (-out / b) * g;
      case POW:
        double k = v.exponent();
        return (k == 0 ? 0.0 : k * Math.pow(a, k - 1)) * g;
      case NEG:
        return -g;
      case EXP:
        return out * g;
      case LOG:
        return g / a;
      case TANH:
        return (1 - out * out) * g;
      case RELU:
        return (out > 0 ? 1.0 : 0.0) * g;
      case SIGMOID:
        return (out * (1 - out)) * g;
      case SOFTPLUS:
        return (1 / (1 + Math.exp(-a))) * g;
      case MAX:
        return (j == 0 ? maxShare(a, b) : maxShare(b, a)) * g;
      case MIN:
        return (j == 0 ? maxShare(-a, -b) : maxShare(-b, -a)) * g;
      case ABS:
        return (a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0) * g;
      case CLAMP:
        return (a >= Nodes.constant(v, 0) && a <= Nodes.constant(v, 1) ? 1.0 : 0.0) * g;
      case WHERE:
        if (j == 0) {
          return null;
        }
        boolean first = a > 0;
        return (j == 1) == first ? g : 0.0;
      default:
        throw new AssertionError(v.op());
    }
  }

  /**
   * Returns the gradient of every node of {@code root}'s graph after {@code root.backward()}, given
   * the gradients the nodes hold now: leaves accumulate, inner nodes start from 0.
   */
  private static Map<Value, Double> referenceBackward(Value root) {
    List<Value> order = GraphTest.referenceOrder(List.of(root));
    Map<Value, Double> grad = new IdentityHashMap<>();
    for (Value v : order) {
      grad.put(v, v.isLeaf() ? v.grad() : 0.0);
    }
    grad.put(root, root.isLeaf() ? root.grad() + 1 : 1.0);
    Set<Value> reached = Collections.newSetFromMap(new IdentityHashMap<>());
    reached.add(root);
    for (int i = order.size() - 1; i >= 0; i--) {
      Value v = order.get(i);
      if (v.isLeaf() || !reached.contains(v)) {
        continue;
      }
      double g = grad.get(v);
      for (int j = 0; j < v.childCount(); j++) {
        Double c = contribution(v, j, g);
        if (c != null) {
          Value child = v.child(j);
          grad.put(child, grad.get(child) + c);
          reached.add(child);
        }
      }
    }
    return grad;
  }

  /** Runs the engine's backward and checks every node against the reference, NaN for NaN. */
  private static void assertBackwardMatchesReference(Value root, String what) {
    Map<Value, Double> expected = referenceBackward(root);

    root.backward();

    int i = 0;
    for (Value v : GraphTest.referenceOrder(List.of(root))) {
      assertEquals(expected.get(v), v.grad(), 0.0, what + ", node " + i++ + " (" + v.op() + ")");
    }
  }

  private static void assertTopologyMatchesBuildTopo(List<Value> roots, String what) {
    List<Value> order = GraphTest.referenceOrder(roots);
    Map<Value, Integer> position = new IdentityHashMap<>();
    for (int i = 0; i < order.size(); i++) {
      position.put(order.get(i), i);
    }
    int[] childStart = new int[order.size() + 1];
    List<Integer> children = new ArrayList<>();
    for (int i = 0; i < order.size(); i++) {
      for (int j = 0; j < order.get(i).childCount(); j++) {
        children.add(position.get(order.get(i).child(j)));
      }
      childStart[i + 1] = children.size();
    }

    Topology t = Topology.of(roots);
    Topology plain = Topology.traverse(roots, false);
    List<Value> listed = Graph.topologicalOrder(roots);

    assertEquals(order.size(), t.nodes().length, what + ": node count");
    for (int i = 0; i < order.size(); i++) {
      assertSame(order.get(i), t.nodes()[i], what + ": node " + i);
      assertSame(order.get(i), t.order().get(i), what + ": order() " + i);
      assertSame(order.get(i), plain.nodes()[i], what + ": without children, node " + i);
      assertSame(order.get(i), listed.get(i), what + ": Graph.topologicalOrder " + i);
    }
    assertEquals(order.size(), listed.size(), what + ": Graph.topologicalOrder size");
    assertEquals(order.size(), plain.nodes().length, what + ": without children, node count");
    assertArrayEquals(childStart, t.childStart(), what + ": childStart");
    assertArrayEquals(
        children.stream().mapToInt(Integer::intValue).toArray(), t.children(), what + ": children");
    assertArrayEquals(
        roots.stream().mapToInt(position::get).toArray(), t.roots(), what + ": roots");
    assertEquals(0, plain.childStart().length, what + ": childStart without children");
  }

  // ---- graph builders ---------------------------------------------------------------------------

  private enum Shape {
    RANDOM,
    CHAIN,
    WIDE
  }

  private static double leafValue(SplittableRandom random) {
    return switch (random.nextInt(6)) {
      case 0 -> 0.0;
      case 1 -> -0.0;
      case 2 -> 1.0;
      default -> random.nextDouble(-3, 3);
    };
  }

  /**
   * Returns the root of a graph of exactly {@code n} nodes, each a new op over the previous node
   * (at a random operand position, a where's condition among them) and random earlier nodes, so
   * every node is reachable, some only through a condition; leaves are often 0, so logs, divisions
   * and negative powers meet infinite derivatives.
   */
  private static Value exactGraph(SplittableRandom random, int n, Shape shape) {
    List<Value> pool = new ArrayList<>();
    int leaves = n == 1 ? 1 : shape == Shape.WIDE ? n - 1 : Math.min(n - 1, 1 + random.nextInt(5));
    for (int i = 0; i < leaves; i++) {
      pool.add(Value.of(leafValue(random)));
    }
    if (n == 1) {
      return pool.get(0);
    }
    Value previous = leaves == 1 ? pool.get(0) : Value.sum(new ArrayList<>(pool));
    if (leaves > 1) {
      pool.add(previous);
    }
    while (pool.size() < n) {
      previous = nextNode(random, previous, pool, shape == Shape.CHAIN);
      pool.add(previous);
    }
    return previous;
  }

  private static Value nextNode(
      SplittableRandom random, Value previous, List<Value> pool, boolean unary) {
    Value[] operands = new Value[3];
    int arity = unary ? 1 : 1 + random.nextInt(3);
    for (int i = 0; i < arity; i++) {
      operands[i] = pool.get(random.nextInt(pool.size()));
    }
    operands[random.nextInt(arity)] = previous;
    Value a = operands[0];
    Value b = operands[1];
    if (arity == 1) {
      return switch (random.nextInt(11)) {
        case 0 -> a.pow(new double[] {2, -1, 0, 0.5, -2}[random.nextInt(5)]);
        case 1 -> a.neg();
        case 2 -> a.exp();
        case 3 -> a.log();
        case 4 -> a.tanh();
        case 5 -> a.relu();
        case 6 -> a.sigmoid();
        case 7 -> a.softplus();
        case 8 -> a.abs();
        case 9 -> a.clamp(-1, random.nextBoolean() ? 1 : -1);
        default -> Value.sum(a, a);
      };
    }
    if (arity == 2) {
      return switch (random.nextInt(6)) {
        case 0 -> a.add(b);
        case 1 -> a.sub(b);
        case 2 -> a.mul(b);
        case 3 -> a.div(b);
        case 4 -> a.max(b);
        default -> a.min(b);
      };
    }
    return random.nextBoolean() ? Value.where(a, b, operands[2]) : Value.sum(a, b, operands[2]);
  }

  // ---- Topology and Graph.topologicalOrder ------------------------------------------------------

  @Test
  void topology_exactSizesAcrossEveryDoubling_equalsRecursiveBuildTopo() {
    SplittableRandom random = new SplittableRandom(11);

    for (int n : SIZES) {
      for (Shape shape : Shape.values()) {
        Value root = exactGraph(random, n, shape);
        List<Value> order = GraphTest.referenceOrder(List.of(root));
        Value inner = order.get(order.size() / 2);

        assertEquals(n, order.size(), "the builder's node count");
        assertTopologyMatchesBuildTopo(List.of(root), n + " " + shape);
        assertTopologyMatchesBuildTopo(
            List.of(inner, order.get(0), root, inner, root), n + " " + shape + ", many roots");
      }
    }
  }

  @Test
  void topologicalOrder_returnedList_isMutableAndIndependentOfTheGraph() {
    Value x = Value.of(2.0);
    Value y = x.mul(x).add(x);
    List<Value> first = Graph.topologicalOrder(y);

    first.add(Value.of(9));
    first.remove(0);
    first.set(0, x);
    List<Value> second = Graph.topologicalOrder(y);
    second.clear();
    List<Value> third = Graph.topologicalOrder(List.of(y));

    assertNotSame(first, third);
    assertEquals(GraphTest.referenceOrder(List.of(y)), third);
    assertEquals(3, first.size());
    y.backward();
    assertEquals(2 * 2.0 + 1, x.grad(), 0.0);
  }

  @Test
  void topologyOrder_anyWrite_throwsAndLeavesTheNodesAlone() {
    Value x = Value.of(1.0);
    Value y = x.exp().add(x);
    Topology t = Topology.of(List.of(y));
    List<Value> order = t.order();

    assertThrows(UnsupportedOperationException.class, () -> order.set(0, y));
    assertThrows(UnsupportedOperationException.class, () -> order.add(y));
    assertThrows(UnsupportedOperationException.class, () -> order.remove(0));
    assertThrows(UnsupportedOperationException.class, order::clear);
    assertThrows(UnsupportedOperationException.class, () -> Collections.sort(order, null));
    assertEquals(GraphTest.referenceOrder(List.of(y)), order);
    assertEquals(List.of(t.nodes()), order);
  }

  // ---- backward ---------------------------------------------------------------------------------

  @Test
  void backward_exactSizesAcrossEveryDoubling_matchesReferenceEveryCall() {
    SplittableRandom random = new SplittableRandom(5);

    for (int n : SIZES) {
      for (Shape shape : Shape.values()) {
        for (int trial = 0; trial < (n < 100 ? 6 : 2); trial++) {
          Value root = exactGraph(random, n, shape);
          List<Value> order = GraphTest.referenceOrder(List.of(root));
          Value inner = order.get(random.nextInt(order.size()));
          String what = n + " nodes, " + shape + ", trial " + trial;

          assertBackwardMatchesReference(root, what);
          assertBackwardMatchesReference(root, what + ", second call");
          assertBackwardMatchesReference(inner, what + ", from an inner node");
          assertBackwardMatchesReference(root, what + ", root again");
        }
      }
    }
  }

  @Test
  void backward_wildRandomGraphs_matchesReference() {
    SplittableRandom random = new SplittableRandom(17);

    for (int trial = 0; trial < 300; trial++) {
      RandomGraphs.Sample sample = RandomGraphs.wild(random, 1 + random.nextInt(4), 5 + trial);

      assertBackwardMatchesReference(sample.output(), "wild graph " + trial);
    }
  }

  @Test
  void backward_fromInnerNode_leavesNodesOutsideItsGraphAlone() {
    Value x = Value.of(0.5);
    Value inner = x.tanh().mul(x);
    Value outer = inner.exp().add(x);
    outer.backward();
    double outerGrad = outer.grad();
    double expGrad = outer.child(0).grad();

    assertBackwardMatchesReference(inner, "inner");

    assertEquals(1.0, outerGrad, 0.0);
    assertEquals(outerGrad, outer.grad(), 0.0);
    assertEquals(expGrad, outer.child(0).grad(), 0.0);
  }

  @Test
  void backward_onLeaf_addsOneEachCall() {
    Value x = Value.of(3.0);
    x.setGrad(0.25);

    x.backward();
    x.backward();

    assertEquals(2.25, x.grad(), 0.0);
  }

  @Test
  void backward_nodeOnlyInConditions_passesNothingEvenThroughInfiniteDerivatives() {
    Value zero = Value.of(0.0);
    Value condition = zero.log(); // -inf; its rule would send 0 / 0 = NaN to zero
    Value a = Value.of(2.0);
    Value b = Value.of(3.0);
    Value out = Value.where(condition, a, b).mul(Value.where(condition, b, a));

    assertBackwardMatchesReference(out, "condition twice");

    assertEquals(0.0, zero.grad(), 0.0);
    assertEquals(0.0, condition.grad(), 0.0);
    // out = b * a on the chosen sides: a gets b, b gets a, and each a 0 from the unchosen side
    assertEquals(3.0, a.grad(), 0.0);
    assertEquals(2.0, b.grad(), 0.0);
  }

  @Test
  void backward_nodeInConditionAndUnchosenBranch_isReachedWithZeroAdjoint() {
    Value zero = Value.of(0.0);
    Value l = zero.log(); // -inf, so every where below chooses its last operand
    Value c = Value.of(-1.0);
    Value out = Value.where(l, c, c).add(Value.where(c, l, c)).add(Value.where(l, l, l));

    assertBackwardMatchesReference(out, "reached by unchosen branches");

    // l is reached with adjoint 0 + 1 from where(l, l, l) and 0 from where(c, l, c): 1 / 0
    assertEquals(Double.POSITIVE_INFINITY, zero.grad());
  }

  @Test
  void backward_nodeInConditionAndOnlyZeroAdjoints_isNaNAsDocumented() {
    Value zero = Value.of(0.0);
    Value l = zero.log();
    Value c = Value.of(-1.0);
    Value d = Value.of(4.0);
    Value out = Value.where(l, d, d).add(Value.where(c, l, d));

    assertBackwardMatchesReference(out, "reached only with a zero adjoint");

    assertTrue(Double.isNaN(zero.grad()), "0 * 1/0 in log's rule, as where's javadoc says");
    assertEquals(2.0, d.grad(), 0.0);
  }

  @Test
  void backward_sameNodeAsEveryOperand_matchesReference() {
    Value x = Value.of(0.0);
    Value l = x.log();
    Value e = x.exp();

    assertBackwardMatchesReference(Value.where(l, l, l), "where(l, l, l)");
    assertBackwardMatchesReference(Value.where(e, e, e).mul(e), "where(e, e, e) * e");
    assertBackwardMatchesReference(Value.sum(e, e, e, l, e).div(e), "sum(e, e, e, l, e) / e");
    assertBackwardMatchesReference(e.max(e).add(e.min(e)), "max(e, e) + min(e, e)");
  }

  @Test
  void backward_conditionChainOfTwoHundredThousandNodes_passesNothingAndNoStackOverflow() {
    int n = 200_000;
    Value zero = Value.of(0.0);
    Value c = zero;
    for (int i = 0; i < n; i++) {
      c = i % 2 == 0 ? c.log() : c.exp(); // -inf, 0, -inf, ...: every log has slope 1/0
    }
    Value a = Value.of(1.5);
    Value b = Value.of(2.5);
    Value out = Value.where(c, a, b).mul(b);

    out.backward();
    out.backward();

    assertEquals(0.0, zero.grad(), 0.0);
    assertEquals(0.0, c.grad(), 0.0);
    assertEquals(0.0, a.grad(), 0.0);
    assertEquals(2 * (2.5 + 2.5), b.grad(), 0.0);
    assertEquals(n + 5, Graph.topologicalOrder(out).size());
  }

  @Test
  void backward_chainOfTwoHundredThousandAddsTwice_accumulatesClosedForm() {
    int n = 200_000;
    Value x = Value.of(0.5);
    Value y = x;
    for (int i = 0; i < n; i++) {
      y = Value.where(x, y, x).add(x); // x > 0 chooses y; x also takes a 0 from each where
    }

    y.backward();
    y.backward();

    // y = (n + 1)·x along the chosen branches: dy/dx = n + 1, twice
    assertEquals(2.0 * (n + 1), x.grad(), 0.0);
    assertEquals(1.0, y.grad(), 0.0);
  }

  // ---- node numbers and IdentityIndex -----------------------------------------------------------

  private static Field madeCounter() throws ReflectiveOperationException {
    Field made = Value.class.getDeclaredField("made");
    made.setAccessible(true);
    return made;
  }

  @Test
  void hashCode_nodesMadeOneAfterAnother_areNumberedInOrder() {
    Value a = Value.of(1.0);
    Value b = Value.of(2.0);
    Value c = a.add(b);
    Value d = c.add(3.0); // a leaf for 3.0, then the add

    assertEquals(a.hashCode() + 1, b.hashCode());
    assertEquals(b.hashCode() + 1, c.hashCode());
    assertEquals(c.hashCode() + 2, d.hashCode());
  }

  /**
   * Forces every node's number to collide (the counter is set before each node is made), as threads
   * racing on the unlocked counter may do, and numbers that wrap past {@link Integer#MAX_VALUE}:
   * the traversal, backward and the index must not care.
   */
  @Test
  void topologyBackwardAndIndex_collidingAndWrappingNumbers_matchOracles() throws Exception {
    Field made = madeCounter();
    int saved = made.getInt(null);
    try {
      SplittableRandom random = new SplittableRandom(23);
      for (int start : new int[] {7, Integer.MAX_VALUE - 600, -1}) {
        made.setInt(null, start);
        Value wrapping = exactGraph(random, 1025, Shape.RANDOM);
        List<Value> pool = new ArrayList<>(List.of(Value.of(0.0)));
        Value colliding = pool.get(0);
        for (int i = 0; i < 1500; i++) {
          made.setInt(null, start + (i % 3)); // three numbers for 1,500 nodes
          colliding = nextNode(random, colliding, pool, false);
          pool.add(colliding);
        }
        made.setInt(null, start);
        Value root = wrapping.add(colliding);
        String what = "from " + start;

        assertTopologyMatchesBuildTopo(List.of(root, colliding, wrapping), what);
        assertBackwardMatchesReference(root, what);
        assertIndexAgreesWithIdentityHashMap(GraphTest.referenceOrder(List.of(root)), what);
        assertEquals(start, pool.get(1).hashCode(), what);
        assertEquals(start + 1024, wrapping.hashCode(), what + ": 1,025 numbers, wrapping");
      }
    } finally {
      made.setInt(null, saved + (1 << 24)); // never reuse a number this run has handed out
    }
  }

  private static void assertIndexAgreesWithIdentityHashMap(List<?> keys, String what) {
    IdentityIndex index = new IdentityIndex(1);
    Map<Object, Integer> oracle = new IdentityHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      Object key = keys.get(i);
      Integer old = oracle.putIfAbsent(key, i);
      assertEquals(old == null ? -1 : old, index.putIfAbsent(key, i), what + ": put " + i);
    }
    for (int i = 0; i < keys.size(); i += 2) {
      oracle.put(keys.get(i), -i - 2);
      index.set(keys.get(i), -i - 2);
    }

    assertEquals(oracle.size(), index.size(), what + ": size");
    for (int i = 0; i < keys.size(); i++) {
      assertEquals((int) oracle.get(keys.get(i)), index.get(keys.get(i)), what + ": get " + i);
    }
    assertEquals(-1, index.get(Value.of(0)), what + ": a fresh node");
    assertEquals(-1, index.get(new Object()), what + ": a fresh object");
  }

  @Test
  void identityIndex_valuesMadeFarApartMixedWithOtherKeys_agreesWithIdentityHashMap() {
    List<Object> keys = new ArrayList<>();
    for (int stride : new int[] {1, 2, 16, 1024, 4096, 4097}) {
      for (int i = 0; i < 300; i++) {
        for (int skip = 1; skip < stride; skip++) {
          Value.of(skip); // a number handed out and dropped
        }
        Value v = Value.of(i);
        keys.add(v);
        if (i % 7 == 0) {
          keys.add(v); // listed twice
          keys.add(new Object());
          keys.add(new String("k")); // equal, never identical
        }
      }
    }
    Collections.shuffle(keys, new Random(3));

    assertIndexAgreesWithIdentityHashMap(keys, "far apart");
  }

  @Test
  void topologyAndBackward_graphsBuiltOnTwoThreadsAtOnce_matchOracles() throws Exception {
    List<Value> shared = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      shared.add(Value.of(i - 3.5));
    }
    CountDownLatch start = new CountDownLatch(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<List<Value>>> built = new ArrayList<>();
    try {
      for (int t = 0; t < 2; t++) {
        long seed = 100 + t;
        Callable<List<Value>> build =
            () -> {
              SplittableRandom random = new SplittableRandom(seed);
              start.countDown();
              start.await();
              List<Value> roots = new ArrayList<>();
              for (int g = 0; g < 40; g++) {
                List<Value> nodes = new ArrayList<>(shared);
                Value v = Value.sum(shared);
                for (int i = 0; i < 1500; i++) {
                  v = nextNode(random, v, nodes, false);
                  nodes.add(v);
                }
                roots.add(v);
              }
              return roots;
            };
        built.add(pool.submit(build));
      }
      List<Value> roots = new ArrayList<>();
      for (Future<List<Value>> f : built) {
        roots.addAll(f.get(60, TimeUnit.SECONDS));
      }
      Value root = Value.sum(roots);

      assertTopologyMatchesBuildTopo(List.of(root), "two threads");
      assertTopologyMatchesBuildTopo(roots, "two threads, their roots");
      assertBackwardMatchesReference(root, "two threads");
      assertIndexAgreesWithIdentityHashMap(GraphTest.referenceOrder(roots), "two threads");
    } finally {
      pool.shutdownNow();
    }
  }
}
