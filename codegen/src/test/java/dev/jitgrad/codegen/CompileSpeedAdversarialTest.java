package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Tries to break the compile-speed shortcuts: rolling's nest repetitions checked on each inner
 * loop's first group, independent nest trips decided from one trip's index spans, and Value.dot's
 * headless DOT with its identity weight check. Nests are checked against the tape's own indices at
 * every trip (brute force) and rolled code against straight-line code bit for bit; DOTs against the
 * engine.
 */
class CompileSpeedAdversarialTest {
  private static final JitOptions EXACT = JitOptions.defaults().withExact(true);

  private static final double[] SPECIAL = {
    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1e308, -1e-320
  };

  /** A hand-built nest program and whether a statement reads a gradient another one writes. */
  private record NestCase(Program program, boolean crossReads, String description) {}

  /** Index {@code base + outer·t + inner·j}. */
  private record Affine(int base, int outer, int inner) {
    int at(int t, int j) {
      return base + outer * t + inner * j;
    }
  }

  private static int pick(SplittableRandom random, int... choices) {
    return choices[random.nextInt(choices.length)];
  }

  /**
   * Draws {@code trips} trips of {@code inner} statements {@code pg[W] = pg[W] + in[R]·m (+
   * pg[C])}, m a stored product {@code g} or a temporary of the trip read by every statement, each
   * trip ending, maybe, with {@code pg[V] = in[..]·p[..] - pg[V]}: strides positive, negative and
   * zero, spans of exactly the outer stride and one less, cross reads at other strides. Null if two
   * statements would write one element.
   */
  private static NestCase drawNest(SplittableRandom random) {
    int trips = random.nextInt(4, 10);
    int inner = pick(random, 3, 5, 9, 10, 12); // over 8: one trip is too long for a flat loop
    int wi = pick(random, 1, -1, 2, -2, trips, -trips);
    int span = Math.abs(wi) * (inner - 1);
    int wo =
        pick(
            random,
            span + 1,
            -(span + 1),
            span + 2,
            1,
            -1,
            random.nextInt(-3 * (span + 1), 3 * (span + 1) + 1));
    Affine w = new Affine(0, wo, wi);
    Affine r = new Affine(0, pick(random, 0, 1, -1, inner, wo), pick(random, 0, 1, -1, wi, 2 * wi));
    boolean cross = random.nextInt(3) == 0;
    // a read at another trip's element: the next or previous trip's first, or any stride
    Affine c =
        new Affine(
            pick(random, wo, -wo, span, span + 1, -1, wi * inner),
            pick(random, wo, wo, 0, 2 * wo + 1),
            pick(random, wi, 0, -wi, 1));
    boolean temporary = random.nextInt(3) == 0;
    boolean tail = random.nextBoolean();
    Affine v = new Affine(pick(random, -1, 1_000_000), pick(random, 1, -1, 7, -7), 0);
    Affine vr = new Affine(0, pick(random, 0, 1, -3), 0);

    // shift every array so that its least index is 0 (1 for in and p: element 0 is g's)
    Map<Character, int[]> range = new HashMap<>();
    for (int t = 0; t < trips; t++) {
      for (int j = 0; j < inner; j++) {
        widen(range, 'w', w.at(t, j));
        widen(range, 'r', r.at(t, j));
        widen(range, 'c', c.at(t, j));
      }
      widen(range, 'v', v.at(t, 0));
      widen(range, 'u', vr.at(t, 0));
    }
    int wShift = -range.get('w')[0];
    int vShift = range.get('w')[1] + wShift + 1 - range.get('v')[0];
    int cShift = -range.get('c')[0] + random.nextInt(0, 3);
    int rShift = 1 - range.get('r')[0];
    int uShift = 1 - range.get('u')[0];
    if (cross && random.nextBoolean()) {
      cShift = wShift; // the read lands on the elements the trips write
    }
    Set<Integer> written = new HashSet<>();
    if (cross && range.get('c')[0] + cShift < 0) {
      return null;
    }
    int grads = 1;
    int inputs = 1;
    for (int t = 0; t < trips; t++) {
      for (int j = 0; j < inner; j++) {
        if (!written.add(w.at(t, j) + wShift)) {
          return null;
        }
        grads = Math.max(grads, w.at(t, j) + wShift + 1);
        grads = Math.max(grads, cross ? c.at(t, j) + cShift + 1 : 0);
        inputs = Math.max(inputs, r.at(t, j) + rShift + 1);
      }
      if (tail && !written.add(v.at(t, 0) + vShift)) {
        return null;
      }
      grads = Math.max(grads, tail ? v.at(t, 0) + vShift + 1 : 0);
      inputs = Math.max(inputs, vr.at(t, 0) + uShift + 1);
    }

    Program.Builder b = new Program.Builder(inputs, grads, 1);
    int g = b.binary(Op.MUL, b.leaf(Kind.INPUT, 0), b.leaf(Kind.PARAM, 0));
    b.sink(g, Program.OUTPUT, 0);
    for (int t = 0; t < trips; t++) {
      int m = g;
      if (temporary) {
        int u = vr.at(t, 0) + uShift;
        m = b.binary(Op.MUL, b.leaf(Kind.INPUT, u), b.leaf(Kind.PARAM, u));
      }
      for (int j = 0; j < inner; j++) {
        int wIndex = w.at(t, j) + wShift;
        int term = b.binary(Op.MUL, b.leaf(Kind.INPUT, r.at(t, j) + rShift), m);
        if (cross) {
          term = b.binary(Op.ADD, term, b.leaf(Kind.PARAM_GRAD, c.at(t, j) + cShift));
        }
        b.sink(b.binary(Op.ADD, b.leaf(Kind.PARAM_GRAD, wIndex), term), Program.PARAM_GRAD, wIndex);
      }
      if (tail) {
        int vIndex = v.at(t, 0) + vShift;
        int u = vr.at(t, 0) + uShift;
        int product = b.binary(Op.MUL, b.leaf(Kind.INPUT, u), b.leaf(Kind.PARAM, u));
        b.sink(
            b.binary(Op.SUB, product, b.leaf(Kind.PARAM_GRAD, vIndex)), Program.PARAM_GRAD, vIndex);
      }
    }
    String description =
        String.format(
            "trips %d inner %d w %s+%d r %s+%d c %s+%d cross %b temp %b tail %b v %s+%d",
            trips, inner, w, wShift, r, rShift, c, cShift, cross, temporary, tail, v, vShift);
    return new NestCase(Verifier.verify(b.build(), "hand-built"), cross, description);
  }

