package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BinaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Pins the engine's per-op rules and codegen's IR rules against each other, op by op. */
class OpsTest {
  private static final double[] SPECIAL = {
    0.0,
    -0.0,
    1.0,
    -1.0,
    1e-300,
    -1e-300,
    1000,
    -1000,
    400,
    -400,
    0.5,
    2.0,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    Double.NaN
  };

  @ParameterizedTest
  @EnumSource(value = Op.class, names = "LEAF", mode = EnumSource.Mode.EXCLUDE)
  void compile_singleOp_matchesInterpreterAtManyPoints(Op op) {
    for (double[] k : constants(op)) {
      Value x = Value.of(0, "x");
      Value z = Value.of(0, "z");
      Value y = build(op, k).apply(x, z);
      List<Value> inputs = List.of(x);
      List<Value> params = List.of(z);
      CompiledGraph exact =
          Jit.compile(List.of(y), inputs, params, JitOptions.defaults().withExact(true));
      CompiledGraph fast = Jit.compile(y, inputs, params);
      CompiledGraph ir =
          Jit.compile(
              List.of(y),
              inputs,
              params,
              JitOptions.defaults().withBackend(JitOptions.Backend.IR_INTERPRETER));
      SplittableRandom random = new SplittableRandom(op.ordinal());
      for (int t = 0; t < 400; t++) {
        double[] in = {point(random, t)};
        double[] p = {point(random, t / SPECIAL.length)};

        double[] expected = Oracle.interpret(y, inputs, params, in, p);

        String what = op + Arrays.toString(k) + " at " + in[0] + ", " + p[0];
        Oracle.assertBitIdentical(expected, Oracle.compiled(exact, in, p), "exact " + what);
        double[] optimised = Oracle.compiled(fast, in, p);
        Oracle.assertClose(expected, optimised, "default " + what);
        Oracle.assertBitIdentical(optimised, Oracle.compiled(ir, in, p), "IR interpreter " + what);
      }
    }
  }

  private static double point(SplittableRandom random, int t) {
    return t < SPECIAL.length * SPECIAL.length
        ? SPECIAL[t % SPECIAL.length]
        : random.nextDouble(-5, 5);
  }

  /** The constants each op is compiled with: POW's exponents, CLAMP's bounds, else none. */
  private static double[][] constants(Op op) {
    switch (op) {
      case POW:
        return new double[][] {{2}, {3}, {-1}, {-2.5}, {0.5}, {0}, {1}};
      case CLAMP:
        return new double[][] {{-1, 1}, {0, 0}, {-0.0, 0.0}, {Double.NEGATIVE_INFINITY, 0.5}};
      default:
        return new double[][] {{}};
    }
  }

  private static BinaryOperator<Value> build(Op op, double[] k) {
    switch (op) {
      case ADD:
        return Value::add;
      case SUB:
        return Value::sub;
      case MUL:
        return Value::mul;
      case DIV:
        return Value::div;
      case POW:
        return (x, z) -> x.pow(k[0]).mul(z);
      case NEG:
        return (x, z) -> x.mul(z).neg();
      case EXP:
        return (x, z) -> x.mul(z).exp();
      case LOG:
        return (x, z) -> x.mul(z).log();
      case TANH:
        return (x, z) -> x.mul(z).tanh();
      case RELU:
        return (x, z) -> x.sub(z).relu();
      case SIGMOID:
        return (x, z) -> x.mul(z).sigmoid();
      case SOFTPLUS:
        return (x, z) -> x.mul(z).softplus();
      case SUM:
        return (x, z) -> Value.sum(x, z, x.mul(z), z);
      case MAX:
        return Value::max;
      case MIN:
        return Value::min;
      case ABS:
        return (x, z) -> x.sub(z).abs();
      case CLAMP:
        return (x, z) -> x.mul(z).clamp(k[0], k[1]);
      case WHERE:
        return (x, z) -> Value.where(x.sub(z), x.mul(z), x.add(z));
      default:
        throw new AssertionError(op);
    }
  }
}
