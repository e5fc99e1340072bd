package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.jitgrad.engine.Op;
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
