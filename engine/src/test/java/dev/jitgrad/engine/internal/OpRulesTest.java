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

    OpRules.derive(Op.DIV, 0, r);

    assertEquals(List.of("x0 += (g / x1)", "x1 += ((-o / x1) * g)"), r.accumulated);
  }

  @Test
  void derive_powWithZeroExponent_contributesZeroTimesG() {
    Recorder r = new Recorder(true);

    OpRules.derive(Op.POW, 0, r);

    assertEquals(List.of("x0 += (0.0 * g)"), r.accumulated);
  }

  @ParameterizedTest
  @EnumSource(value = Op.class, names = "LEAF", mode = EnumSource.Mode.EXCLUDE)
  void derive_noOperandNeedsAGradient_buildsNothingButTheAdjoint(Op op) {
    Recorder r = new Recorder(new boolean[op.arity() < 0 ? 3 : op.arity()]);

    OpRules.derive(op, 2, r);

    assertEquals(List.of(), r.accumulated);
    assertEquals(List.of("g"), r.values);
  }

  @ParameterizedTest
  @EnumSource(value = Op.class, names = "LEAF", mode = EnumSource.Mode.EXCLUDE)
  void derive_onlySecondOperandNeedsAGradient_contributesOnlyToIt(Op op) {
    boolean[] needs = new boolean[op.arity() == 1 ? 1 : 2];
    needs[needs.length - 1] = true;
    Recorder r = new Recorder(needs);

    OpRules.derive(op, 2, r);

    assertEquals(1, r.accumulated.size(), r.accumulated.toString());
    assertEquals("x" + (needs.length - 1), r.accumulated.get(0).substring(0, 2));
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
