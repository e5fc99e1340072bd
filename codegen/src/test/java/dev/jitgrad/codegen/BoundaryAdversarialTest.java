package dev.jitgrad.codegen;

import static dev.jitgrad.codegen.CompiledGraphTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.codegen.Training.SampleLoss;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import dev.jitgrad.nn.Model;
import dev.jitgrad.nn.Sgd;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adversarial checks of the public boundary of {@code dev.jitgrad.codegen}: arguments that a length
 * check computed in {@code int} would let through by wrap-around, aliased arrays, leaf and constant
 * outputs, failed calls that must leave their arrays and the graph as they were, bad calls mixed
 * with good ones on many threads, and {@link Training} runs stopped by their own callbacks.
 */
class BoundaryAdversarialTest {
  private static final JitOptions DEFAULT = JitOptions.defaults();
  private static final List<JitOptions> EVERY_MODE =
      List.of(
          DEFAULT, DEFAULT.withExact(true), DEFAULT.withBackend(JitOptions.Backend.IR_INTERPRETER));

  /** More rows than a block, so batches run whole blocks on lane code and a short last block. */
  private static final int ROWS = 40;

  private static final double SENTINEL = -12345.5;
  private static final SampleLoss SVM = (out, y) -> Losses.svmMaxMargin(out.get(0), y.get(0));

  @Test
  void compile_leafAndConstantOutputs_computeTheLeavesAndTheirUnitGradient() {
    for (JitOptions options : EVERY_MODE) {
      Value x = Value.of(0, "x");
      Value w = Value.of(0, "w");
      Value c = Value.of(3, "c");
      CompiledGraph g = Jit.compile(List.of(w, x, c, w, x.mul(w)), List.of(x), List.of(w), options);
      double[] outputs = new double[5];
      double[] inputGrad = {10};
      double[] paramGrad = {20};
      double[] inputRows = rowsOf(ROWS);
      double[] outputRows = new double[ROWS * 5];
      double[] batchGrad = {0};

      g.forward(new double[] {2}, new double[] {0.5}, outputs);
      double value = g.valueAndGrad(new double[] {2}, new double[] {0.5}, inputGrad, paramGrad);
      g.forwardBatch(inputRows, ROWS, new double[] {0.5}, outputRows);
      double sum = g.valueAndGradBatch(inputRows, ROWS, new double[] {0.5}, batchGrad);

      String mode = options.toString();
      assertArrayEquals(new double[] {0.5, 2, 3, 0.5, 1}, outputs, 0.0, mode);
      assertEquals(0.5, value, 0.0, mode);
      assertArrayEquals(new double[] {10}, inputGrad, 0.0, mode); // d w / d x = 0
      assertArrayEquals(new double[] {21}, paramGrad, 0.0, mode); // d w / d w = 1
      for (int r = 0; r < ROWS; r++) {
        double xr = inputRows[r];
        assertArrayEquals(
            new double[] {0.5, xr, 3, 0.5, xr * 0.5},
            Arrays.copyOfRange(outputRows, r * 5, r * 5 + 5),
            0.0,
            mode + " row " + r);
      }
      assertEquals(ROWS * 0.5, sum, 0.0, mode);
      assertArrayEquals(new double[] {ROWS}, batchGrad, 0.0, mode);
    }
  }

  @Test
  void compile_lossIsAnInputLeaf_gradientOnlyIntoThatInput() {
    for (JitOptions options : EVERY_MODE) {
      Value x = Value.of(0, "x");
      Value z = Value.of(0, "z");
      Value w = Value.of(0, "w");
      CompiledGraph g = Jit.compile(List.of(x, z.mul(w)), List.of(x, z), List.of(w), options);
      double[] inputGrad = {1, 1};
      double[] paramGrad = {1};
      double[] batchGrad = {1};

      double value = g.valueAndGrad(new double[] {7, 5}, new double[] {2}, inputGrad, paramGrad);
      double sum =
          g.valueAndGradBatch(interleaved(ROWS), ROWS, new double[] {2}, batchGrad); // x = r

      assertEquals(7, value, 0.0, options.toString());
      assertArrayEquals(new double[] {2, 1}, inputGrad, 0.0, options.toString());
      assertArrayEquals(new double[] {1}, paramGrad, 0.0, options.toString());
      assertEquals(ROWS * (ROWS - 1) / 2.0, sum, 0.0, options.toString());
      assertArrayEquals(new double[] {1}, batchGrad, 0.0, options.toString());
    }
  }

