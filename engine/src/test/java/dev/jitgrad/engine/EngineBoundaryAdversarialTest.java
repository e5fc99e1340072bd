package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The engine's public argument checks under input the other tests leave out: null elements, bounds
 * and exponents that are not finite, out-of-range indices, calls that fail half-way, and graphs far
 * deeper than a recursive traversal survives. A failed call must throw at the boundary, naming the
 * bad argument, and leave every object as it was.
 */
public class EngineBoundaryAdversarialTest {

  @Test
  void dot_nullElementInSecondList_throwsNamingItsIndex() {
    List<Value> a = List.of(Value.of(1), Value.of(2));
    List<Value> b = Arrays.asList(Value.of(3), null);

    NullPointerException e = assertThrowsExactly(NullPointerException.class, () -> Value.dot(a, b));

    assertMessageContains(e, "b[1]");
  }

  @Test
  void dot_emptyLists_isLeafZero() {
    Value d = Value.dot(List.of(), List.of());

    assertTrue(d.isLeaf());
    assertEquals(0.0, d.data(), 0.0);
  }

  @Test
  void valuesHelpers_nullElement_throwNullPointerNamingItsIndex() {
    List<Value> values = Arrays.asList(Value.of(1), null);
    double[] two = new double[2];

    assertAll(
        () -> assertNpeNaming("values[1]", () -> Values.data(values)),
        () -> assertNpeNaming("values[1]", () -> Values.grads(values)),
        () -> assertNpeNaming("values[1]", () -> Values.copyData(values, two)),
        () -> assertNpeNaming("values[1]", () -> Values.setData(values, two)),
        () -> assertNpeNaming("values[1]", () -> Values.setGrads(values, two)),
        () -> assertNpeNaming("values[1]", () -> Values.zeroGrad(values)));
  }

  @Test
  void setData_nonLeafAfterALeaf_throwsAndLeavesTheLeafUnchanged() {
    Value leaf = Value.of(1.0);
    Value computed = leaf.add(1.0);

    IllegalStateException e =
        assertThrowsExactly(
            IllegalStateException.class,
            () -> Values.setData(List.of(leaf, computed), new double[] {5.0, 6.0}));

    assertMessageContains(e, "ADD");
    assertEquals(1.0, leaf.data(), 0.0);
  }

  @Test
  void numericGradient_functionThatThrows_restoresX() {
    double[] x = {1.0, 2.0};
    ToDoubleFunction<double[]> failing =
        p -> {
          throw new IllegalStateException("model failed");
        };

    assertThrowsExactly(
        IllegalStateException.class, () -> GradCheck.numericGradient(failing, x, 1e-3));
    double[] afterFailing = x.clone();
    assertThrowsExactly(NullPointerException.class, () -> GradCheck.numericGradient(null, x, 1e-3));

    assertArrayEquals(new double[] {1.0, 2.0}, afterFailing, 0.0);
    assertArrayEquals(new double[] {1.0, 2.0}, x, 0.0);
  }

  @Test
  void numericGradientOfGraph_nonLeafAmongLeaves_throwsAndRestoresTheLeaves() {
    Value x = Value.of(1.0);
    Value y = Value.of(2.0);
    Value product = x.mul(y);
    Value output = product.tanh();

    assertThrowsExactly(
        IllegalStateException.class,
        () -> GradCheck.numericGradient(output, List.of(x, product), 1e-3));

    assertEquals(1.0, x.data(), 0.0);
    assertEquals(Math.tanh(2.0), output.forward(), 0.0);
  }

  @Test
  void gradCheck_nullArguments_throwNullPointerNamingThem() {
    // these pass through the JVM's helpful NPE messages, which name a parameter when the classes
    // carry debug information (javac -g, Maven's default)
    double[] x = {1.0, 2.0};

    assertAll(
        () -> assertNpeNaming("x", () -> GradCheck.numericGradient(p -> 0.0, null, 1e-3)),
        () ->
            assertNpeNaming(
                "output", () -> GradCheck.numericGradient(null, List.of(Value.of(1)), 1e-3)),
        () -> assertNpeNaming("analytic", () -> GradCheck.assertClose(null, x, 0, 0)),
        () -> assertNpeNaming("numeric", () -> GradCheck.assertClose(x, null, 0, 0)));
  }

