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

  /** The "How it works" example: reverse mode runs before CSE, so each use adds its own term. */
  @Test
  void ir_howItWorksExample_isTheReadmesListing() {
    Value x = Value.of(0.5, "x"), w = Value.of(2.0, "w");
    Value y = x.mul(w).tanh().add(x.mul(w));

    String ir = Jit.compile(y, List.of(x), List.of(w)).ir();

    String forward = "%0 = INPUT[0]\n%1 = PARAM[0]\n%2 = MUL %0 %1\n%3 = TANH %2\n%4 = ADD %3 %2\n";
    assertEquals(
        "forward:\n"
            + forward
            + "output[0] = %4\n"
            + "gradient:\n"
            + forward
            + "%5 = CONST 1.0\n%6 = PARAM_GRAD[0]\n%7 = ADD %6 %0\n%8 = MUL %3 %3\n"
            + "%9 = SUB %5 %8\n%10 = MUL %0 %9\n%11 = ADD %7 %10\n"
            + "output[0] = %4\nparamGrad[0] = %11\n",
        ir);
  }
}