  private static void widen(Map<Character, int[]> range, char array, int index) {
    int[] mm = range.computeIfAbsent(array, a -> new int[] {index, index});
    mm[0] = Math.min(mm[0], index);
    mm[1] = Math.max(mm[1], index);
  }

  /**
   * Whether some element that one trip of the run {@code [first, first + trips·tripStatements)}
   * writes is read or written by another trip, from the tape's indices at every trip.
   */
  private static boolean dependentByBruteForce(
      Tape tape, int first, int tripStatements, int trips) {
    Map<Long, Integer> writer = new HashMap<>();
    for (int t = 0; t < trips; t++) {
      int s = first + t * tripStatements;
      for (int x = tape.indexStart(s); x < tape.indexStart(s + tripStatements); x++) {
        if (tape.isTarget(x)) {
          Integer other = writer.putIfAbsent(element(tape, x), t);
          if (other != null && other != t) {
            return true;
          }
        }
      }
    }
    for (int t = 0; t < trips; t++) {
      int s = first + t * tripStatements;
      for (int x = tape.indexStart(s); x < tape.indexStart(s + tripStatements); x++) {
        Integer other = writer.get(element(tape, x));
        if (other != null && other != t) {
          return true;
        }
      }
    }
    return false;
  }

  private static long element(Tape tape, int x) {
    return (long) tape.array(x) << 32 | tape.index(x) & 0xffffffffL;
  }

