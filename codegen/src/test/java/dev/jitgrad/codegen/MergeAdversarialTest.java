package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Adversarial inputs for {@code Passes.Merge} (chains by latest operand, a table past a full chain
 * and for instructions without operands): ids reused after folding and identities drop an
 * instruction, chains full at exactly 8, growth past the size it was made for, values that each
 * fill a chain, crafted 32-bit hash collisions, constants that differ only in their bits, leaves of
 * every kind, reordered sums, DOTs and UPDATEs, {@code Passes.Open} extended by repeats of its
 * forward program, and heavy sharing end to end. Each is checked against an oracle that shares
 * nothing with the merge: a linear search for the first earlier equal instruction, the
 * interpreter's values, or {@link Value#backward()}.
 */
class MergeAdversarialTest {
  private static final long P = 1_000_003L;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  /**
   * The oracle: each instruction merges into the first earlier instruction equal to it (code,
   * constants to the bit, operands in order), found by a linear search over every instruction kept
   * so far; UPDATEs neither merge nor are merged into.
   */
  private static Program mergedByScan(Program p) {
    List<Integer> kept = new ArrayList<>();
    return p.rewrite(
        (out, in, i, renamed) -> {
          int id = out.copy(in, i, renamed);
          if (out.kind(id) == Kind.UPDATE) {
            return id;
          }
          for (int y : kept) {
            if (equal(out, y, id)) {
              out.dropLast();
              return y;
            }
          }
          kept.add(id);
          return id;
        });
  }

  private static boolean equal(Program.Builder out, int a, int b) {
    if (out.code(a) != out.code(b)
        || out.arity(a) != out.arity(b)
        || Double.doubleToRawLongBits(out.k(a)) != Double.doubleToRawLongBits(out.k(b))
        || Double.doubleToRawLongBits(out.k2(a)) != Double.doubleToRawLongBits(out.k2(b))) {
      return false;
    }
    for (int j = 0; j < out.arity(a); j++) {
      if (out.operand(a, j) != out.operand(b, j)) {
        return false;
      }
    }
    return true;
  }

  /** Asserts the same instructions (constants to the bit) and sinks. */
  private static void assertSameProgram(Program expected, Program actual, String what) {
    assertEquals(expected.toString(), actual.toString(), what);
    for (int i = 0; i < expected.size; i++) {
      assertEquals(
          Double.doubleToRawLongBits(expected.k[i]),
          Double.doubleToRawLongBits(actual.k[i]),
          what + ": the bits of k of %" + i);
      assertEquals(
          Double.doubleToRawLongBits(expected.k2(i)),
          Double.doubleToRawLongBits(actual.k2(i)),
          what + ": the bits of k2 of %" + i);
    }
  }

  /**
   * Asserts that both merging passes give the scan's program, and that they keep the interpreter's
   * value of every instruction (NaN payloads aside).
   */
  private static void assertMergedAsByScan(Program p, String what) {
    Program merged = Passes.eliminateCommonSubexpressions(p);
    Program fused = Passes.foldSimplifyMerge(p);

    assertSameProgram(mergedByScan(p), merged, what);
    assertSameProgram(
        mergedByScan(Passes.simplify(Passes.foldConstants(p))), fused, what + " fused");
    Program everySink = withEverySink(p);
    double[] values = Programs.interpret(everySink, X, PARAMS);
    Oracle.assertBitIdentical(
        values,
        Programs.interpret(Passes.eliminateCommonSubexpressions(everySink), X, PARAMS),
        what + " values");
    Oracle.assertBitIdentical(
        values,
        Programs.interpret(Passes.foldSimplifyMerge(everySink), X, PARAMS),
        what + " fused values");
  }

  private static final double[] X = {0.75, -1.5, 0.0, 3.0};
  private static final double[] PARAMS = {-0.25, 2.0, -0.0, 0.5};

  /** Returns {@code p} with output {@code i} reading instruction {@code i}, for every i. */
  private static Program withEverySink(Program p) {
    Program.Builder b = new Program.Builder(p.inputCount, p.paramCount, p.size);
    for (int i = 0; i < p.size; i++) {
      b.copy(p, i, null);
    }
    for (int i = 0; i < p.size; i++) {
      b.sink(i, Program.OUTPUT, i);
    }
    return b.build();
  }

  private static Program.Builder builder() {
    return new Program.Builder(4, 4, 1);
  }

