package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The default passes keep results within rounding even where signed zeros decide them. */
class PassesTest {
  private static final List<UnaryOperator<Value>> SIGN_OF_ZERO_GRAPHS =
      List.of(
          x -> Value.of(1.0).div(Value.of(0.0).sub(x)).tanh(),
          x -> Value.of(1.0).div(Value.of(-0.0).sub(x)).tanh(),
          x -> Value.of(1.0).div(x.add(0.0)).tanh(),
          x -> Value.of(1.0).div(Value.of(0.0).add(x)).tanh(),
          x -> Value.of(1.0).div(x.add(-0.0)).tanh(),
          x -> Value.of(1.0).div(x.sub(-0.0)).tanh(),
          x -> Value.of(1.0).div(x.sub(0.0)).tanh(),
          x -> x.add(0.0).pow(-1).sigmoid(),
          x -> x.mul(1.0).mul(-1.0).pow(-1).tanh());

  @ParameterizedTest
  @ValueSource(doubles = {0.0, -0.0, 1.0, Double.NaN, Double.NEGATIVE_INFINITY})
  void compile_identitiesOnSignedZeros_matchInterpreter(double at) {
    for (int g = 0; g < SIGN_OF_ZERO_GRAPHS.size(); g++) {
      Value x = Value.of(0, "x");
      Value y = SIGN_OF_ZERO_GRAPHS.get(g).apply(x);
      CompiledGraph compiled = Jit.compile(y, List.of(), List.of(x));
      double[] p = {at};

      double[] expected = Oracle.interpret(y, List.of(), List.of(x), new double[0], p);

      Oracle.assertClose(expected, Oracle.compiled(compiled, new double[0], p), "graph " + g);
    }
  }
}
