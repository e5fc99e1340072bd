package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CompilerTest {
  @Test
  void verify_inTests_isSwitchedOnByTheBuild() {
    assertTrue(Compiler.VERIFY, "codegen/pom.xml sets jitgrad.verifyIr for surefire");
  }

  @Test
  void laneMinInstructions_inTests_givesEveryGraphLaneCode() {
    assertEquals(0, Compiler.LANE_MIN_INSTRUCTIONS, "codegen/pom.xml sets it for surefire");
  }

  @Test
  void wantsLanes_defaultThreshold_splitsTheMeasuredShapesAsMeasured() {
    int moons = gradientSize(LoopFormsTest.Graph.mlp(new SplittableRandom(1), 0, 2, 16, 16, 1));
    int small = gradientSize(LoopFormsTest.Graph.mlp(new SplittableRandom(1), 0, 2, 16, 10));
    int digits = gradientSize(LoopFormsTest.Graph.mlp(new SplittableRandom(1), 0, 64, 32, 10));

    boolean moonsLanes = Compiler.wantsLanes(moons, Compiler.DEFAULT_LANE_MIN_INSTRUCTIONS);
    boolean smallLanes = Compiler.wantsLanes(small, Compiler.DEFAULT_LANE_MIN_INSTRUCTIONS);
    boolean digitsLanes = Compiler.wantsLanes(digits, Compiler.DEFAULT_LANE_MIN_INSTRUCTIONS);

    assertTrue(moonsLanes, "2-16-16-1 measured 0.84x on lanes; gradient program " + moons);
    assertTrue(smallLanes, "2-16-10 measured 0.80x on lanes; gradient program " + small);
    assertTrue(digitsLanes, "64-32-10 measured 1.5x faster on lanes; gradient program " + digits);
  }

  private static int gradientSize(LoopFormsTest.Graph graph) {
    return graph.programs(JitOptions.defaults()).get(1).size;
  }

  @Test
  void run_passThatBreaksTheProgram_throwsBugNamingThePass() {
    Value x = Value.of(1, "x");
    Program p = Tracer.trace(List.of(x.exp()), List.of(x), List.of());
    Passes.Pass broken =
        new Passes.Pass(
            "broken pass",
            q -> {
              Program.Builder b = q.newBuilder();
              b.sink(b.unary(Op.EXP, 1), Program.OUTPUT, 0);
              return b.build();
            });

    JitBugException e = assertThrows(JitBugException.class, () -> Compiler.run(List.of(broken), p));

    assertTrue(
        e.getMessage().startsWith("jitgrad bug: after broken pass, instruction %0"),
        e.getMessage());
  }

  @Test
  void compile_sumOfFourParams_countsTheExpandedProgramAsBefore() {
    List<Value> w = List.of(Value.of(1), Value.of(2), Value.of(3), Value.of(4));

    Compiler.Compiled c =
        Compiler.compile(List.of(Value.sum(w)), List.of(), w, JitOptions.defaults());

    // 4 params and 3 adds: the size the tracer reported when it expanded sums itself
    String summary = c.summary().text(List.of(), false);
    assertTrue(summary.startsWith("traced 7 IR nodes, 7 after passes"), summary);
  }

  @Test
  void stages_exactInterpreterBackend_gradientBitIdenticalToBackward() {
    Value x = Value.of(0.7, "x");
    Value w = Value.of(-1.3, "w");
    Value y = Value.sum(x.mul(w).tanh(), x.div(w), w.pow(3).softplus(), x.relu()).log();
    JitOptions exact =
        JitOptions.defaults().withExact(true).withBackend(JitOptions.Backend.IR_INTERPRETER);

    Compiler.Compiled c = Compiler.compile(List.of(y), List.of(x), List.of(w), exact);
    Program inputGradient = Compiler.gradientProgram(c.differentiable(), true, exact);

    double[] expected =
        Oracle.interpret(y, List.of(x), List.of(w), new double[] {0.7}, new double[] {-1.3});
    double[] actual =
        Programs.run(
            Compiler.build(inputGradient, exact).kernel(),
            inputGradient,
            new double[] {0.7},
            new double[] {-1.3});
    Oracle.assertBitIdentical(expected, actual, "stages 1-5 and the interpreter");
    assertEquals(c.gradientSize(), Compiler.gradientProgram(c.differentiable(), false, exact).size);
  }
}
