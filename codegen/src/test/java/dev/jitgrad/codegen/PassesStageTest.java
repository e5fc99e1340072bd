package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jitgrad.engine.Op;
import org.junit.jupiter.api.Test;

/** The passes on n-ary instructions, which only reach them before expansion (Codegen v2 later). */
class PassesStageTest {
  private static Program sums(int[][] operandLists) {
    Program.Builder b = new Program.Builder(2, 0, operandLists.length);
    b.leaf(Kind.INPUT, 0);
    b.leaf(Kind.INPUT, 1);
    b.constant(2);
    b.constant(0.5);
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

    assertEquals(4 + 3, merged.size);
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
}
