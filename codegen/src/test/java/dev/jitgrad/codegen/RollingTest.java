package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Op;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

class RollingTest {
  /**
   * {@code g = in[0]·p[0]} (read by every later statement, so stored first), then {@code n}
   * statements {@code pg[k] = pg[k] + in[index(k)]·g}: reverse mode's update of a neuron's weights.
   */
  private static Program weightUpdates(int n, IntUnaryOperator index) {
    int inputs = 1;
    for (int k = 0; k < n; k++) {
      inputs = Math.max(inputs, index.applyAsInt(k) + 1);
    }
    Program.Builder b = new Program.Builder(inputs, n, 1);
    int g = b.binary(Op.MUL, b.leaf(Kind.INPUT, 0), b.leaf(Kind.PARAM, 0));
    b.sink(g, Program.OUTPUT, 0);
    for (int k = 0; k < n; k++) {
      int x = b.leaf(Kind.INPUT, index.applyAsInt(k));
      int sum = b.binary(Op.ADD, b.leaf(Kind.PARAM_GRAD, k), b.binary(Op.MUL, x, g));
      b.sink(sum, Program.PARAM_GRAD, k);
    }
    return Verifier.verify(b.build(), "hand-built");
  }

  /** Returns the loops of three trips or more, whatever their code size. */
  private static Tape tape(Program p) {
    return Tape.of(p, new Layout(p));
  }

  private static List<Rolling.Loop> loops(Program p) {
    return Rolling.find(tape(p), 3, 0);
  }

  @Test
  void find_updatesWithIndicesAdvancingByOne_isOneLoopOverAllOfThem() {
    Program p = weightUpdates(12, k -> k + 1);

    List<Rolling.Loop> loops = loops(p);

    assertEquals(List.of(new Rolling.Loop(1, 1, 12)), loops);
  }

  @Test
  void find_withinRange_loopsStopAtTheRangeAndStartInIt() {
    Tape tape = tape(weightUpdates(12, k -> k + 1));

    assertEquals(List.of(new Rolling.Loop(1, 1, 12)), Rolling.find(tape, 3, 0, 0, tape.size()));
    assertEquals(List.of(new Rolling.Loop(4, 1, 5)), Rolling.find(tape, 3, 0, 4, 9));
    assertEquals(List.of(), Rolling.find(tape, 3, 0, 4, 6), "two statements are no three trips");
    assertEquals(List.of(), Rolling.find(tape, 3, 0, 5, 5));
  }

  @Test
  void nests_withinRange_holdOnlyItsLoops() {
    SplittableRandom random = new SplittableRandom(7);
    LoopFormsTest.Graph m = LoopFormsTest.Graph.mlp(random, 0, 2, 16, 16, 10);
    Program gradient = m.programs(JitOptions.defaults()).get(1);
    Tape tape = tape(gradient);
    List<Rolling.Loop> all = Rolling.find(tape, 4, 256);
    List<Rolling.Nest> nests = Rolling.nests(tape, all);
    assertTrue(!nests.isEmpty(), "the MLP's neurons make nests");
    Rolling.Nest nest = nests.get(0);
    int from = nest.first();
    int to = nest.end();

    List<Rolling.Loop> inside = Rolling.find(tape, 4, 256, from, to);
    List<Rolling.Nest> found = Rolling.nests(tape, inside, from, to);

    for (Rolling.Loop loop : inside) {
      assertTrue(from <= loop.first() && loop.end() <= to, loop + " in [" + from + ", " + to + ")");
    }
    assertEquals(List.of(nest), found, "the nest searched alone");
  }

  @Test
  void find_indicesThatDoNotAdvanceByAConstantStride_staysStraightLine() {
    Program p = weightUpdates(12, k -> k * k);

    List<Rolling.Loop> loops = loops(p);

    assertEquals(List.of(), loops);
  }

  @Test
  void find_runsAroundMinTrips_onlyTheRunOfMinTripsIsRolled() {
    Tape shorter = tape(weightUpdates(Rolling.MIN_TRIPS - 1, k -> k + 1));
    Tape enough = tape(weightUpdates(Rolling.MIN_TRIPS, k -> k + 1));

    List<Rolling.Loop> none = Rolling.find(shorter, Rolling.MIN_TRIPS, 0);
    List<Rolling.Loop> one = Rolling.find(enough, Rolling.MIN_TRIPS, 0);

    assertEquals(List.of(), none);
    assertEquals(List.of(new Rolling.Loop(1, 1, Rolling.MIN_TRIPS)), one);
  }

