package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The vector form's row-major copy of a run of slots ({@link LaneUpdates#transpose}) where a
 * weight-gradient update reads the run that the update before it had copied, but statements in
 * between wrote some of those slots, so the copy must be made again. Reverse mode produces this
 * when the adjoints of two updates take the same slots one after the other ({@link #recurrences}).
 * Runs in both test executions; the branch runs in the one with the Vector API. Oracle: per-row
 * calls summed block by block, to the bit.
 */
class LaneTransposeTest {
  /** Row counts around a block's 16 rows; one row is below the rows a block runs on lanes. */
  private static final int[] ROWS = {1, 15, 16, 17, 100};

  /**
   * Steps of each recurrence: its weight gradients make one run of 63 updates over slots, long
   * enough to be rolled into a loop.
   */
  private static final int STEPS = 64;

  /**
   * Returns {@code tanh(Σ_k z_k·s_0^(k))} over {@code count} recurrences of {@code steps} steps.
   * Each recurrence has its own weights and its own scale {@code z_k} (an input). All of them run
   * over one sequence of inputs {@code x_j} and one input {@code c}: {@code s_j = w_j·c +
   * s_(j+1)·x_j}, {@code s_(steps-1) = w·c}.
   *
   * <p>Tracing places a recurrence's products {@code w_j·c} one after another. So reverse mode
   * first computes the recurrence's adjoints {@code a_j = a_(j-1)·x_(j-1)}, each read twice and so
   * stored, and then writes its weight gradients as one run {@code pg[w_j] += c·a_j}. That run is
   * the last to read those adjoints, so it frees their slots in run order. The next recurrence's
   * adjoints are computed by statements that free no slot, so they take those slots back in the
   * same order: the next run reads the same slots, which its adjoints' statements have just
   * written.
   */
  static LoopFormsTest.Graph recurrences(SplittableRandom random, int count, int steps) {
    List<Value> x = new ArrayList<>();
    for (int i = 0; i < steps + count; i++) {
      x.add(Value.of(0, "x" + i));
    }
    Value c = x.get(steps - 1);
    List<Value> params = new ArrayList<>();
    List<Value> scaled = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      List<Value> w = new ArrayList<>();
      for (int j = 0; j < steps; j++) {
        w.add(Value.of(random.nextDouble(-1, 1), "w" + k + "_" + j));
      }
      params.addAll(w);
      Value s = w.get(steps - 1).mul(c);
      for (int j = steps - 2; j >= 0; j--) {
        s = w.get(j).mul(c).add(s.mul(x.get(j)));
      }
      scaled.add(s.mul(x.get(steps + k)));
    }
    return new LoopFormsTest.Graph(Value.sum(scaled).tanh(), x, params);
  }

  /**
   * Returns how many rolled weight-gradient updates ({@link LaneUpdates#isScaledUpdate}) in {@code
   * tape} read the same slots, as the values they multiply, as the update before them, with a
   * statement between the two writing one of those slots.
   */
  private static int rewrittenRuns(Tape tape, int inputCount) {
    LaneUpdates updates = new LaneUpdates(tape, inputCount, 0, null);
    List<Rolling.Loop> loops = Rolling.find(tape);
    BitSet run = new BitSet();
    BitSet written = new BitSet();
    int rewritten = 0;
    int next = 0;
    for (int s = 0; s < tape.size(); s++) {
      Rolling.Loop loop =
          next < loops.size() && loops.get(next).first() == s ? loops.get(next++) : null;
      if (loop != null && updates.isScaledUpdate(loop)) {
        int x = tape.indexStart(s);
        int operand = LaneEmitter.stride(tape, s, x + 2, 1) == 0 ? 3 : 2;
        BitSet read = new BitSet();
        for (int t = s; t < loop.end() && tape.array(x + operand) == Emitter.WS; t++) {
          read.set(tape.index(tape.indexStart(t) + operand));
        }
        rewritten += !read.isEmpty() && read.equals(run) && written.intersects(read) ? 1 : 0;
        run = read;
        written.clear();
        s = loop.end() - 1;
      } else if (tape.array(tape.indexStart(s)) == Emitter.WS) {
        written.set(tape.index(tape.indexStart(s)));
      }
    }
    return rewritten;
  }

  @Test
  void emit_threeRecurrences_updateReadsTheSlotsOfTheUpdateBeforeRewritten() {
    LoopFormsTest.Graph m = recurrences(new SplittableRandom(7), 3, STEPS);
    Program gradient = m.programs(JitOptions.defaults()).get(1);
    Layout layout = new Layout(gradient);

    int rewritten = rewrittenRuns(Tape.of(gradient, layout), gradient.inputCount);
    LaneEmitter.Code code = LaneEmitter.emit(gradient, layout);

    assertEquals(1, rewritten);
    assertEquals(3, code.blockedUpdates());
    assertEquals(LaneVectors.ON ? 3 : 0, code.transposedUpdates());
  }

  @Test
  void valueAndGradBatch_updatesOverRewrittenSlots_equalsBlockwiseSingleCalls() {
    SplittableRandom random = new SplittableRandom(11);
    LoopFormsTest.Graph m = recurrences(random, 3, STEPS);
    CompiledGraph g = Jit.compile(m.loss(), m.inputs(), m.params());
    for (int rows : ROWS) {
      double[] p = random.doubles(g.paramCount(), -1, 1).toArray();
      // finite rows: a NaN or infinity would reach every gradient of its block through the tanh
      double[] data = random.doubles((long) rows * g.inputCount(), -1, 1).toArray();
      double[] expected = Oracle.blockwiseSingleCalls(g, data, rows, p);
      double[] grad = new double[p.length];

      double sum = g.valueAndGradBatch(data, rows, p, grad);

      Oracle.assertBitIdentical(expected, Oracle.concat(sum, new double[0], grad), rows + " rows");
    }
    assertTrue(g.hasBatchLanes());
  }
}
