package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jitgrad.engine.MicrogradExpression;
import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JitTest {
  @Test
  void compile_microgradExpression_matchesReadmeNumbers() {
    Value a = Value.of(-4.0);
    Value b = Value.of(2.0);
    Value g = MicrogradExpression.build(a, b);
    CompiledGraph compiled = Jit.compile(g, List.of(a, b), List.of());
    double[] ig = new double[2];

    double y = compiled.valueAndGrad(new double[] {-4, 2}, new double[0], ig, new double[0]);

    assertEquals(24.7041, y, 5e-5);
    assertEquals(138.8338, ig[0], 5e-5);
    assertEquals(645.5773, ig[1], 5e-5);
  }

  @Test
  void compile_randomWildDags_exactModeBitIdenticalToInterpreter() {
    SplittableRandom random = new SplittableRandom(1);
    for (int t = 0; t < 300; t++) {
      RandomGraphs.Sample s =
          RandomGraphs.wild(random, 1 + random.nextInt(5), 1 + random.nextInt(60));
      List<Value> inputs = new ArrayList<>(s.leaves().subList(0, s.leaves().size() / 2));
      List<Value> params =
          new ArrayList<>(s.leaves().subList(s.leaves().size() / 2, s.leaves().size()));
      CompiledGraph exact =
          Jit.compile(List.of(s.output()), inputs, params, JitOptions.defaults().withExact(true));
      CompiledGraph fast = Jit.compile(s.output(), inputs, params);
      double[] x = random.doubles(inputs.size(), -3, 3).toArray();
      double[] p = random.doubles(params.size(), -3, 3).toArray();

      double[] expected = Oracle.interpret(s.output(), inputs, params, x, p);

      Oracle.assertBitIdentical(expected, Oracle.compiled(exact, x, p), "exact dag " + t);
      Oracle.assertClose(expected, Oracle.compiled(fast, x, p), "default dag " + t);
    }
  }
}
