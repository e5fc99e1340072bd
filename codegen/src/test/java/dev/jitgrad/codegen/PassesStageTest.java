package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jitgrad.engine.Op;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The passes on n-ary instructions, which keep sums whole until stage 5 expands them. */
class PassesStageTest {
  private static Program sums(int[][] operandLists) {
    Program.Builder b = new Program.Builder(2, 0, operandLists.length);
    b.leaf(Kind.INPUT, 0);
    b.leaf(Kind.INPUT, 1);
    b.constant(2);
    b.constant(0.5);
    b.constant(-0.0);
    for (int s = 0; s < operandLists.length; s++) {
      int id = b.start(Op.SUM, 0, 0);
      for (int o : operandLists[s]) {
        b.operand(o);
      }
      b.sink(id, Program.OUTPUT, s);
    }
    return b.build();
  }

  /** Asserts that the fused rewrite gives what the three passes give one after another. */
  private static void assertFusedEqualsSequence(Program p, String what) {
    Program sequence =
        Passes.eliminateCommonSubexpressions(Passes.simplify(Passes.foldConstants(p)));

    Program fused = Passes.foldSimplifyMerge(p);

    assertEquals(sequence.toString(), fused.toString(), what);
  }

  @Test
  void foldSimplifyMerge_randomAndStructuredGraphsAndTheirGradients_equalsThePassesInSequence() {
    SplittableRandom random = new SplittableRandom(31);
    for (int t = 0; t < 40; t++) {
      Program traced = StructuredGraphProperties.tracedMixedOrRandom(random, t);
      Program differentiable = Passes.eliminateDeadCode(Passes.foldConstants(traced));

      assertFusedEqualsSequence(traced, "traced graph " + t);
      assertFusedEqualsSequence(differentiable, "graph " + t);
      assertFusedEqualsSequence(
          Reverse.differentiate(differentiable, false, false), "gradient of graph " + t);
      assertFusedEqualsSequence(
          Reverse.differentiate(differentiable, true, false), "input gradient of graph " + t);
    }
  }

  @Test
  void open_randomAndStructuredGraphsThenTheirGradients_equalsTheRewriteOfEach() {
    SplittableRandom random = new SplittableRandom(37);
    for (int t = 0; t < 40; t++) {
      Program differentiable = differentiable(random, t);
      Program gradient = Reverse.differentiate(differentiable, false, false);
      Program inputGradient = Reverse.differentiate(differentiable, true, false);

      Passes.Open open = new Passes.Open(differentiable, JitOptions.defaults());
      Passes.Open again = new Passes.Open(differentiable, JitOptions.defaults());

      assertEquals(
          Passes.foldSimplifyMerge(differentiable).toString(),
          open.program().toString(),
          "graph " + t);
      assertEquals(
          Passes.foldSimplifyMerge(gradient).toString(),
          open.extend(gradient).toString(),
          "gradient of graph " + t);
      assertEquals(
          Passes.foldSimplifyMerge(inputGradient).toString(),
          again.extend(inputGradient).toString(),
          "input gradient of graph " + t);
    }
  }

  @Test
  void open_exactMode_leavesBothProgramsAsTheyAre() {
    Program differentiable = differentiable(new SplittableRandom(41), 0);
    Program gradient = Reverse.differentiate(differentiable, false, true);

    Passes.Open open = new Passes.Open(differentiable, JitOptions.defaults().withExact(true));

    assertSame(differentiable, open.program());
    assertSame(gradient, open.extend(gradient));
  }

  @Test
  void open_programNotBeginningWithTheFirst_throwsJitBugException() {
    Program first = sums(new int[][] {{0, 1}});
    Program other = sums(new int[][] {{1, 0}, {0, 1}});

    Passes.Open open = new Passes.Open(first, JitOptions.defaults());

    assertThrows(JitBugException.class, () -> open.extend(other));
  }

  /** A random (or every fourth time, structured) graph after the passes before reverse mode. */
  private static Program differentiable(SplittableRandom random, int t) {
    if (t % 4 == 3) {
      StructuredGraphProperties.Mixed m = new StructuredGraphProperties.Mixed(random);
      return Passes.eliminateDeadCode(
          Passes.foldConstants(Tracer.trace(List.of(m.output), m.inputs, m.params)));
    }
    Oracle.RandomCase c = Oracle.RandomCase.draw(random, 6, 40);
    return Passes.eliminateDeadCode(
        Passes.foldConstants(Tracer.trace(List.of(c.sample().output()), c.inputs(), c.params())));
  }