  /**
   * Asserts that every trip of the run has trip 0's statement shapes and that each of its indices
   * is trip 0's plus t times its stride from trip 0 to 1: a nest or loop is linear at every trip.
   */
  private static void assertLinear(
      Tape tape, int first, int tripStatements, int trips, String what) {
    int from = tape.indexStart(first);
    int width = tape.indexStart(first + tripStatements) - from;
    for (int t = 1; t < trips; t++) {
      for (int j = 0; j < tripStatements; j++) {
        assertTrue(
            tape.sameShape(first + j, first + t * tripStatements + j),
            what + ": statement " + j + " of trip " + t + " differs in shape");
      }
      assertEquals(
          tape.indexStart(first + (t + 1) * tripStatements) - tape.indexStart(first),
          (t + 1) * width,
          what + ": trip " + t + " has another number of indices");
      for (int x = from; x < from + width; x++) {
        long stride = (long) tape.index(x + width) - tape.index(x);
        assertEquals(
            tape.index(x) + stride * t,
            tape.index(x + t * width),
            what + ": index " + (x - from) + " at trip " + t + " is not linear");
      }
    }
  }

  @Test
  void independentTrips_randomNestsAndLoops_equalsBruteForceOverEveryTripAndElement() {
    SplittableRandom random = new SplittableRandom(20261122);
    int nestsChecked = 0;
    int dependentNests = 0;
    int independentNests = 0;

    for (int trial = 0; trial < 600; trial++) {
      NestCase c = drawNest(random);
      if (c == null) {
        continue;
      }
      Tape tape = Tape.of(c.program(), new Layout(c.program()));
      List<Rolling.Loop> loops = Rolling.find(tape, 3, 0);
      List<Rolling.Nest> nests = Rolling.nests(tape, loops);

      for (Rolling.Loop loop : loops) {
        assertLinear(tape, loop.first(), loop.period(), loop.trips(), "loop " + c.description());
        assertEquals(
            !dependentByBruteForce(tape, loop.first(), loop.period(), loop.trips()),
            Rolling.independentTrips(tape, loop),
            "loop " + loop + ": " + c.description());
      }
      for (Rolling.Nest nest : nests) {
        assertLinear(tape, nest.first(), nest.tripStatements(), nest.trips(), c.description());
        boolean dependent =
            dependentByBruteForce(tape, nest.first(), nest.tripStatements(), nest.trips());
        assertEquals(
            !dependent,
            Rolling.independentTrips(tape, nest),
            "nest " + nest + ": " + c.description());
        nestsChecked++;
        dependentNests += dependent ? 1 : 0;
        independentNests += dependent ? 0 : 1;
      }
    }

    assertTrue(nestsChecked > 100, "nests checked: " + nestsChecked);
    assertTrue(dependentNests > 10 && independentNests > 10, dependentNests + "/" + nestsChecked);
  }

