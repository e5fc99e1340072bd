package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.codegen.Training.GradientSource;
import dev.jitgrad.codegen.Training.SampleLoss;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import dev.jitgrad.nn.Optimizer;
import dev.jitgrad.nn.Sgd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class TrainingTest {
  private static final SampleLoss SVM = (out, y) -> Losses.svmMaxMargin(out.get(0), y.get(0));
  private static final long SEED = 1337;
  private static final double ALPHA = 1e-4;

  @Test
  void run_moonsFullBatch_weightsBitIdenticalToHandRolledLoop() {
    Dataset moons = Dataset.moons(100, 0.1, SEED);
    MLP byHand = new MLP(new SplittableRandom(SEED).split(), 2, 16, 16, 1);
    MLP byApi = new MLP(new SplittableRandom(SEED).split(), 2, 16, 16, 1);
    double[] initial = Values.data(byApi.parameters());
    HandRolled reference = new HandRolled(byHand, moons, 100);

    Training.History history =
        Training.of(byApi, SVM)
            .data(moons)
            .optimizer(new Sgd(1.0).weightDecay(2 * ALPHA).withLinearDecay(0.1, 100))
            .epochs(100)
            .run();

    double[] trained = Values.data(byApi.parameters());
    assertFalse(Arrays.equals(initial, trained), "training did not move the weights");
    assertArrayEquals(reference.params, trained, 0.0);
    assertArrayEquals(reference.dataLosses, history.loss(), 0.0);
  }

  @Test
  void readmeExample_moons_trainsWithMicrogradsRecipeToFullAccuracy() {
    List<String> printed = new ArrayList<>();
    // The README's "Training" block, with println collected instead of printed.
    MLP model = new MLP(2, 16, 16, 1);
    Dataset moons = Dataset.moons(100, 0.1, 1337); // micrograd's demo data, labels ±1

    Training.History history =
        Training.of(model, (out, y) -> Losses.svmMaxMargin(out.get(0), y.get(0)))
            .data(moons)
            .metric(Training.Metric.signAccuracy())
            .optimizer(new Sgd(1.0).weightDecay(2e-4).withLinearDecay(0.1, 100))
            .epochs(100) // full batch: one step per epoch
            .listener((epoch, h) -> printed.add(epoch + " loss " + h.loss()[epoch]))
            .run(); // the trained weights are now in model

    assertEquals(100, printed.size());
    assertEquals(interpreted(model, moons)[1], history.metric()[99], 0.0);
    assertEquals(1.0, history.metric()[99], 0.0);
  }

  @Test
  void run_minibatches_eachEpochVisitsEveryRowOnceAndStepsWithTheBatchMean() {
    Dataset data = numbered(10);
    List<List<Double>> batches = new ArrayList<>();
    List<double[]> stepped = new ArrayList<>();
    GradientSource spy =
        (graph, rows, count, params, grad) -> {
          List<Double> ids = new ArrayList<>();
          for (int r = 0; r < count; r++) {
            ids.add(rows[r * graph.inputCount()]);
          }
          batches.add(ids);
          Arrays.fill(grad, 3.0 * count);
          return 5.0 * count;
        };
    Optimizer recorder = (params, grads) -> stepped.add(grads.clone());

    Training.History history =
        Training.of(new MLP(1, 1), SVM)
            .data(data)
            .optimizer(recorder)
            .batchSize(4)
            .epochs(3)
            .gradients(spy)
            .run();

    assertEquals(9, batches.size());
    for (int epoch = 0; epoch < 3; epoch++) {
      List<Double> seen = new ArrayList<>();
      for (int b = 0; b < 3; b++) {
        seen.addAll(batches.get(3 * epoch + b));
        assertEquals(b < 2 ? 4 : 2, batches.get(3 * epoch + b).size(), "batch size");
      }
      seen.sort(null);
      assertEquals(List.of(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0), seen);
    }
    assertFalse(batches.get(0).equals(batches.get(3)), "epochs should be reshuffled");
    for (double[] grads : stepped) {
      assertArrayEquals(new double[] {3.0, 3.0}, grads, 0.0);
    }
    assertArrayEquals(new double[] {5.0, 5.0, 5.0}, history.loss(), 0.0);
  }

  @Test
  void run_sameSeed_sameOrderAndOtherSeed_otherOrder() {
    List<Double> first = firstBatch(7);
    List<Double> again = firstBatch(7);
    List<Double> other = firstBatch(8);

    assertEquals(first, again);
    assertFalse(first.equals(other), "seeds 7 and 8 gave the same order " + first);
  }

  @Test
  void run_steps_stopsMidEpochAndReportsThePartialEpoch() {
    int[] calls = {0};
    GradientSource counting =
        (graph, rows, count, params, grad) -> {
          calls[0]++;
          return count;
        };

    Training.History history =
        Training.of(new MLP(1, 1), SVM)
            .data(numbered(10))
            .optimizer(new Sgd(0.1))
            .batchSize(4)
            .steps(5)
            .gradients(counting)
            .run();

    assertEquals(5, calls[0]);
    assertEquals(2, history.epochs());
    assertArrayEquals(new double[] {1.0, 1.0}, history.loss(), 0.0);
  }

  @Test
  void run_heldOutAndMetric_matchTheInterpreterOnTheWrittenBackModel() {
    Dataset train = Dataset.moons(60, 0.1, 3);
    Dataset test = Dataset.moons(40, 0.1, 4);
    MLP model = new MLP(new SplittableRandom(5), 2, 8, 1);
    List<Integer> epochsHeard = new ArrayList<>();

    Training.History history =
        Training.of(model, SVM)
            .data(train)
            .heldOut(test)
            .metric(Training.Metric.signAccuracy())
            .optimizer(new Sgd(0.05, 0.9))
            .batchSize(16)
            .epochs(4)
            .seed(9)
            .listener((epoch, h) -> epochsHeard.add(epoch * 10 + h.epochs()))
            .run();

    assertEquals(List.of(1, 12, 23, 34), epochsHeard);
    assertEquals(4, history.heldOutLoss().length);
    assertEquals(interpreted(model, train)[1], history.metric()[3], 1e-12);
    assertEquals(interpreted(model, test)[0], history.heldOutLoss()[3], 1e-9);
    assertEquals(interpreted(model, test)[1], history.heldOutMetric()[3], 1e-12);
  }

  @Test
  void historyAt_readEachEpochByTheListener_equalsTheSeriesAfterTheRun() {
    List<double[]> heard = new ArrayList<>();

    Training.History history =
        Training.of(new MLP(new SplittableRandom(5), 2, 8, 1), SVM)
            .data(Dataset.moons(60, 0.1, 3))
            .heldOut(Dataset.moons(40, 0.1, 4))
            .metric(Training.Metric.signAccuracy())
            .optimizer(new Sgd(0.05, 0.9))
            .batchSize(16)
            .epochs(3)
            .listener(
                (epoch, h) ->
                    heard.add(
                        new double[] {
                          h.loss(epoch),
                          h.metric(epoch),
                          h.heldOutLoss(epoch),
                          h.heldOutMetric(epoch)
                        }))
            .run();

    for (int e = 0; e < 3; e++) {
      assertArrayEquals(
          new double[] {
            history.loss()[e],
            history.metric()[e],
            history.heldOutLoss()[e],
            history.heldOutMetric()[e]
          },
          heard.get(e),
          0.0);
    }
  }

  @Test
  void historyAt_unfinishedEpochOrMissingSeries_throwsNamingIt() {
    Training.History history =
        Training.of(new MLP(1, 1), SVM).data(numbered(3)).optimizer(new Sgd(0.1)).run();

    assertMessage("got 1", () -> history.loss(1));
    assertMessage("got -1", () -> history.loss(-1));
    assertMessage("no metric", () -> history.metric(0));
    assertMessage("no heldOutLoss", () -> history.heldOutLoss(0));
  }

  @Test
  void run_noMetricNoHeldOut_leavesThoseSeriesEmpty() {
    Training.History history =
        Training.of(new MLP(1, 1), SVM).data(numbered(3)).optimizer(new Sgd(0.1)).run();

    assertEquals(1, history.loss().length);
    assertEquals(0, history.metric().length);
    assertEquals(0, history.heldOutLoss().length);
    assertEquals(0, history.heldOutMetric().length);
  }

  @Test
  void gradients_rowByRowSource_trainsLikeTheLocalBatch() {
    GradientSource rowByRow =
        (graph, rows, count, params, grad) -> {
          double sum = 0;
          int width = graph.inputCount();
          for (int r = 0; r < count; r++) {
            sum +=
                graph.valueAndGrad(
                    Arrays.copyOfRange(rows, r * width, (r + 1) * width), params, grad);
          }
          return sum;
        };
    MLP local = new MLP(new SplittableRandom(2), 2, 4, 1);
    MLP custom = new MLP(new SplittableRandom(2), 2, 4, 1);

    train(local, GradientSource.local());
    train(custom, rowByRow);

    double[] expected = Values.data(local.parameters());
    double[] actual = Values.data(custom.parameters());
    for (int i = 0; i < expected.length; i++) {
      assertEquals(
          expected[i], actual[i], 1e-12 * Math.max(1, Math.abs(expected[i])), "param " + i);
    }
  }

  @Test
  void run_multiOutputModelWithArgmaxAccuracy_reportsAFractionOfRows() {
    Dataset data =
        new Dataset(
            new double[][] {{0.0, 1.0}, {1.0, 0.0}, {0.5, 0.5}},
            new double[][] {{1, 0}, {0, 1}, {1, 0}});
    MLP model = new MLP(new SplittableRandom(4), 2, 2);

    Training.History history =
        Training.of(model, (out, y) -> Losses.meanSquaredError(out, y))
            .data(data)
            .metric(Training.Metric.argmaxAccuracy())
            .optimizer(new Sgd(0.1))
            .run();

    assertEquals(interpreted(model, data, Training.Metric.argmaxAccuracy()), history.metric()[0]);
  }

  @Test
  void badArguments_throwNamingTheValue() {
    Training training = Training.of(new MLP(2, 1), SVM);
    Dataset empty = new Dataset(new double[0][], new double[0][]);
    Dataset wideLabels = new Dataset(new double[][] {{1, 2}}, new double[][] {{1, 2}});
    Dataset narrowFeatures = new Dataset(new double[][] {{1}}, new double[][] {{1}});

    assertMessage("empty", () -> training.data(empty));
    assertMessage("labels[0] has 2 values, expected 1", () -> training.data(wideLabels));
    assertMessage("features[0] has 1 values, expected 2", () -> training.data(narrowFeatures));
    assertMessage("held-out data is empty", () -> training.heldOut(empty));
    assertMessage("batch size must be positive, got 0", () -> training.batchSize(0));
    assertMessage("epochs must be positive, got 0", () -> training.epochs(0));
    assertMessage("steps must be positive, got -1", () -> training.steps(-1));
    assertMessage("NaN", () -> training.optimizer(new Sgd(Double.NaN)));
    assertMessage("-0.5", () -> training.optimizer(new Sgd(-0.5)));
    assertMessage("label count must be >= 0, got -1", () -> Training.of(new MLP(2, 1), -1, SVM));
  }

  @Test
  void run_scheduleGivesNaN_throwsNamingRateAndStep() {
    Training training =
        Training.of(new MLP(1, 1), SVM)
            .data(numbered(4))
            .optimizer(new Sgd(0.1).withSchedule(k -> k < 2 ? 0.1 : Double.NaN))
            .epochs(5);

    assertMessage("learning rate NaN at step 2", training::run);
  }

  @Test
  void run_withoutDataOrOptimizer_throwsSayingWhatIsMissing() {
    Training noData = Training.of(new MLP(1, 1), SVM).optimizer(new Sgd(0.1));
    Training noOptimizer = Training.of(new MLP(1, 1), SVM).data(numbered(2));

    IllegalStateException data = assertThrows(IllegalStateException.class, noData::run);
    IllegalStateException optimizer = assertThrows(IllegalStateException.class, noOptimizer::run);

    assertTrue(data.getMessage().contains("data("), data.getMessage());
    assertTrue(optimizer.getMessage().contains("optimizer("), optimizer.getMessage());
  }

  @Test
  void run_lossReturnsNull_throwsNamingTheLoss() {
    Training training =
        Training.of(new MLP(1, 1), (out, y) -> null).data(numbered(2)).optimizer(new Sgd(0.1));

    NullPointerException e = assertThrows(NullPointerException.class, training::run);

    assertTrue(e.getMessage().contains("loss returned null"), e.getMessage());
  }

  private static List<Double> firstBatch(long seed) {
    List<Double> ids = new ArrayList<>();
    GradientSource spy =
        (graph, rows, count, params, grad) -> {
          if (ids.isEmpty()) {
            for (int r = 0; r < count; r++) {
              ids.add(rows[r * graph.inputCount()]);
            }
          }
          return 0;
        };
    Training.of(new MLP(1, 1), SVM)
        .data(numbered(20))
        .optimizer(new Sgd(0.1))
        .batchSize(10)
        .seed(seed)
        .gradients(spy)
        .run();
    return ids;
  }

  private static void train(MLP model, GradientSource source) {
    Training.of(model, SVM)
        .data(Dataset.moons(50, 0.1, 6))
        .optimizer(new Sgd(0.1))
        .batchSize(20)
        .epochs(3)
        .gradients(source)
        .run();
  }

  /** Returns rows whose one feature is the row number and whose label is +1. */
  private static Dataset numbered(int n) {
    double[][] features = new double[n][];
    double[][] labels = new double[n][];
    for (int i = 0; i < n; i++) {
      features[i] = new double[] {i};
      labels[i] = new double[] {1};
    }
    return new Dataset(features, labels);
  }

  /** Returns the mean max-margin loss and sign accuracy of {@code model}, with the interpreter. */
  private static double[] interpreted(MLP model, Dataset data) {
    double loss = 0;
    double correct = 0;
    for (int i = 0; i < data.size(); i++) {
      double[] x = data.features()[i];
      double y = data.labels()[i][0];
      Value score = model.apply(List.of(Value.of(x[0]), Value.of(x[1]))).get(0);
      loss += Losses.svmMaxMargin(score, y).data();
      correct += Math.signum(score.data()) == y ? 1 : 0;
    }
    return new double[] {loss / data.size(), correct / data.size()};
  }

  /** Returns the mean of {@code metric} over the rows, with outputs from the interpreter. */
  private static double interpreted(MLP model, Dataset data, Training.Metric metric) {
    double sum = 0;
    for (int i = 0; i < data.size(); i++) {
      List<Value> x = new ArrayList<>();
      for (double v : data.features()[i]) {
        x.add(Value.of(v));
      }
      sum += metric.score(Values.data(model.apply(x)), data.labels()[i]);
    }
    return sum / data.size();
  }

  private static void assertMessage(String text, Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);

    assertTrue(e.getMessage().contains(text), e.getMessage());
  }

  /**
   * examples' {@code CompiledEngine} and {@code Trainer}, written out: the label a graph input, the
   * batch sum scaled by 1/n and micrograd's L2 term added on the arrays, micrograd's rate decay.
   */
  private static final class HandRolled {
    final double[] params;
    final double[] dataLosses;

    HandRolled(MLP mlp, Dataset data, int steps) {
      Value x0 = Value.of(0, "x0");
      Value x1 = Value.of(0, "x1");
      Value y = Value.of(0, "y");
      Value score = mlp.apply(List.of(x0, x1)).get(0);
      List<Value> parameters = mlp.parameters();
      CompiledGraph loss =
          Jit.compile(Losses.svmMaxMargin(score, y), List.of(x0, x1, y), parameters);
      int n = data.size();
      double[] rows = new double[3 * n];
      for (int i = 0; i < n; i++) {
        rows[3 * i] = data.features()[i][0];
        rows[3 * i + 1] = data.features()[i][1];
        rows[3 * i + 2] = data.labels()[i][0];
      }
      params = Values.data(parameters);
      dataLosses = new double[steps];
      double[] grad = new double[params.length];
      Sgd sgd = new Sgd(1.0);
      for (int k = 0; k < steps; k++) {
        Arrays.fill(grad, 0);
        dataLosses[k] = loss.valueAndGradBatch(rows, n, params, grad) * (1.0 / n);
        for (int i = 0; i < params.length; i++) {
          grad[i] = grad[i] * (1.0 / n) + 2 * ALPHA * params[i];
        }
        sgd.setLearningRate(1.0 - 0.9 * k / steps);
        sgd.step(params, grad);
      }
    }
  }
}