  @Test
  void find_runsAroundMinRunBytes_onlyTheRunOfEnoughCodeIsRolled() {
    int statementBytes = tape(weightUpdates(1, k -> k)).bytesBound(1, false);
    int trips = (Rolling.MIN_RUN_BYTES + statementBytes - 1) / statementBytes;
    Tape shorter = tape(weightUpdates(trips - 1, k -> k + 1));
    Tape enough = tape(weightUpdates(trips, k -> k + 1));

    List<Rolling.Loop> none = Rolling.find(shorter, 2, Rolling.MIN_RUN_BYTES);
    List<Rolling.Loop> one = Rolling.find(enough, 2, Rolling.MIN_RUN_BYTES);

    assertEquals(List.of(), none);
    assertEquals(List.of(new Rolling.Loop(1, 1, trips)), one);
  }

  @Test
  void find_strideBreaksHalfway_loopStopsWhereTheStrideChanges() {
    Program p = weightUpdates(16, k -> k < 10 ? 3 * k : 100 + k);

    List<Rolling.Loop> loops = loops(p);

    assertEquals(List.of(new Rolling.Loop(1, 1, 10), new Rolling.Loop(11, 1, 6)), loops);
  }

  @Test
  void find_programsAroundMinProgramBytes_onlyTheLargerProgramIsRolled() {
    int statementBytes = tape(weightUpdates(1, k -> k)).bytesBound(1, false);
    int trips = Rolling.MIN_PROGRAM_BYTES / statementBytes;
    Tape smaller = tape(weightUpdates(trips - 2, k -> k + 1)); // the other two statements fit too
    Tape larger = tape(weightUpdates(trips + 1, k -> k + 1));

    List<Rolling.Loop> none = Rolling.find(smaller);
    List<Rolling.Loop> one = Rolling.find(larger);

    assertEquals(List.of(), none);
    assertEquals(1, Rolling.find(smaller, Rolling.MIN_TRIPS, Rolling.MIN_RUN_BYTES).size());
    assertEquals(List.of(new Rolling.Loop(1, 1, trips + 1)), one);
  }

  /** Alternating {@code pg[2j] = pg[2j] + in[j]·g} and {@code pg[2j+1] = pg[2j+1] - in[j]}. */
  @Test
  void find_twoStatementsRepeatingTogether_isOneLoopOfPeriodTwo() {
    int n = 9;
    Program.Builder b = new Program.Builder(n + 1, 2 * n, 1);
    int g = b.binary(Op.MUL, b.leaf(Kind.INPUT, 0), b.leaf(Kind.PARAM, 0));
    b.sink(g, Program.OUTPUT, 0);
    for (int j = 0; j < n; j++) {
      int x = b.leaf(Kind.INPUT, j + 1);
      int first = b.binary(Op.ADD, b.leaf(Kind.PARAM_GRAD, 2 * j), b.binary(Op.MUL, x, g));
      b.sink(first, Program.PARAM_GRAD, 2 * j);
      b.sink(
          b.binary(Op.SUB, b.leaf(Kind.PARAM_GRAD, 2 * j + 1), x), Program.PARAM_GRAD, 2 * j + 1);
    }
    Program p = Verifier.verify(b.build(), "hand-built");

    List<Rolling.Loop> loops = loops(p);

    assertEquals(List.of(new Rolling.Loop(1, 2, n)), loops);
  }

  @Test
  void emit_rolledUpdatesWithSpecialValues_matchInterpreterBitForBit() {
    Program p = weightUpdates(2000, k -> 2 * (2000 - k));
    Emitter.Code code = Emitter.emit(p, new Layout(p), 0);
    Kernel emitted = Emitter.load(code);
    double[][] specials = {{Double.NaN, -0.0, 1e308}, {Double.POSITIVE_INFINITY, 0.0, -1e-320}};

    for (double[] special : specials) {
      double[] x = new double[p.inputCount];
      double[] params = new double[p.paramCount];
      params[0] = special[2];
      for (int i = 0; i < x.length; i++) {
        x[i] = i % 7 == 0 ? special[i % 2] : Math.sin(i) * 1e3;
      }

      double[] expected = Programs.interpret(p, x, params);

      Oracle.assertBitIdentical(expected, Programs.run(emitted, p, x, params), "rolled");
    }
    assertTrue(Disassembly.text(code.classes()).contains("IF_ICMPLT"), "no loop was emitted");
  }
}
