package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jitgrad.engine.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Common subexpressions ({@code Passes.Merge}: chains by latest operand, a hash table past a full
 * chain and for instructions without operands) against a map from each instruction's code,
 * constants and operands to the first instruction that has them.
 */
class MergeTest {
  /** The oracle: merges each instruction into the first earlier one with the same contents. */
  private static Program mergedByMap(Program p) {
    Map<List<Long>, Integer> first = new HashMap<>();
    return p.rewrite(
        (out, in, i, renamed) -> {
          int id = out.copy(in, i, renamed);
          if (out.kind(id) == Kind.UPDATE) {
            return id;
          }
          List<Long> key = new ArrayList<>();
          key.add((long) out.code(id));
          key.add(Double.doubleToRawLongBits(out.k(id)));
          key.add(Double.doubleToRawLongBits(out.k2(id)));
          for (int j = 0; j < out.arity(id); j++) {
            key.add((long) out.operand(id, j));
          }
          Integer earlier = first.putIfAbsent(key, id);
          if (earlier != null) {
            out.dropLast();
            return earlier;
          }
          return id;
        });
  }

  private static void assertMergedAsByMap(Program p, String what) {
    assertEquals(
        mergedByMap(p).toString(), Passes.eliminateCommonSubexpressions(p).toString(), what);
    assertEquals(
        mergedByMap(Passes.simplify(Passes.foldConstants(p))).toString(),
        Passes.foldSimplifyMerge(p).toString(),
        what + ", fused with folding and identities");
  }

  @Test
  void randomAndStructuredGraphsAndTheirGradients_mergeAsTheMapDoes() {
    SplittableRandom random = new SplittableRandom(57);
    for (int t = 0; t < 40; t++) {
      Program traced = StructuredGraphProperties.tracedMixedOrRandom(random, t);
      Program differentiable = Passes.eliminateDeadCode(Passes.foldConstants(traced));

      assertMergedAsByMap(traced, "traced graph " + t);
      assertMergedAsByMap(Reverse.differentiate(differentiable, false, false), "gradient " + t);
      assertMergedAsByMap(
          Reverse.differentiate(differentiable, true, false), "input gradient " + t);
    }
  }

  /**
   * One value is the latest operand of 3·40 instructions, far more than a chain holds, and each
   * comes again later in another order; equal sums that differ only in operand order stay apart.
   */
  @Test
  void valueReadByManyInstructions_everyRepeatMergesPastAFullChain() {
    int n = 40;
    Program.Builder b = new Program.Builder(1, 0, 6 * n);
    for (int k = 0; k < n; k++) {
      b.constant(k + 0.5);
    }
    int x = b.leaf(Kind.INPUT, 0);
    int sink = 0;
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < n; i++) {
        int k = round == 0 ? i : n - 1 - i;
        b.sink(b.binary(Op.MUL, k, x), Program.OUTPUT, sink++);
        b.sink(b.binary(Op.ADD, x, k), Program.OUTPUT, sink++);
        int sum = b.start(Op.SUM, 0, 0);
        b.operand(round == 0 ? k : x);
        b.operand(round == 0 ? x : k);
        b.sink(sum, Program.OUTPUT, sink++);
      }
    }
    Program p = b.build();

    Program merged = Passes.eliminateCommonSubexpressions(p);

    assertEquals(mergedByMap(p).toString(), merged.toString());
    assertEquals(n + 1 + 3 * n + n, merged.size, "MUL and ADD merge; the reordered SUMs not");
  }

  /**
   * Constants and leaves (no operands) merge by their bits in the hash table, past its growth: -0.0
   * and +0.0 stay apart, NaNs with the same bits merge.
   */
  @Test
  void constantsAndLeaves_mergeByTheirBitsAsTheTableGrows() {
    Program.Builder b = new Program.Builder(2, 1, 1);
    List<Integer> terms = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int k = 0; k < 200; k++) {
        terms.add(b.constant(1000 + k * 0.25));
      }
      terms.add(b.constant(-0.0));
      terms.add(b.constant(0.0));
      terms.add(b.constant(Double.NaN));
      terms.add(b.constant(Double.longBitsToDouble(0x7ff8_0000_0000_0001L)));
      terms.add(b.leaf(Kind.INPUT, 1));
      terms.add(b.leaf(Kind.PARAM, 0));
    }
    int sum = b.start(Op.SUM, 0, 0);
    for (int t : terms) {
      b.operand(t);
    }
    b.sink(sum, Program.OUTPUT, 0);
    Program p = b.build();

    Program merged = Passes.eliminateCommonSubexpressions(p);

    assertEquals(mergedByMap(p).toString(), merged.toString());
    assertEquals(200 + 4 + 2 + 1, merged.size);
  }

  /**
   * Folding appends a constant and a sum per sum of two constants and x: with no two alike, more
   * instructions than the program had, past the size the merge was made for.
   */
  @Test
  void foldingThatAppends_mergesPastTheSizeItWasMadeFor() {
    for (boolean alike : new boolean[] {false, true}) {
      Program.Builder b = new Program.Builder(1, 0, 100);
      int x = b.leaf(Kind.INPUT, 0);
      for (int s = 0; s < 100; s++) {
        int first = b.constant(alike ? 1 : s + 0.5);
        int second = b.constant(alike ? s % 7 : 1000 + s);
        int sum = b.start(Op.SUM, 0, 0);
        b.operand(first);
        b.operand(second);
        b.operand(x);
        b.sink(sum, Program.OUTPUT, s);
      }
      Program p = b.build();

      assertMergedAsByMap(p, alike ? "constants alike" : "constants all different");
      assertEquals(
          alike ? 1 + 8 + 7 : 1 + 4 * 100,
          Passes.foldSimplifyMerge(p).size,
          "x; the constants 0 to 7 and 7 sums, or both constants, their sum and a sum per sum");
    }
  }
}