  @Test
  void compile_noInputsNoParams_everyCallComputesTheConstant() {
    for (JitOptions options : EVERY_MODE) {
      Value loss = Value.of(2).mul(Value.of(3)).add(Value.of(1));
      CompiledGraph g = Jit.compile(List.of(loss), List.of(), List.of(), options);
      double[] none = new double[0];
      double[] outputRows = new double[ROWS + 1];
      outputRows[ROWS] = SENTINEL;

      double single = g.forward(none, new double[0]);
      double value = g.valueAndGrad(new double[0], new double[0], new double[0], new double[0]);
      double sum = g.valueAndGradBatch(new double[0], ROWS, new double[0], new double[0]);
      g.forwardBatch(new double[0], ROWS, new double[0], outputRows);

      assertEquals(7, single, 0.0, options.toString());
      assertEquals(7, value, 0.0, options.toString());
      assertEquals(7 * ROWS, sum, 0.0, options.toString());
      double[] expected = new double[ROWS + 1];
      Arrays.fill(expected, 7);
      expected[ROWS] = SENTINEL;
      assertArrayEquals(expected, outputRows, 0.0, options.toString());
    }
  }

  @Test
  void compile_badListsNotYetCovered_throwNamingTheListAndIndex() {
    Value x = Value.of(1, "x");
    Value w = Value.of(1, "w");
    Value y = x.mul(w);

    assertMessage(
        IllegalArgumentException.class,
        "inputs[1] is the same leaf as inputs[0]",
        () -> Jit.compile(y, List.of(x, x), List.of(w)));
    assertMessage(
        IllegalArgumentException.class,
        "params[1] is computed by ADD, expected a leaf",
        () -> Jit.compile(y, List.of(x), List.of(w, x.add(w))));
    assertMessage(
        NullPointerException.class,
        "outputs[1] is null",
        () -> Jit.compile(Arrays.asList(y, null), List.of(x), List.of(w), DEFAULT));
    assertMessage(
        NullPointerException.class,
        "inputs[0] is null",
        () -> Jit.compile(y, Arrays.asList((Value) null), List.of(w)));
    assertMessage(
        NullPointerException.class, "outputs", () -> Jit.compile(null, null, null, DEFAULT));
    assertMessage(NullPointerException.class, "inputs", () -> Jit.compile(y, null, List.of(w)));
    assertMessage(NullPointerException.class, "params", () -> Jit.compile(y, List.of(x), null));
    assertMessage(
        NullPointerException.class,
        "options",
        () -> Jit.compile(List.of(y), List.of(x), List.of(w), null));
  }

  @Test
  void jitOptions_negativeMaxNodes_throwsWithTheValue() {
    assertMessage(
        IllegalArgumentException.class,
        "maxNodes must be positive, got -1",
        () -> DEFAULT.withMaxNodes(-1));
    assertMessage(
        IllegalArgumentException.class,
        "got -2147483648",
        () -> new JitOptions(false, JitOptions.Backend.BYTECODE, Integer.MIN_VALUE, null));
    assertMessage(
        NullPointerException.class,
        "backend",
        () -> new JitOptions(false, null, Integer.MAX_VALUE, null));
  }