  @Test
  void numericGradientOfGraph_stepNaNOrInfinite_throwsNamingItAndLeavesTheLeavesAlone() {
    Value x = Value.of(3.0);
    Value output = x.mul(x);

    for (double h : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -0.0}) {
      IllegalArgumentException e =
          assertThrowsExactly(
              IllegalArgumentException.class,
              () -> GradCheck.numericGradient(output, List.of(x), h));

      assertMessageContains(e, String.valueOf(h));
      assertEquals(3.0, x.data(), 0.0);
      assertEquals(9.0, output.data(), 0.0);
    }
  }

  @Test
  void topologicalOrder_nullList_throwsNamingRoots() {
    assertNpeNaming("roots", () -> Graph.topologicalOrder((List<Value>) null));
  }

  @Test
  void clamp_nanBound_throwsNamingTheBoundsAndLeavesTheValueUsable() {
    Value x = Value.of(0.5);

    IllegalArgumentException low =
        assertThrowsExactly(IllegalArgumentException.class, () -> x.clamp(Double.NaN, 1.0));
    IllegalArgumentException high =
        assertThrowsExactly(IllegalArgumentException.class, () -> x.clamp(0.0, Double.NaN));
    Value clamped = x.clamp(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);

    assertMessageContains(low, "lo = NaN");
    assertMessageContains(high, "hi = NaN");
    assertEquals(0.5, clamped.data(), 0.0);
    clamped.backward();
    assertEquals(1.0, x.grad(), 0.0);
  }

  @Test
  void pow_nonFiniteExponents_valueIsMathPowAndNaNExponentGivesNaNGradient() {
    double[] bases = {-2, -1, -0.5, -0.0, 0, 0.5, 1, 2, Double.POSITIVE_INFINITY, Double.NaN};
    double[] exponents = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};

    for (double base : bases) {
      for (double k : exponents) {
        Value x = Value.of(base);
        Value p = x.pow(k);
        p.backward();

        assertEquals(Math.pow(base, k), p.data(), 0.0, base + " ** " + k);
        assertEquals(k, p.exponent(), 0.0);
        if (Double.isNaN(k)) {
          assertTrue(Double.isNaN(x.grad()), base + " ** NaN has gradient " + x.grad());
        }
      }
    }
  }

  @Test
  void child_indexOutsideTheOperands_throwsIndexOutOfBoundsNamingIt() {
    Value sum = Value.of(1).add(Value.of(2));

    for (int i : new int[] {-1, 2, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      IndexOutOfBoundsException e =
          assertThrows(IndexOutOfBoundsException.class, () -> sum.child(i));

      assertMessageContains(e, String.valueOf(i));
    }
  }

  @Test
  void gradCheckAndGraphExport_deepChains_finishWithoutStackOverflow() {
    Value x = Value.of(0.75, "x");
    Value million = x;
    for (int i = 0; i < 1_000_000; i++) {
      million = million.neg();
    }
    Value hundredThousand = x;
    for (int i = 0; i < 100_000; i++) {
      hundredThousand = hundredThousand.neg();
    }

    // an even number of negations is the identity: value x, derivative 1
    GradCheck.assertGradients(million, List.of(x), GradCheck.STEP, 1e-6, 1e-9);
    String dot = GraphViz.toDot(hundredThousand);
    List<Value> order = Graph.topologicalOrder(hundredThousand);

    assertEquals(1.0, x.grad(), 0.0);
    assertEquals(0.75, million.data(), 0.0);
    assertEquals(100_001, order.size());
    assertEquals(100_000, countOf(dot, "[label=\"neg\"]"));
    assertTrue(dot.startsWith("digraph jitgrad {") && dot.endsWith("}\n"));
    assertTrue(million.toString().startsWith("Value(data=0.75"), million.toString());
  }

  private static int countOf(String text, String part) {
    int count = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
      count++;
    }
    return count;
  }

  /** Asserts that {@code call} throws an NPE whose message contains {@code name}. */
  public static void assertNpeNaming(String name, Executable call) {
    NullPointerException e = assertThrowsExactly(NullPointerException.class, call);
    assertMessageContains(e, name);
  }

  /** Asserts that {@code e} has a message and it contains {@code text}. */
  public static void assertMessageContains(Throwable e, String text) {
    assertNotNull(e.getMessage(), "no message; expected one naming " + text);
    assertTrue(e.getMessage().contains(text), e.getMessage());
  }
}
