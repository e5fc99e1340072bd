package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.RandomGraphs;
import dev.jitgrad.engine.Value;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoweringTest {
  @Test
  void expandNary_sumOfThree_becomesLeftToRightAdds() {
    List<Value> leaves = List.of(Value.of(1), Value.of(2), Value.of(3));
    Program traced = Tracer.trace(List.of(Value.sum(leaves)), List.of(), leaves);

    Program expanded = Lowering.expandNary(traced);

    assertEquals(
        "%0 = PARAM[0]\n%1 = PARAM[1]\n%2 = PARAM[2]\n%3 = ADD %0 %1\n%4 = ADD %3 %2\n"
            + "output[0] = %4\n",
        expanded.toString());
  }

  @ParameterizedTest
  @ValueSource(doubles = {-0.0, 0.0, 2.5, Double.NaN, Double.NEGATIVE_INFINITY})
  void expandNary_oneTermSum_addsNegativeZeroAndKeepsTheTermsBits(double x) {
    Value leaf = Value.of(0);
    Program traced = Tracer.trace(List.of(Value.sum(leaf)), List.of(leaf), List.of());

    Program expanded = Lowering.expandNary(traced);

    assertEquals(
        "%0 = INPUT[0]\n%1 = CONST -0.0\n%2 = ADD %0 %1\noutput[0] = %2\n", expanded.toString());
    Oracle.assertBitIdentical(
        new double[] {x},
        new double[] {Programs.interpret(expanded, new double[] {x}, new double[0])[0]},
        "x + -0.0");
  }

  @Property(tries = 200)
  void expandNary_wildDag_leavesNoNaryOpAndKeepsEveryBit(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    RandomGraphs.Sample s = RandomGraphs.wild(new SplittableRandom(seed), leaves, ops);
    Program traced = Tracer.trace(List.of(s.output()), List.of(), s.leaves());
    Program gradient = Reverse.differentiate(traced, false, true);
    double[] p = new SplittableRandom(seed + 1).doubles(leaves, -3, 3).toArray();

    Program expanded = Verifier.verify(Lowering.expandNary(gradient), "expand n-ary");

    for (int i = 0; i < expanded.size; i++) {
      Op op = expanded.op(i);
      assertEquals(true, op == null || op.arity() >= 0, "n-ary %" + i + " left");
    }
    Oracle.assertBitIdentical(
        Programs.interpret(gradient, new double[0], p),
        Programs.interpret(expanded, new double[0], p),
        "expanded");
  }

  @Property(tries = 200)
  void expandNary_gradientAfterThePasses_dropsWhatDeadCodeEliminationDrops(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    RandomGraphs.Sample s = RandomGraphs.wild(new SplittableRandom(seed), leaves, ops);
    Program traced = Tracer.trace(List.of(s.output()), List.of(), s.leaves());
    Program merged = Passes.foldSimplifyMerge(Reverse.differentiate(traced, false, false));

    Program expanded = Lowering.expandNary(merged);

    assertEquals(
        Lowering.expandNary(Passes.eliminateDeadCode(merged)).toString(), expanded.toString());
  }

  @Test
  void expandNary_deadConstant_isDropped() {
    Program.Builder b = new Program.Builder(1, 0, 1);
    int in = b.leaf(Kind.INPUT, 0);
    b.constant(-1.0);
    b.sink(b.unary(Op.NEG, in), Program.OUTPUT, 0);

    Program expanded = Lowering.expandNary(b.build());

    assertEquals("%0 = INPUT[0]\n%1 = NEG %0\noutput[0] = %1\n", expanded.toString());
  }

  @Test
  void expandNary_programWithoutSums_returnsItUnchanged() {
    Value x = Value.of(1);
    Program traced = Tracer.trace(List.of(x.mul(x).tanh()), List.of(x), List.of());

    Program expanded = Lowering.expandNary(traced);

    assertSame(traced, expanded);
  }

  @Property(tries = 200)
  void expandedSize_wildDag_isTheSizeOfTheExpansion(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    RandomGraphs.Sample s = RandomGraphs.wild(new SplittableRandom(seed), leaves, ops);
    Program traced = Tracer.trace(List.of(s.output()), List.of(), s.leaves());

    long size = Lowering.expandedSize(traced);

    assertEquals(Lowering.expandNary(traced).size, size);
  }
}