  /** Builds {@code b} with output 0 reading instruction 0. */
  private static Program build(Program.Builder b) {
    b.sink(0, Program.OUTPUT, 0);
    return b.build();
  }

  /**
   * For chains that hold 7, 8, 9 and 16 readers of x, the repeats of each reader, oldest first and
   * newest first, around the moment the chain fills, merge into the first.
   */
  @Test
  void chainFullAtEightAndPast_repeatsOfEachMemberMergeIntoTheirFirst() {
    for (int readers : new int[] {7, 8, 9, 16}) {
      Program.Builder b = builder();
      int[] c = new int[readers];
      for (int j = 0; j < readers; j++) {
        c[j] = b.constant(j + 2.0);
      }
      int x = b.leaf(Kind.INPUT, 0);
      for (int j = 0; j < readers; j++) {
        b.binary(Op.MUL, c[j], x);
        if (j == 7 || j == 8) {
          b.binary(Op.MUL, c[0], x); // the oldest member, just as the chain fills
          b.binary(Op.MUL, c[j], x); // the newest
        }
      }
      for (int j = readers - 1; j >= 0; j--) {
        b.binary(Op.MUL, c[j], x);
      }
      for (int j = 0; j < readers; j++) {
        b.binary(Op.MUL, c[j], x);
        b.binary(Op.MUL, x, c[j]); // the other order: a different instruction
      }
      Program p = build(b);

      assertMergedAsByScan(p, readers + " readers");
      assertEquals(
          readers + 1 + 2 * readers,
          Passes.eliminateCommonSubexpressions(p).size,
          readers + " readers: constants, x, c·x and x·c once each");
    }
  }

  /**
   * 150 values each the latest operand of 12 instructions (4 past each chain, 600 in the table with
   * the leaves), then every instruction again in a shuffled order.
   */
  @Test
  void manyValuesEachWithAFullChain_everyRepeatMergesIntoItsFirst() {
    Program.Builder b = builder();
    int k = b.constant(3.0);
    List<int[]> made = new ArrayList<>();
    int previous = b.leaf(Kind.PARAM, 0);
    for (int v = 0; v < 150; v++) {
      int value = b.binary(Op.MAX, previous, k); // no reader of previous
      for (int r = 0; r < 12; r++) {
        made.add(new int[] {r, k, value});
        emitReader(b, r, k, value);
      }
      previous = value;
    }
    Collections.shuffle(made, new Random(11));
    for (int[] m : made) {
      emitReader(b, m[0], m[1], m[2]);
    }
    Program p = build(b);

    assertMergedAsByScan(p, "150 full chains");
    assertEquals(2 + 150 + 150 * 12, Passes.eliminateCommonSubexpressions(p).size);
  }

  /** Appends reader {@code r} (0 to 11) of {@code value}, whose latest operand it is. */
  private static void emitReader(Program.Builder b, int r, int k, int value) {
    switch (r % 6) {
      case 0 -> b.binary(r < 6 ? Op.MUL : Op.ADD, k, value);
      case 1 -> b.binary(r < 6 ? Op.MUL : Op.ADD, value, k);
      case 2 -> b.unary(Op.POW, value, r);
      case 3 -> b.unary(r < 6 ? Op.TANH : Op.EXP, value);
      case 4 -> b.helper(r < 6 ? Kind.STEP : Kind.SIGN, value);
      default -> b.binary(r < 6 ? Op.SUB : Op.DIV, value, value);
    }
  }

  /** The inverse of an odd number modulo 2^64 (Newton's iteration, 3 bits doubled five times). */
  private static long inverse(long a) {
    long x = a;
    for (int i = 0; i < 5; i++) {
      x *= 2 - a * x;
    }
    return x;
  }

  /**
   * The bits of a constant {@code k} that makes an instruction of {@code code} with no k2 and the
   * one operand {@code operand} (or none if negative) hash to 64-bit {@code target} before it is
   * folded to 32 bits, by the formula of {@code Merge.hash}; the collisions are checked against the
   * real hash.
   */
  private static long bitsFor(long target, int code, int operand) {
    long h = target * inverse(GOLDEN);
    if (operand >= 0) {
      h = (h - operand) * inverse(P);
    }
    return h * inverse(P) - code * 31L;
  }

