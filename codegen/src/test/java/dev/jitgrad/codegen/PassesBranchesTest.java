package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.jitgrad.engine.Op;
import org.junit.jupiter.api.Test;

/**
 * The passes on the branching ops and the derivative helpers: merging keys on both constants and
 * every operand in order, folding computes what the instruction would.
 */
class PassesBranchesTest {
  @Test
  void eliminateCommonSubexpressions_clampsWithOtherUpperBound_keepsBoth() {
    Program.Builder b = new Program.Builder(1, 0, 3);
    int x = b.leaf(Kind.INPUT, 0);
    int first = b.start(Op.CLAMP, -1, 1);
    b.operand(x);
    int same = b.start(Op.CLAMP, -1, 1);
    b.operand(x);
    int otherHi = b.start(Op.CLAMP, -1, 2);
    b.operand(x);
    b.sink(first, Program.OUTPUT, 0);
    b.sink(same, Program.OUTPUT, 1);
    b.sink(otherHi, Program.OUTPUT, 2);

    Program merged = Passes.eliminateCommonSubexpressions(b.build());

    assertEquals(merged.sinkValue[0], merged.sinkValue[1]);
    assertNotEquals(merged.sinkValue[0], merged.sinkValue[2]);
    assertEquals(2.0, merged.k2(merged.sinkValue[2]));
  }

  @Test
  void eliminateCommonSubexpressions_wheresWithOperandsInOtherOrder_keepsBoth() {
    Program.Builder b = new Program.Builder(3, 0, 3);
    int c = b.leaf(Kind.INPUT, 0);
    int x = b.leaf(Kind.INPUT, 1);
    int y = b.leaf(Kind.INPUT, 2);
    b.sink(b.ternary(Op.WHERE, c, x, y), Program.OUTPUT, 0);
    b.sink(b.ternary(Op.WHERE, c, x, y), Program.OUTPUT, 1);
    b.sink(b.ternary(Op.WHERE, c, y, x), Program.OUTPUT, 2);

    Program merged = Passes.eliminateCommonSubexpressions(b.build());

    assertEquals(merged.sinkValue[0], merged.sinkValue[1]);
    assertNotEquals(merged.sinkValue[0], merged.sinkValue[2]);
  }

  @Test
  void eliminateCommonSubexpressions_helpersWithSwappedOperands_keepsBoth() {
    Program.Builder b = new Program.Builder(2, 0, 3);
    int x = b.leaf(Kind.INPUT, 0);
    int y = b.leaf(Kind.INPUT, 1);
    b.sink(b.helper(Kind.MAX_WEIGHT, x, y), Program.OUTPUT, 0);
    b.sink(b.helper(Kind.MAX_WEIGHT, x, y), Program.OUTPUT, 1);
    b.sink(b.helper(Kind.MAX_WEIGHT, y, x), Program.OUTPUT, 2);

    Program merged = Passes.eliminateCommonSubexpressions(b.build());

    assertEquals(merged.sinkValue[0], merged.sinkValue[1]);
    assertNotEquals(merged.sinkValue[0], merged.sinkValue[2]);
  }

  @Test
  void foldConstants_branchingOpsAndHelpersOnConstants_becomeTheirValues() {
    Program.Builder b = new Program.Builder(0, 0, 7);
    int nan = b.constant(Double.NaN);
    int one = b.constant(1);
    int three = b.constant(3);
    int clamp = b.start(Op.CLAMP, -0.5, 0.5);
    b.operand(three);
    b.sink(b.binary(Op.MAX, one, nan), Program.OUTPUT, 0);
    b.sink(b.binary(Op.MIN, one, three), Program.OUTPUT, 1);
    b.sink(clamp, Program.OUTPUT, 2);
    b.sink(b.ternary(Op.WHERE, nan, one, three), Program.OUTPUT, 3);
    b.sink(b.helper(Kind.MAX_WEIGHT, one, one), Program.OUTPUT, 4);
    b.sink(b.helper(Kind.SIGN, nan), Program.OUTPUT, 5);
    b.sink(b.helper(Kind.IN_RANGE, one, one, three), Program.OUTPUT, 6);

    Program folded = Passes.foldConstants(b.build());

    // max with NaN is NaN; min 1; clamp to 0.5; a NaN condition picks the second side; a tie
    // weighs ½; sign(NaN) is 0; 1 is in [1, 3].
    double[] expected = {Double.NaN, 1, 0.5, 3, 0.5, 0, 1};
    for (int s = 0; s < expected.length; s++) {
      int v = folded.sinkValue[s];
      assertEquals(Kind.CONST, folded.kind(v), "output " + s);
      assertEquals(expected[s], folded.k[v], 0.0, "output " + s);
    }
  }
}