  @Test
  void foldSimplifyMerge_identitiesThatAppendAndConstantsToMerge_equalsThePassesInSequence() {
    Program.Builder b = new Program.Builder(1, 0, 4);
    int x = b.leaf(Kind.INPUT, 0);
    int minusZero = b.constant(-0.0);
    int minusOne = b.constant(-1);
    int two = b.constant(2);
    int three = b.constant(3);
    int negated = b.binary(Op.SUB, minusZero, x); // becomes NEG x
    int timesMinusOne = b.binary(Op.MUL, x, minusOne); // NEG x again: merged with the first
    int sum = b.start(Op.SUM, 0, 0); // 2 + 3 folds to 5; the -0.0 term goes
    b.operand(two);
    b.operand(three);
    b.operand(minusZero);
    b.operand(x);
    int five = b.binary(Op.ADD, two, three); // the 5 of the sum's head: merged
    b.sink(negated, Program.OUTPUT, 0);
    b.sink(timesMinusOne, Program.OUTPUT, 1);
    b.sink(sum, Program.OUTPUT, 2);
    b.sink(five, Program.OUTPUT, 3);
    Program p = b.build();

    Program fused = Passes.eliminateDeadCode(Passes.foldSimplifyMerge(p));

    assertFusedEqualsSequence(p, "hand-made program");
    assertEquals(fused.sinkValue[0], fused.sinkValue[1], "one NEG x");
    assertEquals(Op.NEG, fused.op(fused.sinkValue[0]));
    assertEquals(5.0, fused.k[fused.sinkValue[3]]);
    assertEquals(fused.sinkValue[3], fused.operand(fused.sinkValue[2], 0), "the sum's head is 5");
    assertEquals(2, fused.arity(fused.sinkValue[2]), "5 + x");
  }

  @Test
  void eliminateCommonSubexpressions_equalSums_mergesOnlyThoseWithTheSameOperandOrder() {
    Program p = sums(new int[][] {{0, 1, 0}, {0, 1, 0}, {1, 0, 0}, {0, 1}});

    Program merged = Passes.eliminateCommonSubexpressions(p);

    assertEquals(5 + 3, merged.size);
    assertEquals(merged.sinkValue[0], merged.sinkValue[1]);
  }

  @Test
  void foldConstants_sumOfConstants_becomesItsLeftToRightValue() {
    Program p = sums(new int[][] {{2, 3, 3}, {2, 0}});

    Program folded = Passes.eliminateDeadCode(Passes.foldConstants(p));

    assertEquals(Kind.CONST, folded.kind(folded.sinkValue[0]));
    assertEquals((2 + 0.5) + 0.5, folded.k[folded.sinkValue[0]]);
    assertEquals(Op.SUM, folded.op(folded.sinkValue[1]));
  }

  @Test
  void foldConstants_sumWithLeadingConstants_foldsThemIntoOneTerm() {
    Program p = sums(new int[][] {{2, 3, 3, 0, 2, 1}});

    Program folded = Passes.eliminateDeadCode(Passes.foldConstants(p));

    int sum = folded.sinkValue[0];
    assertEquals(Op.SUM, folded.op(sum));
    assertEquals(4, folded.arity(sum));
    assertEquals((2 + 0.5) + 0.5, folded.k[folded.operand(sum, 0)]);
    double[] x = {-1.25, 1e17};
    Oracle.assertBitIdentical(
        Programs.interpret(p, x, new double[0]),
        Programs.interpret(folded, x, new double[0]),
        "folded");
  }

  @Test
  void simplify_sumsWithNegativeZeroTerms_dropThemAndKeepEveryBit() {
    Program p = sums(new int[][] {{4, 0, 4, 1}, {0, 4}, {4, 0}, {0}, {4, 4}});

    Program simplified = Passes.eliminateDeadCode(Passes.simplify(p));

    assertEquals(Op.SUM, simplified.op(simplified.sinkValue[0]));
    assertEquals(2, simplified.arity(simplified.sinkValue[0]));
    for (int s = 1; s < 4; s++) {
      assertEquals(Kind.INPUT, simplified.kind(simplified.sinkValue[s]), "sum " + s);
    }
    for (double x0 : new double[] {-0.0, 0.0, 3.5, Double.NaN, Double.NEGATIVE_INFINITY}) {
      double[] x = {x0, -0.0};
      Oracle.assertBitIdentical(
          Programs.interpret(p, x, new double[0]),
          Programs.interpret(simplified, x, new double[0]),
          "simplified at " + x0);
    }
  }

  @Test
  void foldConstantsAndEliminateDeadCode_nothingToChange_returnTheProgramItself() {
    Program p = sums(new int[][] {{0, 2, 3}, {1, 0}});
    Program live = Passes.eliminateDeadCode(p);

    Program folded = Passes.foldConstants(live);
    Program again = Passes.eliminateDeadCode(live);

    assertSame(live, folded);
    assertSame(live, again);
    assertEquals(p.size - 1, live.size); // the unused -0.0
  }
}