  /** Returns {@code Passes.Merge.hash} of instruction {@code x} of {@code b}. */
  private static int realHash(Program.Builder b, int x) throws ReflectiveOperationException {
    Method hash =
        Class.forName("dev.jitgrad.codegen.Passes$Merge")
            .getDeclaredMethod("hash", Program.Builder.class, int.class);
    hash.setAccessible(true);
    return (int) hash.invoke(null, b, x);
  }

  /**
   * Appends {@code count} constants and {@code count} POWs of {@code x}, in turn, whose hashes are
   * all one 32-bit number (64-bit targets that differ by the same bits in both halves fold alike);
   * returns their ids.
   */
  private static List<Integer> collidingConstantsAndPows(Program.Builder b, int x, int count) {
    int constCode = b.code(b.constant(0));
    b.dropLast();
    int powCode = b.code(b.unary(Op.POW, x, 2));
    b.dropLast();
    List<Integer> ids = new ArrayList<>();
    long base = 0x1234_5678_9ABC_DEF0L;
    for (long m = 0; ids.size() < 2 * count; m++) {
      long target = base ^ (m << 32 | m);
      double kConst = Double.longBitsToDouble(bitsFor(target, constCode, -1));
      double kPow = Double.longBitsToDouble(bitsFor(target, powCode, x));
      if (Double.isNaN(kConst) || Double.isNaN(kPow) || kPow == 1) {
        continue; // NaN bits might not survive a copy; a POW with exponent 1 is simplified away
      }
      ids.add(b.constant(kConst));
      ids.add(b.unary(Op.POW, x, kPow));
    }
    return ids;
  }

  /**
   * Constants and POWs of x whose 32-bit hashes are one number, 24 of each: the POWs fill x's chain
   * and 16 go to the table, where they probe one long run with the constants. Each repeat, newest
   * first, merges into its own first and no other.
   */
  @Test
  void instructionsWithOneHash_mergeOnlyIntoTheirEqualOnes() throws Exception {
    Program.Builder b = builder();
    int x = b.leaf(Kind.INPUT, 1);
    List<Integer> colliding = collidingConstantsAndPows(b, x, 24);
    List<Integer> repeats = new ArrayList<>();
    for (int i = colliding.size() - 1; i >= 0; i--) {
      int id = colliding.get(i);
      repeats.add(b.kind(id) == Kind.CONST ? b.constant(b.k(id)) : b.unary(Op.POW, x, b.k(id)));
    }
    int hash = realHash(b, colliding.get(0));
    for (int id : colliding) {
      assertEquals(hash, realHash(b, id), "precondition: %" + id + " collides");
    }
    for (int id : repeats) {
      assertEquals(hash, realHash(b, id), "precondition: repeat %" + id + " collides");
    }
    Program p = build(b);

    assertMergedAsByScan(p, "one hash");
    assertEquals(1 + colliding.size(), Passes.eliminateCommonSubexpressions(p).size);
  }

