package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jitgrad.engine.GradCheck;
import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.MLP;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's ten-line example, so it keeps compiling and saying what it claims. */
class ReadmeExampleTest {
  @Test
  void readmeExample_runs_gradientsMatchFiniteDifferences() {
    Value a = Value.of(-4.0, "a"), b = Value.of(2.0, "b");
    Value g = a.mul(b).add(b.pow(3)).tanh().div(a.relu().add(1.0));
    g.backward();

    CompiledGraph cg = Jit.compile(g, List.of(a), List.of(b));
    double[] gradB = new double[1];
    double y = cg.valueAndGrad(new double[] {-3.0}, new double[] {2.5}, gradB);

    MLP model = new MLP(2, 16, 16, 1);
    List<Value> out = model.apply(List.of(Value.of(0.5), Value.of(-1.0)));

    double[] numeric =
        GradCheck.numericGradient(
            v -> Math.tanh(v[0] * v[1] + Math.pow(v[1], 3)) / (Math.max(v[0], 0) + 1),
            new double[] {-3.0, 2.5},
            1e-6);
    assertEquals(Math.tanh(-3.0 * 2.5 + Math.pow(2.5, 3)), y, 1e-15);
    assertEquals(numeric[1], gradB[0], 1e-6);
    assertEquals(337, model.parameters().size());
    assertEquals(1, out.size());
  }
}
