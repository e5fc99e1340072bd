package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ValueTest {

  /** micrograd's README example, written op for op; its published numbers are the oracle. */
  @Test
  void backward_micrograd_readme_expression_matchesPublishedNumbers() {
    Value a = Value.of(-4.0);
    Value b = Value.of(2.0);
    Value g = MicrogradExpression.build(a, b);

    g.backward();

    assertEquals(24.7041, g.data(), 5e-5);
    assertEquals(138.8338, a.grad(), 5e-5);
    assertEquals(645.5773, b.grad(), 5e-5);
  }

  @Test
  void hashCode_isStablePerNodeAndSpreadOverNodes_equalsStaysIdentity() {
    Value x = Value.of(1.0);
    Value same = Value.of(1.0);
    int before = x.hashCode();
    x.setData(2.0);
    x.backward();
    Set<Integer> codes = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      codes.add(Value.of(0.0).add(x).hashCode());
    }

    assertEquals(before, x.hashCode());
    assertNotEquals(x, same);
    assertTrue(codes.size() > 9_900, codes.size() + " distinct hash codes of 10,000 nodes");
  }

  @Test
  void toString_leaf_printsDataAndGradLikeMicrograd() {
    Value x = Value.of(2.5);
    x.setGrad(-1.0);

    String text = x.toString();

    assertEquals("Value(data=2.5, grad=-1.0)", text);
  }

  @Test
  void backward_variableUsedTwice_getsBothContributions() {
    Value x = Value.of(3.0);
    Value y = x.mul(x);

    y.backward();

    assertEquals(6.0, x.grad());
  }

  @Test
  void backward_variableAddedToItself_getsGradientTwo() {
    Value x = Value.of(-1.25);
    Value y = x.add(x);

    y.backward();

    assertEquals(2.0, x.grad());
  }

  /**
   * Each leaf feeds exactly one op here, so it receives one contribution per backward and S + S =
   * 2S holds exactly; the inner node {@code shared} has several parents, so double counting through
   * it would show as a factor other than 2.
   */
  @Test
  void backward_calledTwice_doublesLeafGradsWithoutDoubleCountingInnerNodes() {
    Value x = Value.of(0.7);
    Value y = Value.of(-1.3);
    Value shared = x.mul(y).tanh();
    Value out = shared.mul(shared).add(shared.exp()).div(shared.pow(2).add(1));
    out.backward();
    double[] first = {x.grad(), y.grad()};

    out.backward();

    assertEquals(2 * first[0], x.grad(), 0.0);
    assertEquals(2 * first[1], y.grad(), 0.0);
  }

  /**
   * A leaf used in several places receives several contributions, and (S + c1) + c2 need not round
   * to exactly 2S when S = c1 + c2; so here the doubling holds to a few ulps, not bit for bit.
   */
  @Test
  void backward_calledTwiceWithLeafUsedOften_doublesLeafGradsToRounding() {
    Value x = Value.of(0.7);
    Value y = Value.of(-1.3);
    Value shared = x.mul(y).tanh();
    Value out = shared.mul(shared).add(shared.exp().mul(x)).div(y.mul(y).add(1));
    out.backward();
    double[] first = {x.grad(), y.grad()};

    out.backward();

    assertEquals(2 * first[0], x.grad(), 1e-15 * Math.abs(first[0]));
    assertEquals(2 * first[1], y.grad(), 1e-15 * Math.abs(first[1]));
  }

  @Test
  void backward_twoLosses_sumInSharedLeaves() {
    Value x = Value.of(1.5);
    Value y = Value.of(-0.5);
    Value loss1 = x.mul(y); // d/dx = y, d/dy = x
    Value loss2 = x.pow(2).add(y.mul(3)); // d/dx = 2x, d/dy = 3

    loss1.backward();
    loss2.backward();

    assertEquals(-0.5 + 3.0, x.grad(), 1e-15);
    assertEquals(1.5 + 3.0, y.grad(), 1e-15);
  }

  @Test
  void backward_secondLossContainsFirst_countsEachPathOnce() {
    Value x = Value.of(2.0);
    Value loss1 = x.mul(x); // 2x = 4
    Value loss2 = loss1.mul(3); // 6x = 12

    loss1.backward();
    loss2.backward();

    assertEquals(16.0, x.grad());
  }

  @Test
  void zeroGrad_afterBackward_resetsTheLeaf() {
    Value x = Value.of(2.0);
    Value y = x.mul(x).add(x);
    y.backward();

    x.zeroGrad();
    y.backward();

    assertEquals(5.0, x.grad());
  }

  @Test
  void backward_onALeaf_accumulatesOne() {
    Value x = Value.of(4.0);

    x.backward();
    x.backward();

    assertEquals(2.0, x.grad());
  }

  @Test
  void forward_afterSetData_matchesAFreshGraphAtTheNewValues() {
    Value x = Value.of(0.3);
    Value y = Value.of(1.7);
    Value out = expression(x, y);

    x.setData(-0.9);
    y.setData(2.4);
    double recomputed = out.forward();

    double fresh = expression(Value.of(-0.9), Value.of(2.4)).data();
    assertEquals(fresh, recomputed, 0.0);
    assertEquals(fresh, out.data(), 0.0);
  }

  /** Uses every op, with x and y shared between several paths. */
  private static Value expression(Value x, Value y) {
    Value s = x.mul(y).add(x.sub(y).tanh());
    Value t = y.mul(y).add(1).log().div(x.exp().add(1)).pow(1.5);
    Value u = s.sigmoid().sub(t.softplus()).neg().relu();
    return Value.sum(s, t, u, x.pow(-2), s.mul(t));
  }

  @Test
  void forward_afterSetData_updatesEveryInnerNode() {
    Value x = Value.of(1.0);
    Value inner = x.mul(2);
    Value out = inner.add(1);

    x.setData(5.0);
    out.forward();

    assertEquals(10.0, inner.data());
    assertEquals(11.0, out.data());
  }

  @Test
  void setData_onComputedNode_throwsIllegalState() {
    Value sum = Value.of(1.0).add(2.0);

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> sum.setData(0.0));

    assertTrue(e.getMessage().contains("ADD"), e.getMessage());
  }

  @Test
  void sum_emptyList_isLeafZero() {
    Value s = Value.sum(List.of());

    assertTrue(s.isLeaf());
    assertEquals(0.0, s.data());
  }

  @Test
  void sum_repeatedValue_countsEachOccurrence() {
    Value x = Value.of(1.5);
    Value y = Value.of(2.0);

    Value s = Value.sum(x, y, x);
    s.backward();

    assertEquals(5.0, s.data());
    assertEquals(2.0, x.grad());
    assertEquals(1.0, y.grad());
  }

  @Test
  void dot_twoLists_isSumOfProducts() {
    Value a0 = Value.of(1.0);
    Value a1 = Value.of(-2.0);
    Value b0 = Value.of(3.0);
    Value b1 = Value.of(0.5);

    Value d = Value.dot(List.of(a0, a1), List.of(b0, b1));
    d.backward();

    assertEquals(1.0 * 3.0 + -2.0 * 0.5, d.data());
    assertEquals(3.0, a0.grad());
    assertEquals(0.5, a1.grad());
    assertEquals(1.0, b0.grad());
    assertEquals(-2.0, b1.grad());
  }

  @Test
  void dot_unequalLengths_throwsNamingBothLengths() {
    List<Value> two = List.of(Value.of(1), Value.of(2));
    List<Value> three = List.of(Value.of(1), Value.of(2), Value.of(3));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Value.dot(two, three));

    assertTrue(e.getMessage().contains("2") && e.getMessage().contains("3"), e.getMessage());
  }

  @Test
  void binaryOps_nullOperand_throwNullPointerNamingTheOp() {
    Value x = Value.of(1.0);
    Map<String, Executable> calls =
        Map.of(
            "add", () -> x.add(null),
            "sub", () -> x.sub(null),
            "mul", () -> x.mul(null),
            "div", () -> x.div(null));

    for (Map.Entry<String, Executable> call : calls.entrySet()) {
      NullPointerException e = assertThrows(NullPointerException.class, call.getValue());

      assertTrue(e.getMessage().contains(call.getKey()), e.getMessage());
    }
  }

  @Test
  void sum_nullElement_throwsNamingTheIndex() {
    List<Value> values = Arrays.asList(Value.of(1.0), null);

    NullPointerException e = assertThrows(NullPointerException.class, () -> Value.sum(values));

    assertTrue(e.getMessage().contains("values[1]"), e.getMessage());
  }

  @Test
  void staticBuilders_nullArgument_throwNullPointerNamingIt() {
    List<Value> one = List.of(Value.of(1.0));
    Map<String, Executable> calls =
        Map.of(
            "a", () -> Value.dot(null, one),
            "b", () -> Value.dot(one, null),
            "values", () -> Value.sum((Value[]) null));

    for (Map.Entry<String, Executable> call : calls.entrySet()) {
      NullPointerException e = assertThrows(NullPointerException.class, call.getValue());

      assertEquals(call.getKey(), e.getMessage());
    }
  }

  @Test
  void of_nullLabel_throwsNullPointer() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> Value.of(1, null));

    assertTrue(e.getMessage().contains("label"), e.getMessage());
  }

  @Test
  void accessors_describeTheNode() {
    Value x = Value.of(2.0, "x");
    Value p = x.pow(3);

    assertEquals(Op.POW, p.op());
    assertEquals(3.0, p.exponent());
    assertEquals(List.of(x), p.children());
    assertEquals(1, p.childCount());
    assertEquals(x, p.child(0));
    assertEquals("x", x.label());
    assertTrue(x.isLeaf());
    assertEquals(8.0, p.data());
  }
}