  /**
   * Constants that differ only in their bits (signed zeros, NaN payloads, subnormals) stay apart,
   * and so do ops that differ only in a constant's bits; repeats of each merge into their first.
   */
  @Test
  void constantsThatDifferOnlyInTheirBits_stayApart() {
    double[] special = {
      0.0,
      -0.0,
      Double.NaN,
      Double.longBitsToDouble(0x7ff8_0000_0000_0001L),
      Double.longBitsToDouble(0xfff8_0000_0000_0000L),
      Double.longBitsToDouble(0x7fff_ffff_ffff_ffffL),
      Double.MIN_VALUE,
      -Double.MIN_VALUE,
      2 * Double.MIN_VALUE,
      Double.MIN_NORMAL,
      Math.nextDown(Double.MIN_NORMAL),
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      Double.MAX_VALUE,
      1.0,
      Math.nextUp(1.0)
    };
    Program.Builder b = builder();
    int x = b.leaf(Kind.INPUT, 0);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < special.length; i++) {
        double k = special[round == 1 ? special.length - 1 - i : i];
        int c = b.constant(k);
        b.binary(Op.MUL, x, c);
        b.unary(Op.POW, x, k);
        b.start(Op.CLAMP, k, 2.0);
        b.operand(x);
      }
    }
    Program p = build(b);

    assertMergedAsByScan(p, "special constants");
    assertEquals(
        1 + 4 * special.length,
        Passes.eliminateCommonSubexpressions(p).size,
        "x, then a constant, a product, a power and a clamp per bit pattern");
  }

  /**
   * Folding makes -0.0 and +0.0 from sums of two constants and appends them; the sums of x with
   * them stay apart and the repeats merge, though simplify drops a -0.0 term (and its one-term sum)
   * right after the constant was merged.
   */
  @Test
  void foldedSignedZeros_stayApartAndMergeWithTheirRepeats() {
    double[][] pairs = {{-0.0, -0.0}, {0.0, -0.0}, {-0.0, 0.0}, {1.0, -1.0}, {-1.0, 1.0}};
    Program.Builder b = builder();
    int x = b.leaf(Kind.INPUT, 0);
    for (int round = 0; round < 3; round++) {
      for (double[] pair : pairs) {
        int first = b.constant(pair[0]);
        int second = b.constant(pair[1]);
        b.start(Op.SUM, 0, 0);
        b.operand(first);
        b.operand(second);
        b.operand(x);
      }
    }
    Program p = build(b);

    assertMergedAsByScan(p, "signed zeros");
    assertEquals(
        6,
        Passes.foldSimplifyMerge(p).size,
        "x, the constants -0.0, 0.0, 1.0 and -1.0, and the one sum 0.0 + x (-0.0 + x is x)");
  }

  /**
   * Folding appends a constant per sum of two constants and x: 40 that fold into constants made
   * before x (their sums with x fill x's chain and go on in the table) and 300 into new ones, more
   * instructions than the program had, so the chains grow; then every sum again, each of which
   * merges, past the growth, into what the first time made.
   */
  @Test
  void foldingPastTheSizeMadeFor_repeatsAfterTheGrowthMergeIntoTheirFirst() {
    Program once = sumsFolded(1);
    Program twice = sumsFolded(2);

    Program fusedOnce = Passes.foldSimplifyMerge(once);
    Program fusedTwice = Passes.foldSimplifyMerge(twice);

    assertTrue(fusedOnce.size > once.size, "precondition: folding appends past the size");
    assertMergedAsByScan(twice, "folded sums twice");
    assertEquals(fusedOnce.size, fusedTwice.size, "the second round merges all it appends");
  }

  /** Constants, x, then {@code rounds} times the same sums of two constants and x. */
  private static Program sumsFolded(int rounds) {
    Program.Builder b = builder();
    for (int j = 0; j < 40; j++) {
      b.constant(100 + 0.5 * j);
    }
    int x = b.leaf(Kind.INPUT, 0);
    for (int round = 0; round < rounds; round++) {
      for (int j = 0; j < 340; j++) {
        double second = j < 40 ? 5000 + 0.25 * j : 0.125;
        double first = j < 40 ? 100 + 0.5 * j - second : 10_000 + j;
        int a = b.constant(first);
        int c = b.constant(second);
        b.start(Op.SUM, 0, 0);
        b.operand(a);
        b.operand(c);
        b.operand(x);
      }
    }
    return build(b);
  }

  /** Leaves of every kind and index merge by both, and ops on them by the leaf they read. */
  @Test
  void leavesOfEveryKind_mergeByKindAndIndex() {
    Kind[] kinds = {Kind.INPUT, Kind.PARAM, Kind.PARAM_GRAD, Kind.INPUT_GRAD};
    Program.Builder b = builder();
    for (int round = 0; round < 3; round++) {
      for (int index = 0; index < 4; index++) {
        for (int k = 0; k < kinds.length; k++) {
          Kind kind = kinds[round == 1 ? kinds.length - 1 - k : k];
          b.unary(Op.NEG, b.leaf(kind, round == 2 ? 3 - index : index));
        }
      }
    }
    Program p = build(b);

    assertMergedAsByScan(p, "leaves");
    assertEquals(2 * 16, Passes.eliminateCommonSubexpressions(p).size);
  }

  /**
   * Every sum of 2 to 4 terms over a, b, c with repeats, twice (the second time in the reverse
   * order of sums): equal only with the same terms in the same order, never equal to an ADD.
   */
  @Test
  void sumsWithRepeatedTermsInEveryOrder_mergeOnlyInTheSameOrder() {
    Program.Builder b = builder();
    int[] leaf = {b.leaf(Kind.INPUT, 0), b.leaf(Kind.INPUT, 1), b.leaf(Kind.PARAM, 2)};
    List<int[]> sums = new ArrayList<>();
    for (int n = 2; n <= 4; n++) {
      int count = (int) Math.pow(3, n);
      for (int code = 0; code < count; code++) {
        int[] terms = new int[n];
        for (int j = 0, c = code; j < n; j++, c /= 3) {
          terms[j] = leaf[c % 3];
        }
        sums.add(terms);
      }
    }
    for (int round = 0; round < 2; round++) {
      for (int s = 0; s < sums.size(); s++) {
        int[] terms = sums.get(round == 0 ? s : sums.size() - 1 - s);
        b.start(Op.SUM, 0, 0);
        for (int t : terms) {
          b.operand(t);
        }
        if (terms.length == 2) {
          b.binary(Op.ADD, terms[0], terms[1]);
        }
      }
    }
    Program p = build(b);

    assertMergedAsByScan(p, "sums");
    assertEquals(3 + 9 + 27 + 81 + 9, Passes.eliminateCommonSubexpressions(p).size);
  }

  /**
   * Equal DOTs merge and differ by their first weight or weight side; equal UPDATEs all stay. In
   * the gradient programs of mixed structured graphs, merging keeps every UPDATE and every value.
   */
  @Test
  void dotsAndUpdates_updatesNeverMerge() {
    Program.Builder b = new Program.Builder(2, 4, 1);
    int a = b.leaf(Kind.INPUT, 0);
    int x = b.leaf(Kind.INPUT, 1);
    for (int round = 0; round < 2; round++) {
      for (double[] weights : new double[][] {{0, 1}, {0, -1}, {1, 1}, {0, 2}}) {
        b.start(Kind.DOT, weights[0], weights[1]);
        b.operand(a);
        b.operand(x);
        b.start(Kind.UPDATE, weights[0], weights[1]);
        b.operand(a);
        b.operand(x);
      }
    }
    Program p = build(b);

    Program merged = Passes.eliminateCommonSubexpressions(p);

    assertSameProgram(mergedByScan(p), merged, "DOTs and UPDATEs");
    assertEquals(8, Programs.count(merged, Kind.UPDATE), "every UPDATE");
    assertEquals(4, Programs.count(merged, Kind.DOT), "one DOT per first weight and spacing");
    SplittableRandom random = new SplittableRandom(97);
    for (int t = 0; t < 3; t++) {
      StructuredGraphProperties.Mixed m = new StructuredGraphProperties.Mixed(random);
      Program differentiable =
          Passes.eliminateDeadCode(
              Passes.foldConstants(Tracer.trace(List.of(m.output), m.inputs, m.params)));
      Program gradient = Reverse.differentiate(differentiable, true, false);
      double[] xs = random.doubles(m.inputs.size(), -2, 2).toArray();
      double[] ps = random.doubles(m.params.size(), -2, 2).toArray();

      Program fused = Passes.foldSimplifyMerge(gradient);

      assertSameProgram(
          mergedByScan(Passes.simplify(Passes.foldConstants(gradient))), fused, "mixed " + t);
      assertEquals(
          Programs.count(gradient, Kind.UPDATE), Programs.count(fused, Kind.UPDATE), "UPDATEs");
      Oracle.assertBitIdentical(
          Programs.interpret(gradient, xs, ps), Programs.interpret(fused, xs, ps), "mixed " + t);
    }
  }

  /**
   * A forward program with a full chain, colliding entries in the table and constants, extended
   * first by repeats of all its instructions (each merges into a forward entry, chain or table),
   * then by new instructions and their repeats: {@code extend} gives what the fused pass gives on
   * the whole, each time from the same open state.
   */
  @Test
  void openExtendedByRepeatsOfTheForwardProgram_mergesIntoTheForwardEntries() {
    Program.Builder b = builder();
    int[] c = new int[20];
    for (int j = 0; j < c.length; j++) {
      c[j] = b.constant(j * 0.5 - 3);
    }
    int x = b.leaf(Kind.INPUT, 0);
    int y = b.leaf(Kind.PARAM, 1);
    for (int j = 0; j < c.length; j++) {
      b.binary(Op.MUL, c[j], x);
      b.start(Op.SUM, 0, 0);
      b.operand(c[j]);
      b.operand(c[(j + 1) % c.length]);
      b.operand(y);
    }
    collidingConstantsAndPows(b, x, 12);
    Program forward = build(b);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < forward.size; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(5));
    Program repeats = extended(forward, order, 0);
    Program more = extended(forward, order, 40);

    Passes.Open open = new Passes.Open(forward, JitOptions.defaults());
    Program first = open.extend(repeats);
    Program second = open.extend(more);
    Program again = open.extend(repeats);

    assertSameProgram(Passes.foldSimplifyMerge(forward), open.program(), "forward");
    assertEquals(open.program().size, first.size, "every repeat merges into the forward program");
    assertSameProgram(
        mergedByScan(Passes.simplify(Passes.foldConstants(repeats))), first, "repeats");
    assertSameProgram(Passes.foldSimplifyMerge(more), second, "new instructions");
    assertSameProgram(
        mergedByScan(Passes.simplify(Passes.foldConstants(more))), second, "new, by the scan");
    assertSameProgram(first, again, "the open state unchanged by extending");
  }

  /**
   * Returns {@code forward} followed by its instructions again in {@code order}, with {@code fresh}
   * new products of forward values (each twice) in between.
   */
  private static Program extended(Program forward, List<Integer> order, int fresh) {
    Program.Builder b = new Program.Builder(forward.inputCount, forward.paramCount, 1);
    for (int i = 0; i < forward.size; i++) {
      b.copy(forward, i, null);
    }
    for (int n = 0; n < order.size(); n++) {
      b.copy(forward, order.get(n), null);
      if (n < fresh) {
        int mul = b.binary(Op.MUL, order.get(n), forward.size - 1 - n);
        b.unary(Op.TANH, mul);
        b.binary(Op.MUL, order.get(n), forward.size - 1 - n);
        b.unary(Op.TANH, mul);
      }
    }
    return build(b);
  }

  /**
   * Random programs in which about half the instructions repeat earlier ones (some with their terms
   * reordered), over a few hot values, constants and leaves of every kind: every merging pass, and
   * {@code Passes.Open} cut at a random point, gives the scan's program. Half the programs hold
   * NaNs (two payloads) and infinities but nothing to fold, because the payload of a NaN that
   * folding computes from two differs between the JVM's tiers (see the report of this review); the
   * others fold, with finite constants and no division, and check that no NaN came.
   */
  @Test
  void randomProgramsWithHeavyRepetition_mergeAsTheScanInEveryPass() {
    SplittableRandom random = new SplittableRandom(2026);
    for (int t = 0; t < 24; t++) {
      boolean special = t % 2 == 0;
      List<Spec> specs = randomSpecs(random, 300 + random.nextInt(900), special);
      Program p = program(specs, specs.size());
      int cut = 1 + random.nextInt(specs.size() - 1);

      Program extended = new Passes.Open(program(specs, cut), JitOptions.defaults()).extend(p);

      String what = (special ? "special " : "folding ") + t;
      if (!special) {
        Program folded = Passes.foldConstants(p);
        for (int i = 0; i < folded.size; i++) {
          assertFalse(Double.isNaN(folded.k[i]), what + ": precondition: no NaN folded");
        }
      }
      assertMergedAsByScan(p, what);
      assertSameProgram(Passes.foldSimplifyMerge(p), extended, what + " cut at " + cut);
    }
  }

  /** An instruction to append: a leaf or constant ({@code op} null), an OP or a helper. */
  private record Spec(Kind kind, Op op, double k, double k2, int[] operands) {}

  private static final double[] SPECIAL = {
    0.0,
    -0.0,
    1.0,
    -1.0,
    Double.NaN,
    Double.longBitsToDouble(0x7ff8_0000_0000_0001L),
    Double.MIN_VALUE,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY
  };

  private static final double[] FINITE = {0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0};

  /**
   * Random specs; with {@code special} constants, no instruction that folding would compute (all
   * operands constants, or a sum that starts with two).
   */
  private static List<Spec> randomSpecs(SplittableRandom r, int size, boolean special) {
    Kind[] leaves = {Kind.INPUT, Kind.PARAM, Kind.PARAM_GRAD, Kind.INPUT_GRAD};
    double[] constants = special ? SPECIAL : FINITE;
    List<Spec> specs = new ArrayList<>();
    for (Kind kind : leaves) {
      specs.add(new Spec(kind, null, 0, 0, new int[0]));
    }
    while (specs.size() < size) {
      int n = specs.size();
      int choice = r.nextInt(100);
      Spec next;
      if (choice < 40) {
        Spec s = specs.get(r.nextInt(n));
        int[] ops = s.operands().clone();
        if (s.op() == Op.SUM && r.nextInt(4) == 0) {
          reverse(ops);
        }
        next = new Spec(s.kind(), s.op(), s.k(), s.k2(), ops);
      } else if (choice < 52) {
        next = new Spec(Kind.CONST, null, constants[r.nextInt(constants.length)], 0, new int[0]);
      } else if (choice < 58) {
        next = new Spec(leaves[r.nextInt(4)], null, r.nextInt(4), 0, new int[0]);
      } else {
        next = randomOp(r, n, special);
      }
      if (!special || !folds(specs, next)) {
        specs.add(next);
      }
    }
    return specs;
  }

  /**
   * Returns whether folding computes {@code s}: all its operands constants, or a sum's two first.
   */
  private static boolean folds(List<Spec> specs, Spec s) {
    int[] o = s.operands();
    int constants = 0;
    while (constants < o.length && specs.get(o[constants]).kind() == Kind.CONST) {
      constants++;
    }
    return o.length > 0 && (constants == o.length || constants >= 2 && s.op() == Op.SUM);
  }

  private static void reverse(int[] a) {
    for (int i = 0, j = a.length - 1; i < j; i++, j--) {
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /**
   * A random computation over the instructions before {@code n}, mostly the first few and the
   * latest few; a division only among {@code special} constants, which are never folded.
   */
  private static Spec randomOp(SplittableRandom r, int n, boolean special) {
    int which = r.nextInt(14);
    int arity =
        switch (which) {
          case 0, 1, 2, 3, 4 -> 2;
          case 5, 6, 7, 8, 9 -> 1;
          case 10 -> 3;
          default -> 2 + r.nextInt(4);
        };
    int[] operands = new int[arity];
    for (int j = 0; j < arity; j++) {
      int pick = r.nextInt(3);
      operands[j] =
          pick == 0
              ? r.nextInt(Math.min(n, 8))
              : pick == 1 ? n - 1 - r.nextInt(Math.min(n, 6)) : r.nextInt(n);
    }
    double k = 0;
    double k2 = 0;
    Op op = null;
    Kind kind = Kind.OP;
    switch (which) {
      case 0 -> op = Op.ADD;
      case 1 -> op = Op.MUL;
      case 2 -> op = Op.SUB;
      case 3 -> op = special ? Op.DIV : Op.MAX;
      case 4 -> kind = Kind.MAX_WEIGHT;
      case 5 -> op = Op.NEG;
      case 6 -> {
        op = Op.POW;
        k = new double[] {2, 1, 0.0, -0.0, 3}[r.nextInt(5)];
      }
      case 7 -> {
        op = Op.CLAMP;
        k = new double[] {-1, -0.0, 0.0}[r.nextInt(3)];
        k2 = new double[] {0.0, 1, 2}[r.nextInt(3)];
      }
      case 8 -> kind = Kind.STEP;
      case 9 -> op = Op.TANH;
      case 10 -> op = Op.WHERE;
      default -> op = Op.SUM;
    }
    return new Spec(kind, op, k, k2, operands);
  }

  /** Builds the first {@code count} of {@code specs}, output 0 reading the last. */
  private static Program program(List<Spec> specs, int count) {
    Program.Builder b = builder();
    for (int i = 0; i < count; i++) {
      Spec s = specs.get(i);
      if (s.op() != null) {
        b.start(s.op(), s.k(), s.k2());
      } else {
        b.start(s.kind(), s.k(), s.k2());
      }
      for (int o : s.operands()) {
        b.operand(o);
      }
    }
    b.sink(count - 1, Program.OUTPUT, 0);
    return b.build();
  }

  /**
   * One value read by 400 nodes, 200 of them built twice over (the trace holds both, the passes
   * merge them in both programs): the compiled graph computes what {@link Value#backward()} does,
   * within 1e-9 in default mode and to the bit in exact mode.
   */
  @Test
  void valueReadByHundredsOfNodes_compiledAsBackward() {
    Value x = Value.of(0, "x");
    Value z = Value.of(0, "z");
    List<Value> w = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      w.add(Value.of(0, "w" + i));
    }
    List<Value> terms = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Value shared = x.mul(w.get(0)); // a new node each time, equal to the others
      Value t =
          switch (i % 5) {
            case 0 -> shared.mul(w.get(i % 10)).tanh();
            case 1 -> shared.add(i % 7).mul(z);
            case 2 -> shared.mul(shared).sub(w.get(i % 10));
            case 3 -> Value.sum(shared, z, shared, w.get(i % 10));
            default -> shared.clamp(-1, 1).mul(x);
          };
      terms.add(t);
      terms.add(x.mul(w.get(i % 10)).add(z.mul(i % 3)));
    }
    Value loss = Value.sum(terms).tanh().add(Value.sum(terms).mul(1e-3));
    List<Value> inputs = List.of(x, z);
    for (JitOptions options :
        new JitOptions[] {JitOptions.defaults(), JitOptions.defaults().withExact(true)}) {
      CompiledGraph g = Jit.compile(List.of(loss), inputs, w, options);
      for (double[] point : new double[][] {{0.3, -1.25}, {-2.0, 0.0}}) {
        double[] p = new double[w.size()];
        for (int i = 0; i < p.length; i++) {
          p[i] = (i - 4.5) / 3 + point[0];
        }

        double[] expected = Oracle.interpret(loss, inputs, w, point, p);
        double[] actual = Oracle.compiled(g, point, p);

        if (options.exact()) {
          Oracle.assertBitIdentical(expected, actual, "exact mode");
        } else {
          Oracle.assertClose(expected, actual, "default mode");
        }
      }
    }
  }

  /**
   * A k2 of -0.0 (a clamp's upper bound) keeps its sign when no instruction before it has a k2:
   * {@code Program.Builder.start} made its k2 array only for {@code k2value != 0}, false for -0.0,
   * so at x = 1 the engine gave {@code 1 / clamp(x, -1, -0.0)} = -Infinity and the compiled graph
   * +Infinity, in both modes, and the merge took the two clamps for one (found by this review).
   */
  @Test
  void clampToNegativeZero_keepsTheSignOfItsBound() {
    Program.Builder b = builder();
    int x = b.leaf(Kind.INPUT, 0);
    int negative = b.start(Op.CLAMP, -1, -0.0);
    b.operand(x);
    b.start(Op.CLAMP, -1, 0.0);
    b.operand(x);
    Program p = build(b);
    Value v = Value.of(0, "v");
    Value loss = Value.of(1.0, "one").div(v.clamp(-1, -0.0));

    double[] expected =
        Oracle.interpret(loss, List.of(v), List.of(), new double[] {1}, new double[0]);
    double[] exact =
        Oracle.compiled(
            Jit.compile(
                List.of(loss), List.of(v), List.of(), JitOptions.defaults().withExact(true)),
            new double[] {1},
            new double[0]);
    double[] optimised =
        Oracle.compiled(Jit.compile(loss, List.of(v), List.of()), new double[] {1}, new double[0]);

    assertEquals(Double.NEGATIVE_INFINITY, expected[0], "precondition: the engine's 1 / -0.0");
    Oracle.assertBitIdentical(expected, exact, "exact mode");
    Oracle.assertSameNumbers(expected, optimised, "default mode");
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(p.k2(negative)));
    assertEquals(3, Passes.eliminateCommonSubexpressions(p).size, "the two clamps stay apart");
  }

  /**
   * Folding a sum of two NaN constants with different payloads gives one program however warm the
   * JVM: Java leaves the payload of {@code acc += k} on two NaNs open and HotSpot's tiers differ,
   * and the merge keeps NaN constants apart by their bits, so the folded NaN merged into one NaN
   * constant or the other as the JVM warmed up, until folding made every NaN {@link Double#NaN}
   * (found by this review).
   */
  @Test
  void sumOfNaNsWithTwoPayloads_foldsToOneProgramAsTheJvmWarms() {
    Program.Builder b = builder();
    int payload = b.constant(Double.longBitsToDouble(0x7ff8_0000_0000_0001L));
    int canonical = b.constant(Double.NaN);
    int x = b.leaf(Kind.INPUT, 0);
    b.start(Op.SUM, 0, 0);
    b.operand(payload);
    b.operand(canonical);
    b.operand(x);
    Program p = build(b);
    String first = Passes.foldSimplifyMerge(p).toString();

    Set<String> programs = new HashSet<>();
    for (int i = 0; i < 40_000; i++) {
      programs.add(Passes.foldSimplifyMerge(p).toString());
    }

    assertEquals(Set.of(first), programs);
  }
}