  @Test
  void compile_maxNodesOne_throwsGraphTooLargeWithTheLimit() {
    Value w = Value.of(1, "w");

    GraphTooLargeException e =
        assertThrows(
            GraphTooLargeException.class,
            () -> Jit.compile(List.of(w.mul(w)), List.of(), List.of(w), DEFAULT.withMaxNodes(1)));

    assertEquals(1, e.limit());
    assertTrue(e.size() > 1, "size " + e.size());
    assertTrue(e.getMessage().contains("more than the limit of 1"), e.getMessage());
  }

  @Test
  void compile_dumpDirectoryIsAFile_throwsUncheckedIoNamingThePath(@TempDir Path dir)
      throws Exception {
    Path file = Files.createFile(dir.resolve("not-a-directory"));
    Value x = Value.of(1, "x");
    Value w = Value.of(1, "w");

    UncheckedIOException e =
        assertThrows(
            UncheckedIOException.class,
            () ->
                Jit.compile(
                    List.of(x.mul(w)), List.of(x), List.of(w), DEFAULT.withDumpDirectory(file)));

    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void batches_rowsTimesWidthWrapsIntToNegative_throwNamingRows() {
    CompiledGraph g = twoInputs(); // 2 inputs: 2^30 rows need 2^31 values, -2^31 in int
    int rows = 1 << 30;

    assertMessage(
        IllegalArgumentException.class,
        "rows must be in [0, 2] for inputRows of length 4 and 2 inputs per row, got 1073741824",
        () -> g.valueAndGradBatch(new double[4], rows, new double[1], new double[1]));
    assertMessage(
        IllegalArgumentException.class,
        "got 1073741824",
        () -> g.forwardBatch(new double[4], rows, new double[1], new double[4]));
    assertMessage(
        IllegalArgumentException.class,
        "got 2147483647",
        () -> g.valueAndGradBatch(new double[4], Integer.MAX_VALUE, new double[1], new double[1]));
  }

  @Test
  void batches_rowsTimesWidthWrapsIntToZero_throwNamingRowsAndNeededLength() {
    Value a = Value.of(0, "a");
    Value b = Value.of(0, "b");
    Value c = Value.of(0, "c");
    Value d = Value.of(0, "d");
    Value w = Value.of(0, "w");
    CompiledGraph fourInputs =
        Jit.compile(Value.sum(a, b, c, d).mul(w), List.of(a, b, c, d), List.of(w));
    CompiledGraph fourOutputs =
        Jit.compile(List.of(w, w.mul(2), w.mul(3), w.mul(4)), List.of(), List.of(w), DEFAULT);
    int rows = 1 << 30; // × 4 = 2^32, 0 in int

    assertMessage(
        IllegalArgumentException.class,
        "got 1073741824",
        () -> fourInputs.valueAndGradBatch(new double[0], rows, new double[1], new double[1]));
    assertMessage(
        IllegalArgumentException.class,
        "outputRows has length 0, expected at least 4294967296 for 1073741824 rows of 4 outputs",
        () -> fourOutputs.forwardBatch(new double[0], rows, new double[1], new double[0]));
    assertMessage(
        IllegalArgumentException.class,
        "rows must be in [0, any] for inputRows of length 0 and 0 inputs per row, got -2147483648",
        () ->
            fourOutputs.valueAndGradBatch(
                new double[0], Integer.MIN_VALUE, new double[1], new double[1]));
  }

  @Test
  void valueAndGradBatch_zeroRows_returnsZeroAndAddsNothing() {
    CompiledGraph g = twoInputs();
    double[] grad = {SENTINEL};

    double sum = g.valueAndGradBatch(new double[0], 0, new double[] {3}, grad);

    assertEquals(0.0, sum, 0.0);
    assertArrayEquals(new double[] {SENTINEL}, grad, 0.0);
  }

  @Test
  void forwardBatch_outputRowsLongerThanNeeded_leavesTheTailAsItWas() {
    CompiledGraph g = twoInputs();
    for (int rows : new int[] {3, ROWS}) { // row by row, then blocks on lane code
      double[] inputRows = interleaved(rows);
      double[] outputRows = new double[rows + 5];
      Arrays.fill(outputRows, SENTINEL);

      g.forwardBatch(inputRows, rows, new double[] {2}, outputRows);

      for (int r = 0; r < rows; r++) {
        assertEquals(r * 2.0 + 1, outputRows[r], 0.0, "row " + r); // a·w + b, a = r, b = 1
      }
      for (int i = rows; i < outputRows.length; i++) {
        assertEquals(SENTINEL, outputRows[i], 0.0, "tail element " + i);
      }
    }
  }

  @Test
  void calls_gradientAliasesAnInput_throwNamingBothAndTouchNothing() {
    Value x = Value.of(0, "x");
    Value w = Value.of(0, "w");
    CompiledGraph g = Jit.compile(x.mul(w), List.of(x), List.of(w));
    double[] shared = {3};
    double[] other = {4};

    assertMessage(
        IllegalArgumentException.class,
        "paramGrad and inputs are the same array",
        () -> g.valueAndGrad(shared, other, shared));
    assertMessage(
        IllegalArgumentException.class,
        "inputGrad and inputs are the same array",
        () -> g.valueAndGrad(shared, other, shared, new double[1]));
    assertMessage(
        IllegalArgumentException.class,
        "inputGrad and params are the same array",
        () -> g.valueAndGrad(other, shared, shared, new double[1]));
    assertMessage(
        IllegalArgumentException.class,
        "paramGrad and inputs are the same array",
        () -> g.valueAndGrad(shared, other, new double[1], shared));
    assertMessage(
        IllegalArgumentException.class,
        "paramGrad and inputRows are the same array",
        () -> g.valueAndGradBatch(shared, 1, other, shared));

    assertArrayEquals(new double[] {3}, shared, 0.0);
    assertArrayEquals(new double[] {4}, other, 0.0);
  }

  @Test
  void calls_readOnlyArraysAliased_sameNumbersAsSeparateArrays() {
    Value x = Value.of(0, "x");
    Value w = Value.of(0, "w");
    CompiledGraph g = Jit.compile(List.of(x.mul(w).add(w)), List.of(x), List.of(w), DEFAULT);
    double[] forwardInPlace = {3};
    double[] value = {3};
    double[] grad = {0};
    double[] batchRows = {3};
    double[] batchGrad = {0};

    g.forward(forwardInPlace, forwardInPlace, forwardInPlace); // outputs = inputs = params
    double single = g.valueAndGrad(value, value, grad);
    double sum = g.valueAndGradBatch(batchRows, 1, batchRows, batchGrad);

    assertArrayEquals(new double[] {12}, forwardInPlace, 0.0); // 3·3 + 3
    assertEquals(12, single, 0.0);
    assertArrayEquals(new double[] {4}, grad, 0.0); // x + 1
    assertEquals(12, sum, 0.0);
    assertArrayEquals(new double[] {4}, batchGrad, 0.0);
  }

  @Test
  void calls_rejectedArguments_leaveEveryArrayUntouchedAndTheGraphUsable() {
    CompiledGraph g = twoInputs();
    double[] paramGrad = {SENTINEL};
    double[] inputGrad = {SENTINEL, SENTINEL};
    double[] outputs = {SENTINEL};
    double[] outputRows = {SENTINEL, SENTINEL, SENTINEL};
    double[] inputRows = interleaved(3);
    double[] inputRowsBefore = inputRows.clone();
    double[] params = {2};

    assertThrows(
        IllegalArgumentException.class,
        () -> g.valueAndGrad(new double[2], params, new double[3], paramGrad));
    assertThrows(
        IllegalArgumentException.class,
        () -> g.valueAndGrad(new double[2], params, inputGrad, new double[2]));
    assertThrows(
        NullPointerException.class, () -> g.valueAndGrad(null, params, inputGrad, paramGrad));
    assertThrows(
        IllegalArgumentException.class, () -> g.valueAndGradBatch(inputRows, 4, params, paramGrad));
    assertThrows(
        IllegalArgumentException.class,
        () -> g.valueAndGradBatch(inputRows, 3, new double[2], paramGrad));
    assertThrows(
        IllegalArgumentException.class, () -> g.forward(new double[2], new double[0], outputs));
    assertThrows(
        IllegalArgumentException.class,
        () -> g.forwardBatch(inputRows, 3, new double[0], outputRows));
    assertThrows(
        IllegalArgumentException.class, () -> g.forwardBatch(inputRows, 3, params, new double[2]));

    assertArrayEquals(new double[] {SENTINEL}, paramGrad, 0.0);
    assertArrayEquals(new double[] {SENTINEL, SENTINEL}, inputGrad, 0.0);
    assertArrayEquals(new double[] {SENTINEL}, outputs, 0.0);
    assertArrayEquals(new double[] {SENTINEL, SENTINEL, SENTINEL}, outputRows, 0.0);
    assertArrayEquals(inputRowsBefore, inputRows, 0.0);
    assertArrayEquals(new double[] {2}, params, 0.0);
    double[] grad = {0};
    assertEquals(1 + 3 + 5, g.valueAndGradBatch(inputRows, 3, params, grad), 0.0); // 2a + 1
    assertArrayEquals(new double[] {0 + 1 + 2}, grad, 0.0); // the sum of a over the rows
  }

  @Test
  void calls_badCallsMixedWithGoodOnManyThreads_goodCallsGetTheSingleThreadedBits()
      throws Exception {
    Value x0 = Value.of(0, "x0");
    Value x1 = Value.of(0, "x1");
    List<Value> w = List.of(Value.of(0, "w0"), Value.of(0, "w1"), Value.of(0, "b"));
    Value loss = x0.mul(w.get(0)).add(x1.mul(w.get(1))).add(w.get(2)).tanh().sub(x1).pow(2);
    CompiledGraph g = Jit.compile(loss, List.of(x0, x1), w);
    int rows = 1 << 17;
    assertTrue(g.isParallel(rows), "the batch should be split over threads");
    SplittableRandom random = new SplittableRandom(42);
    double[] data = random.doubles(2L * rows, -2, 2).toArray();
    double[] params = {0.3, -0.7, 0.1};
    double[] expectedGrad = new double[3];
    double expectedSum = g.valueAndGradBatch(data, rows, params, expectedGrad);
    double[] expectedOutputs = new double[ROWS];
    g.forwardBatch(data, ROWS, params, expectedOutputs);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> done = new ArrayList<>();

    try {
      for (int t = 0; t < 4; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 6; i++) {
                    badCall(g, data, params, (thread + i) % 4);
                    double[] grad = new double[3];
                    double sum = g.valueAndGradBatch(data, rows, params, grad);
                    double[] outputs = new double[ROWS];
                    g.forwardBatch(data, ROWS, params, outputs);
                    assertEquals(expectedSum, sum, 0.0);
                    assertArrayEquals(expectedGrad, grad, 0.0);
                    assertArrayEquals(expectedOutputs, outputs, 0.0);
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
  }

  /** Makes one of four rejected calls and checks its exception. */
  private static void badCall(CompiledGraph g, double[] data, double[] params, int kind) {
    double[] grad = {SENTINEL, SENTINEL, SENTINEL};
    switch (kind) {
      case 0 ->
          assertMessage(
              IllegalArgumentException.class,
              "got " + (data.length / 2 + 1),
              () -> g.valueAndGradBatch(data, data.length / 2 + 1, params, grad));
      case 1 ->
          assertMessage(
              IllegalArgumentException.class,
              "paramGrad and params are the same array",
              () -> g.valueAndGradBatch(data, 1, params, params));
      case 2 ->
          assertMessage(
              NullPointerException.class,
              "paramGrad",
              () -> g.valueAndGradBatch(data, 1, params, null));
      default ->
          assertMessage(
              IllegalArgumentException.class,
              "outputRows has length 1",
              () -> g.forwardBatch(data, 2, params, new double[1]));
    }
    assertArrayEquals(new double[] {SENTINEL, SENTINEL, SENTINEL}, grad, 0.0);
  }

  @Test
  void training_nullAndNonPositiveArguments_throwNamingTheArgument() {
    Training training = Training.of(new MLP(2, 1), SVM);
    Dataset badHeldOut = new Dataset(new double[][] {{1, 2}, {1, 2, 3}}, new double[][] {{1}, {1}});

    assertMessage(
        IllegalArgumentException.class,
        "held-out data: features[1] has 3 values, expected 2",
        () -> training.heldOut(badHeldOut));
    assertMessage(NullPointerException.class, "training data", () -> training.data(null));
    assertMessage(NullPointerException.class, "held-out data", () -> training.heldOut(null));
    assertMessage(NullPointerException.class, "metric", () -> training.metric(null));
    assertMessage(NullPointerException.class, "optimizer", () -> training.optimizer(null));
    assertMessage(NullPointerException.class, "listener", () -> training.listener(null));
    assertMessage(NullPointerException.class, "gradients", () -> training.gradients(null));
    assertMessage(NullPointerException.class, "model", () -> Training.of(null, SVM));
    assertMessage(NullPointerException.class, "loss", () -> Training.of(new MLP(2, 1), null));
    assertMessage(
        IllegalArgumentException.class,
        "batch size must be positive, got -2147483648",
        () -> training.batchSize(Integer.MIN_VALUE));
    assertMessage(
        IllegalArgumentException.class,
        "epochs must be positive, got -1",
        () -> training.epochs(-1));
    assertMessage(
        IllegalArgumentException.class,
        "learning rate must be finite and >= 0, got Infinity",
        () -> new Sgd(Double.POSITIVE_INFINITY));
  }

  @Test
  void run_listenerThrows_propagatesWithTheFinishedEpochsWeightsAndRunsAgain() {
    Dataset moons = Dataset.moons(20, 0.1, 7);
    MLP stopped = new MLP(new SplittableRandom(7), 2, 4, 1);
    MLP twoEpochs = new MLP(new SplittableRandom(7), 2, 4, 1);
    IllegalStateException stop = new IllegalStateException("stop");
    Training training =
        Training.of(stopped, SVM)
            .data(moons)
            .batchSize(8)
            .optimizer(new Sgd(0.1))
            .epochs(5)
            .listener(
                (epoch, history) -> {
                  if (epoch == 1) {
                    throw stop;
                  }
                });
    Training.of(twoEpochs, SVM).data(moons).batchSize(8).optimizer(new Sgd(0.1)).epochs(2).run();

    IllegalStateException thrown = assertThrows(IllegalStateException.class, training::run);
    double[] afterStop = Values.data(stopped.parameters());
    Training.History again = training.listener((epoch, history) -> {}).epochs(1).run();

    assertSame(stop, thrown);
    assertArrayEquals(Values.data(twoEpochs.parameters()), afterStop, 0.0);
    assertEquals(1, again.epochs());
    assertFalse(Arrays.equals(afterStop, Values.data(stopped.parameters())), "did not train");
  }

  @Test
  void run_gradientSourceThrowsMidEpoch_propagatesAndLeavesTheModelAsItWas() {
    MLP model = new MLP(new SplittableRandom(3), 2, 4, 1);
    double[] initial = Values.data(model.parameters());
    int[] calls = {0};
    Training training =
        Training.of(model, SVM)
            .data(Dataset.moons(20, 0.1, 3))
            .batchSize(4)
            .optimizer(new Sgd(0.1))
            .gradients(
                (graph, rows, count, params, grad) -> {
                  if (++calls[0] == 3) {
                    throw new IllegalArgumentException("source failed");
                  }
                  return graph.valueAndGradBatch(rows, count, params, grad);
                });

    assertMessage(IllegalArgumentException.class, "source failed", training::run);

    assertArrayEquals(initial, Values.data(model.parameters()), 0.0);
  }

  @Test
  void data_rowsTimesWidthOverflowsInt_throwsIllegalArgumentNamingTheSize() {
    int labels = 100_000;
    int rows = 21_475; // × 100,001 values = 2,147,521,475 > Integer.MAX_VALUE
    Dataset huge = sharedRows(rows, new double[1], new double[labels]);
    Training training = Training.of(new MLP(1, 1), labels, SVM);

    assertMessage(IllegalArgumentException.class, "21475", () -> training.data(huge));
  }

  @Test
  void run_evaluationOutputsOverflowInt_throwsIllegalArgumentNamingTheSize() {
    int rows = 1_000_000; // × 2,201 outputs = 2,201,000,000 > Integer.MAX_VALUE
    Dataset data = sharedRows(rows, new double[] {1}, new double[0]);
    Model wide = new WideModel(2_200);

    assertMessage(
        IllegalArgumentException.class,
        "1000000",
        () ->
            Training.of(wide, 0, (out, y) -> out.get(0).mul(out.get(0)))
                .data(data)
                .metric((outputs, labels) -> 0)
                .optimizer(new Sgd(0.1))
                .run());
  }

  @Test
  void run_maxIntEpochsStoppedByTheListener_stopsAfterTheListenersEpoch() {
    IllegalStateException stop = new IllegalStateException("stop");
    Training training =
        Training.of(new MLP(new SplittableRandom(5), 2, 1), SVM)
            .data(Dataset.moons(4, 0.1, 5))
            .optimizer(new Sgd(0.1))
            .epochs(Integer.MAX_VALUE)
            .listener(
                (epoch, history) -> {
                  if (epoch == 1) {
                    throw stop;
                  }
                });

    IllegalStateException thrown = assertThrows(IllegalStateException.class, training::run);

    assertSame(stop, thrown);
  }

  @Test
  void of_labelCountWrapsTheRowWidth_saysTheLabelCountIsTooLarge() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Training.of(new MLP(2, 1), Integer.MAX_VALUE, SVM));

    assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
    assertFalse(e.getMessage().contains("needs at least one value"), e.getMessage());
  }

  /** {@code a·w + b} of inputs {@code a, b} and param {@code w}. */
  private static CompiledGraph twoInputs() {
    Value a = Value.of(0, "a");
    Value b = Value.of(0, "b");
    Value w = Value.of(0, "w");
    return Jit.compile(a.mul(w).add(b), List.of(a, b), List.of(w));
  }

  /** Rows of one input: row {@code r} holds {@code r - 3}. */
  private static double[] rowsOf(int rows) {
    double[] data = new double[rows];
    Arrays.setAll(data, r -> r - 3);
    return data;
  }

  /** Rows of two inputs: row {@code r} holds {@code (r, 1)}. */
  private static double[] interleaved(int rows) {
    double[] data = new double[2 * rows];
    for (int r = 0; r < rows; r++) {
      data[2 * r] = r;
      data[2 * r + 1] = 1;
    }
    return data;
  }

  /** A data set of {@code rows} rows that all share one features array and one labels array. */
  private static Dataset sharedRows(int rows, double[] features, double[] labels) {
    double[][] f = new double[rows][];
    double[][] l = new double[rows][];
    Arrays.fill(f, features);
    Arrays.fill(l, labels);
    return new Dataset(f, l);
  }

  /** One input times one weight, repeated as {@code outputs} outputs. */
  private static final class WideModel implements Model {
    private final Value w = Value.of(0.5, "w");
    private final int outputs;

    WideModel(int outputs) {
      this.outputs = outputs;
    }

    @Override
    public int inputCount() {
      return 1;
    }

    @Override
    public int outputCount() {
      return outputs;
    }

    @Override
    public List<Value> parameters() {
      return List.of(w);
    }

    @Override
    public List<Value> apply(List<Value> inputs) {
      return Collections.nCopies(outputs, inputs.get(0).mul(w));
    }
  }
}
