package dev.jitgrad.codegen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rolls straight-line statements back into loops: finds runs of statements that repeat, a group of
 * {@code period} statements at a time, identical but for array indices that advance by the same
 * stride at every repetition, so the emitter can write the group once inside a counted loop.
 *
 * <p>This is loop rerolling (as in LLVM's {@code LoopRerollPass}) on the emitter's statement list
 * ({@link Tape}), after layout. It changes how code is written, never what it computes: the loop
 * runs the very statements that straight-line code would, with the same operands, in the same
 * order, so every result is bit-identical by construction, in exact and default mode alike. An MLP
 * gives long runs: the forward chain of a neuron's sum is cut by {@link Layout} into expressions of
 * {@code MAX_TREE_SIZE / 2} terms whose weights and inputs advance by that many elements, each
 * reading and writing the same accumulator slot, and reverse mode gives one statement {@code pg[a -
 * i] = pg[a - i] + x[c - i]·g} per weight. Anything irregular finds no repetition and stays
 * straight-line.
 */
final class Rolling {
  /**
   * The fewest repetitions worth a loop. Below it the straight-line code is left as it is: short
   * runs cost little code, and their loop overhead is not amortised.
   */
  static final int MIN_TRIPS = 4;

  /**
   * The least straight-line code (as bounded by {@link Tape#bytesBound}) a run must replace to be
   * rolled: below it a loop saves little code and pays its control for few statements.
   */
  static final int MIN_RUN_BYTES = 1024;

  /**
   * The least straight-line code (as bounded by {@link Tape#bytesBound}) a whole program must have
   * for any of it to be rolled; smaller programs keep exactly the code they had before loops
   * existed. Measured on one thread (JMH, same runs, ratios to the hand-written loops; see
   * benchmarks/RESULTS-v2-progress.md, step 4), with the loops as they are written now (ascending,
   * hoisted reads, nests, interleaved chains), rolled code was faster or as fast for every program
   * measured: the 2-16-10 cross-entropy gradient (10 KB straight-line) ran at 0.67× the loops per
   * sample instead of 0.79×, the 64-32-10 one (90 KB) at 1.04–1.16× instead of 1.32–1.49×, the
   * 784-64-10 one (1.8 MB) at 0.89–0.99× instead of 1.41–1.58×, and micrograd's 2-16-16-1 (15 KB)
   * as fast (moons step 0.85–0.87× against 0.84–0.95×). Programs under 8 KB, below the smallest
   * measured, keep straight-line code.
   */
  static final int MIN_PROGRAM_BYTES = 8 * 1024;

  /** The longest group of statements looked for. */
  static final int MAX_PERIOD = 8;

  /** The most bytecode one group may take, so a loop always fits in a chunk. */
  static final int MAX_BODY_BYTES = Emitter.CHUNK_BYTES / 2;

  /**
   * A loop: statements {@code [first, first + period·trips)} are {@code trips} repetitions of the
   * first {@code period}, each index advancing by its difference between the first two.
   */
  record Loop(int first, int period, int trips) {
    int end() {
      return first + period * trips;
    }
  }

  /**
   * A loop nest: statements {@code [first, first + tripStatements·trips)} are {@code trips}
   * repetitions of the first {@code tripStatements}, among which the loops {@code inner}; every
   * index advances by its difference between the first two repetitions (its outer stride), which is
   * the same at every trip of an inner loop.
   */
  record Nest(int first, int tripStatements, int trips, List<Loop> inner) {
    int end() {
      return first + tripStatements * trips;
    }
  }

  /**
   * Returns the position of the first of {@code loops} (in statement order) from position {@code
   * next} on that starts at or after statement {@code s}.
   */
  static int loopFrom(List<Loop> loops, int next, int s) {
    while (next < loops.size() && loops.get(next).first() < s) {
      next++;
    }
    return next;
  }

  /** An upper bound on the bytecode of a loop's control: counter, increment, test and branch. */
  static final int LOOP_CONTROL_BYTES = 16;

  /** The most reads a loop takes into locals before it starts (see {@link #invariantRead}). */
  static final int MAX_HOISTED = 8;

  /** An upper bound on the bytes of one such read in a nest: aload, its index, daload, dstore. */
  static final int HOISTED_BYTES = 16;

  /** The most index locals (stride times counter, summed) a loop body uses. */
  static final int MAX_KEYS = 6;

  /**
   * An upper bound on the bytes that set one index local: iload, ldc_w, imul twice, iadd, istore.
   */
  static final int KEY_BYTES = 16;

  /** The most trips of a nest that run interleaved (see {@link #jam}). */
  static final int MAX_JAM = 4;

  /**
   * Returns whether the trips of {@code loop} may run in any order: no trip reads or writes an
   * element that another trip writes. Then every trip reads the same values whatever the order, and
   * writes elements that no other trip touches, so any order gives the same results bit for bit.
   */
  static boolean independentTrips(Tape tape, Loop loop) {
    int from = tape.indexStart(loop.first());
    int to = tape.indexStart(loop.first() + loop.period());
    for (int w = from; w < to; w++) {
      for (int x = from; x < to && tape.isTarget(w); x++) {
        if (tape.array(x) == tape.array(w) && meets(tape, loop, w, x, true)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Returns whether the emitter runs {@code loop}'s trips in reverse order: its trips are
   * independent and its first target descends, so that run ascending, as C2 vectorises them.
   */
  static boolean reversed(Tape tape, Loop loop) {
    return stride(tape, loop, tape.indexStart(loop.first())) < 0 && independentTrips(tape, loop);
  }

  /**
   * Returns whether index {@code x} of {@code loop}'s first group reads one element at every trip
   * that no trip writes, so it may be read once before the loop.
   */
  static boolean invariantRead(Tape tape, Loop loop, int x) {
    if (tape.isTarget(x) || stride(tape, loop, x) != 0) {
      return false;
    }
    int from = tape.indexStart(loop.first());
    int to = tape.indexStart(loop.first() + loop.period());
    for (int w = from; w < to; w++) {
      if (tape.isTarget(w) && tape.array(w) == tape.array(x) && meets(tape, loop, w, x, false)) {
        return false;
      }
    }
    return true;
  }

  /** Returns how far index {@code x} of {@code loop}'s first group advances at every trip. */
  static int stride(Tape tape, Loop loop, int x) {
    int groupIndices =
        tape.indexStart(loop.first() + loop.period()) - tape.indexStart(loop.first());
    return tape.index(x + groupIndices) - tape.index(x);
  }

  /**
   * Returns whether target {@code w} at some trip addresses the element that index {@code x}
   * addresses at some trip (another trip, if {@code otherTrip}).
   */
  private static boolean meets(Tape tape, Loop loop, int w, int x, boolean otherTrip) {
    long wBase = tape.index(w);
    long wStride = stride(tape, loop, w);
    long xBase = tape.index(x);
    long xStride = stride(tape, loop, x);
    for (long t = 0; t < loop.trips(); t++) {
      long d = wBase + wStride * t - xBase;
      if (xStride == 0) {
        if (d == 0 && (!otherTrip || loop.trips() > 1)) {
          return true;
        }
      } else if (d % xStride == 0) {
        long u = d / xStride;
        if (u >= 0 && u < loop.trips() && (!otherTrip || u != t)) {
          return true;
        }
      }
    }
    return false;
  }

  private final Tape tape;
  private final int minTrips;
  private final int minBytes;
  private final int[] hash;

  /** The statements searched: {@code [from, to)}. */
  private final int from;

  private final int to;

  private Rolling(Tape tape, int minTrips, int minBytes, int from, int to) {
    this.tape = tape;
    this.minTrips = minTrips;
    this.minBytes = minBytes;
    this.hash = tape.shapeHashes();
    this.from = from;
    this.to = to;
  }

  /**
   * Returns the loops in {@code tape}, in statement order and disjoint, or none if the whole
   * program is smaller than {@link #MIN_PROGRAM_BYTES}.
   */
  static List<Loop> find(Tape tape) {
    return find(tape, MIN_PROGRAM_BYTES);
  }

  /**
   * Returns the loops in {@code tape}, or none if it is smaller than {@code minProgramBytes}. The
   * search runs once per tape, and not at all if {@link Tape#loops} was given them.
   */
  static List<Loop> find(Tape tape, int minProgramBytes) {
    long bytes = 0;
    for (int s = 0; s < tape.size() && bytes < minProgramBytes; s++) {
      bytes += tape.bytesBound(s, false);
    }
    if (bytes < minProgramBytes) {
      return List.of();
    }
    List<Loop> loops = tape.loops;
    if (loops == null) {
      loops = List.copyOf(find(tape, MIN_TRIPS, MIN_RUN_BYTES));
      tape.loops = loops;
    }
    return loops;
  }

  /** Returns the loops in {@code tape} with at least {@code minTrips} and {@code minBytes}. */
  static List<Loop> find(Tape tape, int minTrips, int minBytes) {
    return find(tape, minTrips, minBytes, 0, tape.size());
  }

  /**
   * Returns the loops within statements {@code [from, to)} of {@code tape} with at least {@code
   * minTrips} and {@code minBytes}.
   */
  static List<Loop> find(Tape tape, int minTrips, int minBytes, int from, int to) {
    return new Rolling(tape, minTrips, minBytes, from, to).find();
  }

  /**
   * Returns the nests that roll {@code loops} (as {@link #find} gives them) and the statements
   * between them one level up: runs of groups of loops and statements that repeat, identical (a
   * loop: its body, trips, strides and how the emitter writes it) but for indices that advance by
   * the same stride at every repetition. A nest holds at least one loop; a loop in none stays as it
   * is.
   */
  static List<Nest> nests(Tape tape, List<Loop> loops) {
    return nests(tape, loops, 0, tape.size());
  }

  /**
   * As {@link #nests(Tape, List)}, within statements {@code [from, to)}, where {@code loops} lie.
   */
  static List<Nest> nests(Tape tape, List<Loop> loops, int from, int to) {
    return loops.isEmpty() ? List.of() : new Rolling(tape, MIN_TRIPS, 0, from, to).nests(loops);
  }

  /**
   * Returns the bound on the bytecode of one trip of {@code nest}, inner loops included, with the
   * index locals the emitter sets up.
   */
  static int tripBytes(Tape tape, Nest nest) {
    boolean keyed = keys(tape, nest) <= MAX_KEYS;
    int bytes = MAX_KEYS * KEY_BYTES;
    int next = 0;
    for (int s = nest.first(); s < nest.first() + nest.tripStatements(); ) {
      Loop inner = next < nest.inner().size() ? nest.inner().get(next) : null;
      if (inner != null && inner.first() == s) {
        bytes += loopBytes(tape, inner, 2, keyed);
        s = inner.end();
        next++;
      } else {
        bytes += tape.bytesBound(s++, 1, keyed);
      }
    }
    return bytes;
  }

  /**
   * Returns the bound on the bytecode of {@code loop} inside {@code depth - 1} outer loops: its
   * control, hoisted reads, index locals and body.
   */
  static int loopBytes(Tape tape, Loop loop, int depth, boolean keyed) {
    int bytes = LOOP_CONTROL_BYTES + MAX_HOISTED * HOISTED_BYTES + MAX_KEYS * KEY_BYTES;
    for (int j = 0; j < loop.period(); j++) {
      bytes += tape.bytesBound(loop.first() + j, depth, keyed);
    }
    return bytes;
  }

  /**
   * Returns how many index locals a trip of {@code nest} needs: one per distinct nonzero outer
   * stride of its statements and per distinct pair of strides in its busiest inner loop.
   */
  static int keys(Tape tape, Nest nest) {
    int from = tape.indexStart(nest.first());
    int width = tape.indexStart(nest.first() + nest.tripStatements()) - from;
    Set<Long> outer = new HashSet<>();
    int innerMost = 0;
    int next = 0;
    for (int s = nest.first(); s < nest.first() + nest.tripStatements(); ) {
      Loop inner = next < nest.inner().size() ? nest.inner().get(next) : null;
      boolean isLoop = inner != null && inner.first() == s;
      int end = isLoop ? inner.first() + inner.period() : s + 1;
      Set<Long> pairs = new HashSet<>();
      for (int x = tape.indexStart(s); x < tape.indexStart(end); x++) {
        long o = tape.index(x + width) - tape.index(x);
        long i = isLoop ? stride(tape, inner, x) : 0;
        if (i == 0 && o != 0) {
          outer.add(o);
        } else if (i != 0) {
          pairs.add(o << 32 ^ (i & 0xffffffffL));
        }
      }
      innerMost = Math.max(innerMost, pairs.size());
      if (isLoop) {
        s = inner.end();
        next++;
      } else {
        s++;
      }
    }
    return outer.size() + innerMost;
  }

  /**
   * Returns whether the trips of {@code nest} may run in any order or interleaved: no trip reads or
   * writes an element that another trip writes (every index at trip {@code t} is its first trip's
   * plus {@code t} times its outer stride).
   */
  static boolean independentTrips(Tape tape, Nest nest) {
    int from = tape.indexStart(nest.first());
    int width = tape.indexStart(nest.first() + nest.tripStatements()) - from;
    Boolean apart = apart(tape, from, width);
    if (apart != null) {
      return apart;
    }
    int targets = 0;
    for (int x = from; x < from + width; x++) {
      targets += tape.isTarget(x) ? 1 : 0;
    }
    Writers writer = new Writers((long) targets * nest.trips());
    for (int pass = 0; pass < 2; pass++) {
      for (int x = from; x < from + width; x++) {
        if (pass == 0 && !tape.isTarget(x)) {
          continue;
        }
        long stride = tape.index(x + width) - tape.index(x);
        for (int t = 0; t < nest.trips(); t++) {
          long element = (long) tape.array(x) << 32 | (tape.index(x) + stride * t) & 0xffffffffL;
          int other = pass == 0 ? writer.putIfAbsent(element, t) : writer.get(element);
          if (other != -1 && other != t) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /**
   * Decides {@link #independentTrips(Tape, Nest)} from one trip's indices (its first {@code width}
   * from {@code from}) where that is enough, else returns null. An array that a trip writes, and
   * whose every index advances by one stride {@code S} per trip: with {@code S = 0} each trip
   * writes the same element (dependent); with the trip's elements in it spanning less than {@code
   * |S|}, no element is touched by two trips. An MLP's gradient nests are the second case: each
   * trip one neuron's run of weight gradients.
   */
  private static Boolean apart(Tape tape, int from, int width) {
    long[] stride = new long[16];
    int[] min = new int[16];
    int[] max = new int[16];
    boolean[] written = new boolean[16];
    boolean[] seen = new boolean[16];
    for (int x = from; x < from + width; x++) {
      int a = tape.array(x);
      int index = tape.index(x);
      long s = (long) tape.index(x + width) - index;
      if (!seen[a]) {
        seen[a] = true;
        stride[a] = s;
        min[a] = index;
        max[a] = index;
      } else if (s != stride[a]) {
        stride[a] = Long.MIN_VALUE; // indices advancing by different strides: not decided here
      }
      min[a] = Math.min(min[a], index);
      max[a] = Math.max(max[a], index);
      written[a] |= tape.isTarget(x);
    }
    boolean apart = true;
    for (int a = 0; a < 16; a++) {
      if (!written[a]) {
        continue;
      }
      if (stride[a] == 0) {
        return false;
      }
      apart &= stride[a] != Long.MIN_VALUE && max[a] - (long) min[a] < Math.abs(stride[a]);
    }
    return apart ? Boolean.TRUE : null;
  }

  /**
   * The trip that first writes each element (array and index packed in a long), by open addressing:
   * a nest of an MLP's gradient writes tens of thousands of elements, which a map of boxed keys
   * would make as many objects of.
   */
  private static final class Writers {
    private final long[] elements;
    private final int[] trips;
    private final int mask;

    /** A table for up to {@code count} elements, at most half full. */
    Writers(long count) {
      int capacity = Integer.highestOneBit((int) Math.min(1 << 28, Math.max(8, count)) * 2) * 2;
      elements = new long[capacity];
      trips = new int[capacity];
      Arrays.fill(trips, -1);
      mask = capacity - 1;
    }

    /** Returns the trip recorded for {@code element}, or -1 after recording {@code trip}. */
    int putIfAbsent(long element, int trip) {
      int slot = slot(element);
      if (trips[slot] != -1) {
        return trips[slot];
      }
      elements[slot] = element;
      trips[slot] = trip;
      return -1;
    }

    /** Returns the trip that writes {@code element}, or -1 if none does. */
    int get(long element) {
      return trips[slot(element)];
    }

    /** Returns the slot that holds {@code element}, or the free slot where it would go. */
    private int slot(long element) {
      int slot = Long.hashCode(element * 0x9E3779B97F4A7C15L) & mask;
      while (trips[slot] != -1 && elements[slot] != element) {
        slot = (slot + 1) & mask;
      }
      return slot;
    }
  }

  /**
   * Returns how many trips of {@code nest} the emitter interleaves (1: none). Only a nest whose
   * trips are independent and hold a serial chain (an inner loop whose trips depend on each other,
   * such as a neuron's sum) is interleaved: the chains of {@code jam} trips then run side by side
   * instead of one after another. The most trips whose code, with the remainder's, fits a chunk.
   */
  static int jam(Tape tape, Nest nest) {
    boolean chain = false;
    for (Loop inner : nest.inner()) {
      chain |= !independentTrips(tape, inner);
    }
    if (!chain || !independentTrips(tape, nest)) {
      return 1;
    }
    return fit(tripBytes(tape, nest) + LOOP_CONTROL_BYTES, nest.trips());
  }

  /**
   * Returns how many trips of {@code loop}, alone, the emitter interleaves (1: none): as {@link
   * #jam(Tape, Nest)}, for a loop whose trips are independent and each hold a serial chain, a
   * statement that reads what an earlier one of its trip writes (a neuron's sum cut into partial
   * sums).
   */
  static int jam(Tape tape, Loop loop) {
    if (!chained(tape, loop) || !independentTrips(tape, loop)) {
      return 1;
    }
    return fit(loopBytes(tape, loop, 1, keyed(tape, loop)), loop.trips());
  }

  /** Returns whether the index terms of {@code loop} alone fit the emitter's index locals. */
  static boolean keyed(Tape tape, Loop loop) {
    Set<Integer> strides = new HashSet<>();
    int from = tape.indexStart(loop.first());
    for (int x = from; x < tape.indexStart(loop.first() + loop.period()); x++) {
      strides.add(stride(tape, loop, x));
    }
    strides.remove(0);
    return strides.size() <= MAX_KEYS;
  }

  /** Returns the most trips, up to {@link #MAX_JAM}, whose copies and remainder fit a chunk. */
  private static int fit(int tripBytes, int trips) {
    for (int jam = Math.min(MAX_JAM, trips); jam > 1; jam--) {
      int copies = jam + (trips % jam == 0 ? 0 : 1);
      if ((long) copies * tripBytes <= Emitter.CHUNK_BYTES) {
        return jam;
      }
    }
    return 1;
  }

  /** Returns whether a statement of {@code loop}'s group reads what an earlier one writes. */
  private static boolean chained(Tape tape, Loop loop) {
    int from = tape.indexStart(loop.first());
    int to = tape.indexStart(loop.first() + loop.period());
    for (int w = from; w < to; w++) {
      for (int x = w + 1; x < to && tape.isTarget(w); x++) {
        if (!tape.isTarget(x)
            && tape.array(x) == tape.array(w)
            && tape.index(x) == tape.index(w)
            && stride(tape, loop, x) == stride(tape, loop, w)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The statements and loops of a tape, in order: the units a nest repeats. */
  private static final class Items {
    int count;
    final int[] start;
    final Loop[] loop;
    final int[] key;
    final boolean[][] invariant;

    Items(int capacity) {
      start = new int[capacity + 1];
      loop = new Loop[capacity];
      key = new int[capacity];
      invariant = new boolean[capacity][];
    }
  }

  private List<Nest> nests(List<Loop> loops) {
    Items items = new Items(to - from);
    for (int s = from, next = 0; s < to; items.count++) {
      int k = items.count;
      items.start[k] = s;
      if (next < loops.size() && loops.get(next).first() == s) {
        Loop loop = loops.get(next++);
        items.loop[k] = loop;
        items.invariant[k] =
            new boolean
                [tape.indexStart(loop.first() + loop.period()) - tape.indexStart(loop.first())];
        items.key[k] = loopKey(loop, items.invariant[k]);
        s = loop.end();
      } else {
        items.key[k] = hash[s++];
      }
    }
    items.start[items.count] = to;
    List<Nest> nests = new ArrayList<>();
    int[] tripsOf = new int[MAX_PERIOD + 1];
    for (int k = 0; k < items.count; ) {
      Nest best = null;
      for (int period = 1; period <= MAX_PERIOD && k + 2 * period <= items.count; period++) {
        Nest nest = nest(items, k, period, tripsOf);
        if (nest != null && (best == null || nest.end() > best.end())) {
          best = nest;
        }
      }
      if (best == null) {
        k++;
        continue;
      }
      nests.add(best);
      while (k < items.count && items.start[k] < best.end()) {
        k++;
      }
    }
    return nests;
  }

  /**
   * Returns a key of {@code loop}'s shape (body, trips, strides and the emitter's choices), filling
   * {@code invariant} with which indices of its first group it reads before the loop.
   */
  private int loopKey(Loop loop, boolean[] invariant) {
    int h = 31 * loop.period() + loop.trips();
    h = 31 * h + (reversed(tape, loop) ? 1 : 0);
    for (int j = 0; j < loop.period(); j++) {
      h = 31 * h + hash[loop.first() + j];
    }
    int from = tape.indexStart(loop.first());
    for (int x = from; x < tape.indexStart(loop.first() + loop.period()); x++) {
      invariant[x - from] = invariantRead(tape, loop, x);
      h = 31 * (31 * h + stride(tape, loop, x)) + (invariant[x - from] ? 1 : 0);
    }
    return h;
  }

  /**
   * Returns the nest of groups of {@code period} items from item {@code k}, or null if none; sets
   * {@code tripsOf[period]} to how many times the group repeats (0 if it was not counted), which
   * the longer periods start from (as in {@link #trips}).
   */
  private Nest nest(Items items, int k, int period, int[] tripsOf) {
    tripsOf[period] = 0;
    boolean hasLoop = false;
    for (int m = k; m < k + period; m++) {
      hasLoop |= items.loop[m] != null;
    }
    if (!hasLoop) {
      return null;
    }
    int first = items.start[k];
    int statements = items.start[k + period] - first;
    int from = tape.indexStart(first);
    int width = tape.indexStart(first + statements) - from;
    int trips = Math.max(1, knownTrips(tripsOf, period));
    while (k + (trips + 1) * period <= items.count
        && sameItems(items, k, k + trips * period, period)
        && advances(items, k, period, width, trips)) {
      trips++;
    }
    tripsOf[period] = trips;
    if (trips < minTrips) {
      return null;
    }
    // Each inner loop advances from trip to trip by one outer stride per index of its first group,
    // for all its groups: in every trip it is linear with the same strides (sameItems).
    List<Loop> inner = new ArrayList<>();
    for (int m = k; m < k + period; m++) {
      if (items.loop[m] != null) {
        inner.add(items.loop[m]);
      }
    }
    Nest nest = new Nest(first, statements, trips, List.copyOf(inner));
    return tripBytes(tape, nest) <= MAX_BODY_BYTES ? nest : null;
  }

  /** Returns whether the {@code period} items from {@code a} and from {@code b} have one shape. */
  private boolean sameItems(Items items, int a, int b, int period) {
    for (int m = 0; m < period; m++) {
      if (items.key[a + m] != items.key[b + m]) {
        return false;
      }
      Loop p = items.loop[a + m];
      Loop q = items.loop[b + m];
      if (p == null && q == null) {
        if (!tape.sameShape(items.start[a + m], items.start[b + m])) {
          return false;
        }
      } else if (p == null
          || q == null
          || p.period() != q.period()
          || p.trips() != q.trips()
          || !Arrays.equals(items.invariant[a + m], items.invariant[b + m])
          || reversed(tape, p) != reversed(tape, q)) {
        return false;
      } else {
        for (int j = 0; j < p.period(); j++) {
          if (!tape.sameShape(p.first() + j, q.first() + j)) {
            return false;
          }
        }
        int pFrom = tape.indexStart(p.first());
        int qFrom = tape.indexStart(q.first());
        for (int x = 0; x < tape.indexStart(p.first() + p.period()) - pFrom; x++) {
          if (stride(tape, p, pFrom + x) != stride(tape, q, qFrom + x)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /**
   * Returns whether every index of repetition {@code r} of the {@code period} items from {@code k}
   * (each {@code width} indices on) advances from repetition {@code r - 1} as repetition 1 does
   * from repetition 0, given that repetition {@code r} has their shape ({@link #sameItems}). Of a
   * loop only its first group is read: a loop is linear (each index its first group's plus a stride
   * times the group), and the loops of both repetitions have the strides of repetition 0's, so its
   * other groups advance as its first does.
   */
  private boolean advances(Items items, int k, int period, int width, int r) {
    for (int m = k; m < k + period; m++) {
      int first = items.start[m];
      int end = items.loop[m] == null ? first + 1 : first + items.loop[m].period();
      for (int x = tape.indexStart(first); x < tape.indexStart(end); x++) {
        int stride = tape.index(x + width) - tape.index(x);
        if (tape.index(x + r * width) - tape.index(x + (r - 1) * width) != stride) {
          return false;
        }
      }
    }
    return true;
  }

  private List<Loop> find() {
    List<Loop> loops = new ArrayList<>();
    int n = to;
    int[] tripsOf = new int[MAX_PERIOD + 1];
    for (int s = from; s < n; ) {
      Loop best = null;
      for (int period = 1; period <= MAX_PERIOD && s + 2 * period <= n; period++) {
        int trips = trips(s, period, knownTrips(tripsOf, period));
        tripsOf[period] = trips;
        if (trips >= minTrips
            && (best == null || period * trips > best.period() * best.trips())
            && bodyBytes(s, period, true) <= MAX_BODY_BYTES
            && trips * bodyBytes(s, period, false) >= minBytes) {
          best = new Loop(s, period, trips);
        }
      }
      if (best != null) {
        loops.add(best);
        s = best.end();
      } else {
        s++;
      }
    }
    return loops;
  }

  /**
   * Returns how many times the group of {@code period} statements at {@code s} repeats, given that
   * it repeats at least {@code known} times. A run of groups of {@code p} statements that repeats
   * {@code t} times is a run of groups of {@code m·p} statements repeating at least {@code t / m}
   * times, each index advancing m times as far, so {@link #find} need not walk again the run that a
   * divisor of the period found.
   */
  private int trips(int s, int period, int known) {
    if (known >= 2) {
      return repetitions(s, period, known);
    }
    for (int j = 0; j < period; j++) {
      if (hash[s + j] != hash[s + period + j] || !tape.sameShape(s + j, s + period + j)) {
        return 1;
      }
    }
    return repetitions(s, period, 2);
  }

  /**
   * Returns how many times a group of {@code period} statements or items is known to repeat, from
   * {@code tripsOf[p]}, the repetitions found for each shorter period {@code p} at the same place
   * (0 where none was counted): see {@link #trips}.
   */
  private static int knownTrips(int[] tripsOf, int period) {
    int known = 0;
    for (int p = 1; p < period; p++) {
      if (period % p == 0) {
        known = Math.max(known, tripsOf[p] * p / period);
      }
    }
    return known;
  }

  /** Returns how many times the group at {@code s} repeats, given {@code trips} repetitions. */
  private int repetitions(int s, int period, int trips) {
    while (s + (trips + 1) * period <= to && repeats(s, period, trips)) {
      trips++;
    }
    return trips;
  }

  /** Returns whether group {@code r} has the shape of group 0 and the stride of groups 0 to 1. */
  private boolean repeats(int s, int period, int r) {
    for (int j = 0; j < period; j++) {
      int first = s + j;
      int here = s + r * period + j;
      if (hash[here] != hash[first] || !tape.sameShape(here, first)) {
        return false;
      }
      int x0 = tape.indexStart(first);
      int x1 = tape.indexStart(first + period);
      int previous = tape.indexStart(here - period);
      int current = tape.indexStart(here);
      for (int x = 0; x < tape.indexEnd(first) - x0; x++) {
        int stride = tape.index(x1 + x) - tape.index(x0 + x);
        if (tape.index(current + x) - tape.index(previous + x) != stride) {
          return false;
        }
      }
    }
    return true;
  }

  private int bodyBytes(int s, int period, boolean inLoop) {
    int bytes = 0;
    for (int j = 0; j < period; j++) {
      bytes += tape.bytesBound(s + j, inLoop);
    }
    return bytes;
  }
}