  @Test
  void emit_randomNestsRolled_matchStraightLineCodeAndInterpreterBitForBit() {
    SplittableRandom random = new SplittableRandom(99);
    int rolled = 0;

    for (int trial = 0; trial < 40; trial++) {
      NestCase c = drawNest(random);
      if (c == null) {
        continue;
      }
      Program p = c.program();
      Layout layout = new Layout(p);
      Tape tape = Tape.of(p, layout);
      tape.loops = Rolling.find(tape, 3, 0);
      rolled += tape.loops.isEmpty() ? 0 : 1;
      Kernel looped = Emitter.load(Emitter.emit(p, layout, tape, 0));
      Kernel straight = Emitter.load(Emitter.emit(p, new Layout(p), Integer.MAX_VALUE));

      for (int point = 0; point < 3; point++) {
        double[] x = new double[p.inputCount];
        double[] params = new double[p.paramCount];
        for (int i = 0; i < x.length; i++) {
          x[i] = random.nextInt(5) == 0 ? SPECIAL[random.nextInt(SPECIAL.length)] : i * 0.37 - 3;
        }
        for (int i = 0; i < params.length; i++) {
          params[i] = point == 0 ? random.nextDouble(-2, 2) : SPECIAL[(i + point) % SPECIAL.length];
        }

        double[] expected = Programs.run(straight, p, x, params);
        double[] actual = Programs.run(looped, p, x, params);

        Oracle.assertBitIdentical(expected, actual, "rolled vs straight: " + c.description());
        if (!c.crossReads()) {
          Oracle.assertBitIdentical(
              Programs.interpret(p, x, params),
              actual,
              "rolled vs interpreter: " + c.description());
        }
      }
    }

    assertTrue(rolled > 10, "programs with loops: " + rolled);
  }

  /**
   * Trips of 9 weight gradients {@code pg[b + S·t + j] += in[j]·g + pg[b + S·t + readOffset]}:
   * independent exactly when no trip reads another's elements.
   */
  private static Tape spanTape(int trips, int outerStride, int readOffset) {
    int inner = 9;
    int grads = trips * Math.abs(outerStride) + inner + Math.abs(readOffset) + 8;
    Program.Builder b = new Program.Builder(inner + 1, grads, 1);
    int g = b.binary(Op.MUL, b.leaf(Kind.INPUT, 0), b.leaf(Kind.PARAM, 0));
    b.sink(g, Program.OUTPUT, 0);
    int base = outerStride < 0 ? grads - inner - 2 : 2;
    for (int t = 0; t < trips; t++) {
      for (int j = 0; j < inner; j++) {
        int wIndex = base + outerStride * t + j;
        int read = b.leaf(Kind.PARAM_GRAD, base + outerStride * t + readOffset);
        int term = b.binary(Op.ADD, b.binary(Op.MUL, b.leaf(Kind.INPUT, j + 1), g), read);
        b.sink(b.binary(Op.ADD, b.leaf(Kind.PARAM_GRAD, wIndex), term), Program.PARAM_GRAD, wIndex);
      }
    }
    Program p = Verifier.verify(b.build(), "hand-built");
    return Tape.of(p, new Layout(p));
  }

  @Test
  void independentTrips_spansOfExactlyTheStrideAndOneLess_dependentOnlyWhenTripsMeet() {
    // inner stride 1 over 9 elements (a trip longer than a loop's longest period); the read at
    // offset k widens the trip's span of pg
    int[][] cases = { // outer stride, read offset
      {10, 9}, // span 9 < 10, the read is the trip's own gap element: independent
      {9, 9}, // span 9 = |S|: reads the next trip's first write
      {9, -1}, // span 9 = |S|: reads the previous trip's last write
      {-10, 9}, // descending, span 9 < 10
      {-9, 9}, // descending, span 9 = |S|
      {-9, -1},
      {11, 10}, // span 10 < 11: reads an element no trip writes
      {10, 10}, // span 10 = |S|: reads the next trip's first write
      {10, -1}, // span 10 = |S|: reads the previous trip's gap element, which no trip writes
      {9, 0}, // span 8 < 9 and the read is the trip's own write
      {9, 8},
    };

    for (int[] c : cases) {
      Tape tape = spanTape(6, c[0], c[1]);
      List<Rolling.Nest> nests = Rolling.nests(tape, Rolling.find(tape, 3, 0));
      assertTrue(
          !nests.isEmpty(),
          "no nest for stride " + c[0] + " read " + c[1] + ": " + Rolling.find(tape, 3, 0));

      for (Rolling.Nest nest : nests) {
        boolean dependent =
            dependentByBruteForce(tape, nest.first(), nest.tripStatements(), nest.trips());

        assertEquals(
            !dependent,
            Rolling.independentTrips(tape, nest),
            "stride " + c[0] + " read " + c[1] + ": " + nest);
      }
    }
  }

