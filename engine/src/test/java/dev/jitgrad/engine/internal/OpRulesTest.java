package dev.jitgrad.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jitgrad.engine.Op;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OpRulesTest {
  /** Records what a rule builds, as text, for operands that need a gradient or not. */
  private static final class Recorder implements Derivatives {
    final List<String> values = new ArrayList<>();
    final List<String> accumulated = new ArrayList<>();
    private final boolean[] needs;

    Recorder(boolean... needs) {
      this.needs = needs;
    }

    private int push(String value) {
      values.add(value);
      return values.size() - 1;
    }

    private String v(int h) {
      return values.get(h);
    }

    @Override
    public int operandCount() {
      return needs.length;
    }

    @Override
    public int operand(int j) {
      return push("x" + j);
    }

    @Override
    public int output() {
      return push("o");
    }

    @Override
    public int adjoint() {
      return push("g");
    }

    @Override
    public int constant(double value) {
      return push(Double.toString(value));
    }

    @Override
    public int add(int a, int b) {
      return push("(" + v(a) + " + " + v(b) + ")");
    }

    @Override
    public int sub(int a, int b) {
      return push("(" + v(a) + " - " + v(b) + ")");
    }

    @Override
    public int mul(int a, int b) {
      return push("(" + v(a) + " * " + v(b) + ")");
    }

    @Override
    public int div(int a, int b) {
      return push("(" + v(a) + " / " + v(b) + ")");
    }

    @Override
    public int neg(int a) {
      return push("-" + v(a));
    }

    @Override
    public int pow(int a, double k) {
      return push("pow(" + v(a) + ", " + k + ")");
    }

    @Override
    public int apply(Op op, int a) {
      return push(op.name().toLowerCase() + "(" + v(a) + ")");
    }

    @Override
    public int step(int a) {
      return push("step(" + v(a) + ")");
    }

    @Override
    public int sign(int a) {
      return push("sign(" + v(a) + ")");
    }

    @Override
    public int maxWeight(int a, int b) {
      return push("maxWeight(" + v(a) + ", " + v(b) + ")");
    }

    @Override
    public int inRange(int a, int lo, int hi) {
      return push("inRange(" + v(a) + ", " + v(lo) + ", " + v(hi) + ")");
    }

    @Override
    public int where(int condition, int a, int b) {
      return push("where(" + v(condition) + ", " + v(a) + ", " + v(b) + ")");
    }

    @Override
    public boolean needs(int j) {
      return needs[j];
    }

    @Override
    public void accumulate(int j, int contribution) {
      accumulated.add("x" + j + " += " + v(contribution));
    }
  }

  @Test
  void derive_div_writesTheEnginesTermsForEachOperand() {
    Recorder r = new Recorder(true, true);

    OpRules.derive(Op.DIV, 0, 0, r);

    assertEquals(List.of("x0 += (g / x1)", "x1 += ((-o / x1) * g)"), r.accumulated);
  }

  @Test
  void derive_powWithZeroExponent_contributesZeroTimesG() {
    Recorder r = new Recorder(true);

    OpRules.derive(Op.POW, 0, 0, r);

    assertEquals(List.of("x0 += (0.0 * g)"), r.accumulated);
  }

  @Test
  void derive_maxAndMin_giveEachOperandItsTieWeightedShare() {
    Recorder max = new Recorder(true, true);
    Recorder min = new Recorder(true, true);

    OpRules.derive(Op.MAX, 0, 0, max);
    OpRules.derive(Op.MIN, 0, 0, min);

    assertEquals(
        List.of("x0 += (maxWeight(x0, x1) * g)", "x1 += (maxWeight(x1, x0) * g)"), max.accumulated);
    assertEquals(
        List.of("x0 += (maxWeight(x1, x0) * g)", "x1 += (maxWeight(x0, x1) * g)"), min.accumulated);
  }

  @Test
  void derive_absAndClamp_multiplyTheAdjointByTheirIndicator() {
    Recorder abs = new Recorder(true);
    Recorder clamp = new Recorder(true);

    OpRules.derive(Op.ABS, 0, 0, abs);
    OpRules.derive(Op.CLAMP, -1.5, 2.5, clamp);

    assertEquals(List.of("x0 += (sign(x0) * g)"), abs.accumulated);
    assertEquals(List.of("x0 += (inRange(x0, -1.5, 2.5) * g)"), clamp.accumulated);
  }

  @Test
  void derive_where_selectsTheAdjointForEachSideAndNothingForTheCondition() {
    Recorder r = new Recorder(true, true, true);

    OpRules.derive(Op.WHERE, 0, 0, r);

    assertEquals(List.of("x1 += where(x0, g, 0.0)", "x2 += where(x0, 0.0, g)"), r.accumulated);
  }

  @Test
  void derive_whereWithOnlyTheConditionNeedingAGradient_buildsNothing() {
    Recorder r = new Recorder(true, false, false);

    OpRules.derive(Op.WHERE, 0, 0, r);

    assertEquals(List.of(), r.accumulated);
  }

  @Test
  void evaluate_newOps_computeTheirDefinitions() {
    assertEquals(3.0, OpRules.evaluate(Op.MAX, 3, -2, 0, 0, 0));
    assertEquals(-2.0, OpRules.evaluate(Op.MIN, 3, -2, 0, 0, 0));
    assertEquals(2.5, OpRules.evaluate(Op.ABS, -2.5, 0, 0, 0, 0));
    assertEquals(1.0, OpRules.evaluate(Op.CLAMP, 7, 0, 0, -1, 1));
    assertEquals(-1.0, OpRules.evaluate(Op.CLAMP, -7, 0, 0, -1, 1));
    assertEquals(0.25, OpRules.evaluate(Op.CLAMP, 0.25, 0, 0, -1, 1));
    assertEquals(20.0, OpRules.evaluate(Op.WHERE, 1e-300, 20, 30, 0, 0));
    assertEquals(30.0, OpRules.evaluate(Op.WHERE, Double.NaN, 20, 30, 0, 0));
  }

  @ParameterizedTest
  @EnumSource(value = Op.class, names = "LEAF", mode = EnumSource.Mode.EXCLUDE)
  void derive_noOperandNeedsAGradient_buildsNothingButTheAdjoint(Op op) {
    Recorder r = new Recorder(new boolean[op.arity() < 0 ? 3 : op.arity()]);

    OpRules.derive(op, 2, 3, r);

    assertEquals(List.of(), r.accumulated);
    assertEquals(List.of("g"), r.values);
  }

  @ParameterizedTest
  @EnumSource(value = Op.class, names = "LEAF", mode = EnumSource.Mode.EXCLUDE)
  void derive_onlySecondOperandNeedsAGradient_contributesOnlyToIt(Op op) {
    boolean[] needs = new boolean[op.arity() < 0 ? 2 : op.arity()];
    int second = Math.min(1, needs.length - 1);
    needs[second] = true;
    Recorder r = new Recorder(needs);

    OpRules.derive(op, 2, 3, r);

    assertEquals(1, r.accumulated.size(), r.accumulated.toString());
    assertEquals("x" + second, r.accumulated.get(0).substring(0, 2));
  }

  @Test
  void evaluate_leafAndSum_haveNoFixedArityRule() {
    assertThrows(IllegalArgumentException.class, () -> OpRules.evaluate(Op.LEAF, 1, 2, 3, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> OpRules.evaluate(Op.SUM, 1, 2, 3, 0, 0));
  }

  @Test
  void foldOp_sum_isAdd() {
    assertEquals(Op.ADD, OpRules.foldOp(Op.SUM));
    assertThrows(IllegalArgumentException.class, () -> OpRules.foldOp(Op.MUL));
  }
}