  // --- Value.dot as a headless DOT ---

  private static void assertMatchesEngine(
      Value y, List<Value> x, List<Value> params, SplittableRandom random, String what) {
    CompiledGraph exact = Jit.compile(List.of(y), x, params, EXACT);
    CompiledGraph fast = Jit.compile(List.of(y), x, params, JitOptions.defaults());
    for (int every : new int[] {0, 6, 2}) {
      double[] xs = AdversarialLoopsTest.point(random, x.size(), every);
      double[] ps = AdversarialLoopsTest.point(random, params.size(), every);

      double[] expected = Oracle.interpret(y, x, params, xs, ps);

      Oracle.assertBitIdentical(expected, Oracle.compiled(exact, xs, ps), what + " exact");
      Oracle.assertSameNumbers(expected, Oracle.compiled(fast, xs, ps), what + " default");
    }
  }

  static List<Value> leaves(String name, int n) {
    List<Value> v = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      v.add(Value.of(0, name + i));
    }
    return v;
  }

  @Test
  void valueAndGrad_valueDotOverParamsInManyListings_matchesTheEngineToTheBit() {
    SplittableRandom random = new SplittableRandom(5);

    for (int n = 33; n <= 80; n += 47 / 4) {
      List<Value> w = leaves("w", n);
      List<Value> x = leaves("x", n);
      Value y = Value.dot(w, x).tanh();
      List<Value> reversed = new ArrayList<>(w);
      java.util.Collections.reverse(reversed);
      List<Value> everyOther = new ArrayList<>();
      for (int i = 0; i < n; i += 2) {
        everyOther.add(w.get(i));
      }
      for (int i = 1; i < n; i += 2) {
        everyOther.add(w.get(i));
      }
      List<Value> firstUnlisted = new ArrayList<>(w.subList(1, n)); // w0 a constant
      List<Value> shifted = new ArrayList<>(w.subList(1, n));
      shifted.add(w.get(0)); // w0 last: the first product's weight breaks the stride
      List<Value> padded = new ArrayList<>();
      for (Value v : w) {
        padded.add(Value.of(0, "pad"));
        padded.add(v); // stride 2
      }

      for (List<Value> params : List.of(w, reversed, everyOther, firstUnlisted, shifted, padded)) {
        assertMatchesEngine(y, x, params, random, "n " + n + " params " + params.size());
      }
      // weights as inputs and xs as params: the weight side is the second operand
      assertMatchesEngine(y, w, x, random, "n " + n + " swapped");
    }
  }

  @Test
  void valueAndGrad_firstProductsXReadBeforeTheSum_matchesTheEngineToTheBit() {
    SplittableRandom random = new SplittableRandom(8);
    int n = 40;
    List<Value> w = leaves("w", n);
    List<Value> x = leaves("x", n);
    List<Value> terms = new ArrayList<>();
    terms.add(w.get(0).mul(x.get(0)));
    terms.add(w.get(1).mul(x.get(0).mul(3.0))); // x0 read between its product and the sum
    for (int i = 2; i < n; i++) {
      terms.add(w.get(i).mul(x.get(i)));
    }
    Value y = Value.sum(terms).add(x.get(0).mul(1e16)).tanh();
    Value z = Value.dot(w, x).add(Value.dot(w.subList(0, 1), x.subList(0, 1)));

    assertMatchesEngine(y, x, w, random, "x0 read in between");
    assertMatchesEngine(z, x, w, random, "w0 read twice");
    double[] xs = new double[n];
    xs[0] = 0.25;
    double[] ws = new double[n];
    ws[0] = -1e16;
    ws[1] = 0.5;
    Oracle.assertBitIdentical(
        Oracle.interpret(y, x, w, xs, ws),
        Oracle.compiled(Jit.compile(List.of(y), x, w, EXACT), xs, ws),
        "cancelling gradients");
  }

  @Test
  void trace_leafListedTwice_dotForwardMatchesTheEngineToTheBit() {
    SplittableRandom random = new SplittableRandom(11);
    int n = 48;
    List<Value> w = leaves("w", n);
    List<Value> x = leaves("x", n);
    Value y = Value.dot(w, x);
    List<List<Value>> listings = new ArrayList<>();
    List<Value> twiceFirst = new ArrayList<>(w);
    twiceFirst.add(0, w.get(0)); // w0 at 0 and 1: w_i is param i + 1 by its first position
    listings.add(twiceFirst);
    List<Value> twiceLast = new ArrayList<>(w);
    twiceLast.add(w.get(5)); // w5 again at the end, its first position kept
    listings.add(twiceLast);
    List<Value> inputTwice = new ArrayList<>(w);
    inputTwice.set(7, x.get(7)); // x7 listed as an input and as param 7: w7 a constant

    listings.add(inputTwice);

    int dots = 0;
    for (List<Value> params : listings) {
      for (int every : new int[] {0, 3}) {
        double[] xs = AdversarialLoopsTest.point(random, n, every);
        double[] wData = AdversarialLoopsTest.point(random, n, every);
        for (int i = 0; i < n; i++) {
          w.get(i).setData(wData[i]);
          x.get(i).setData(xs[i]);
        }
        double[] ps = new double[params.size()];
        for (int i = 0; i < params.size(); i++) {
          ps[i] = params.get(i).data(); // a leaf listed twice reads its first position's element
        }
        // traced after the data is set: an unlisted leaf becomes a constant of its data
        Program traced = Tracer.trace(List.of(y), Tracer.listed(x, params));
        dots += Programs.count(traced, Kind.DOT);
        y.forward();

        double value = Programs.interpret(traced, xs, ps)[0];

        Oracle.assertBitIdentical(
            new double[] {y.data()}, new double[] {value}, "listed " + params.size());
      }
    }
    assertTrue(dots >= 4, "DOTs traced: " + dots);
  }

  @Test
  void valueAndGrad_dotOnlyInASecondOutput_matchesTheEngine() {
    SplittableRandom random = new SplittableRandom(13);
    int n = 40;
    List<Value> w = leaves("w", n);
    List<Value> x = leaves("x", n);
    Value first = x.get(0).mul(w.get(0)).tanh(); // output 0, whose gradient reads no DOT
    Value dot = Value.dot(w, x);

    for (JitOptions options : List.of(EXACT, JitOptions.defaults())) {
      CompiledGraph g = Jit.compile(List.of(first, dot), x, w, options);
      double[] xs = AdversarialLoopsTest.point(random, n, 0);
      double[] ws = AdversarialLoopsTest.point(random, n, 0);

      double[] expected = Oracle.interpret(first, x, w, xs, ws);
      dot.forward();
      double[] out = new double[2];
      g.forward(xs, ws, out);
      double[] actual = Oracle.compiled(g, xs, ws);

      Oracle.assertBitIdentical(expected, actual, "gradient of output 0");
      Oracle.assertBitIdentical(new double[] {first.data(), dot.data()}, out, "outputs");
    }
  }

  /** A graph to compile: its output, inputs and params. */
  private record Graph(Value y, List<Value> x, List<Value> w) {}

  /**
   * {@code where(dot(w, x), a·c, tanh(a))} over {@code n} terms: the condition gets no gradient, so
   * the DOT is live in the gradient program but has no adjoint (reverse mode makes no UPDATE).
   */
  private static Graph whereOverDot(int n) {
    List<Value> w = leaves("w", n);
    List<Value> x = leaves("x", n);
    Value a = Value.of(0, "a");
    Value c = Value.of(0, "c");
    Value y = Value.where(Value.dot(w, x), a.mul(c), a.tanh());
    x.add(a);
    w.add(c);
    return new Graph(y, x, w);
  }

  @Test
  void valueAndGrad_dotReadOnlyAsAWhereCondition_matchesTheEngineToTheBit() {
    SplittableRandom random = new SplittableRandom(17);
    int n = 40;
    Graph graph = whereOverDot(n);
    Value y = graph.y();
    List<Value> x = graph.x(); // x and a
    List<Value> w = graph.w(); // w and c

    for (JitOptions options : List.of(EXACT, JitOptions.defaults())) {
      CompiledGraph g = Jit.compile(List.of(y), x, w, options);
      assertTrue(
          Programs.count(Tracer.trace(List.of(y), x, w), Kind.DOT) > 0, "the tracer made no DOT");
      for (int every : new int[] {0, 4}) {
        double[] xs = AdversarialLoopsTest.point(random, n + 1, every);
        double[] ws = AdversarialLoopsTest.point(random, n + 1, every);

        double[] expected = Oracle.interpret(y, x, w, xs, ws);

        Oracle.assertBitIdentical(expected, Oracle.compiled(g, xs, ws), "where over a DOT");
        Oracle.assertBitIdentical(
            new double[] {expected[0]}, new double[] {g.forward(xs, ws)}, "forward");
      }
    }
  }

  /** Asserts that {@code p} records that it holds a DOT or UPDATE whenever it holds one. */
  private static void assertStructuredIfItHoldsOne(Program p, String what) {
    int held = Programs.count(p, Kind.DOT) + Programs.count(p, Kind.UPDATE);
    assertTrue(!(held > 0 && !p.structured), what + " holds " + held + " DOTs/UPDATEs unflagged");
  }

  @Test
  void differentiate_dotWithoutAdjoint_everyProgramHoldingItIsStructured() {
    int n = 40;
    Graph g = whereOverDot(n);
    Value y = g.y();
    List<Value> x = g.x(), w = g.w();
    Program traced = Tracer.trace(List.of(y), x, w);

    for (JitOptions options : List.of(EXACT, JitOptions.defaults())) {
      Program differentiable = Compiler.run(Passes.beforeReverse(options), traced);
      Program reversed = Reverse.differentiate(differentiable, false, options.exact());
      Program extended = new Passes.Open(differentiable, options).extend(reversed);

      assertTrue(Programs.count(differentiable, Kind.DOT) > 0, "the tracer made no DOT");
      assertStructuredIfItHoldsOne(differentiable, "the differentiable program");
      assertStructuredIfItHoldsOne(reversed, "reverse mode's program (Builder.copyAll)");
      assertStructuredIfItHoldsOne(extended, "the passes' gradient program (Builder.copyAll)");
    }
  }

  @Test
  void interpret_reverseModeProgramWithDotWithoutAdjoint_matchesTheEngineToTheBit() {
    SplittableRandom random = new SplittableRandom(19);
    int n = 40;
    Graph g = whereOverDot(n);
    Value y = g.y();
    List<Value> x = g.x(), w = g.w();
    Program reversed = Reverse.differentiate(Tracer.trace(List.of(y), x, w), false, true);
    double[] xs = AdversarialLoopsTest.point(random, n + 1, 0);
    double[] ws = AdversarialLoopsTest.point(random, n + 1, 0);

    double[] expected = Oracle.interpret(y, x, w, xs, ws);
    double[] interpreted = Programs.interpret(reversed, xs, ws);

    double[] actual = new double[1 + ws.length];
    actual[0] = interpreted[0];
    System.arraycopy(interpreted, interpreted.length - ws.length, actual, 1, ws.length);
    double[] expectedParamGrads = new double[1 + ws.length];
    expectedParamGrads[0] = expected[0];
    System.arraycopy(expected, 1 + xs.length, expectedParamGrads, 1, ws.length);
    Oracle.assertBitIdentical(expectedParamGrads, actual, "interpreted reverse-mode program");
  }
}
