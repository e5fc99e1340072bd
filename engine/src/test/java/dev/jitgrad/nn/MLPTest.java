package dev.jitgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.GradCheck;
import dev.jitgrad.engine.Graph;
import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MLPTest {

  private static List<Value> inputs(double... x) {
    List<Value> values = new ArrayList<>();
    for (double v : x) {
      values.add(Value.of(v));
    }
    return values;
  }

  @Test
  void parameters_microgradDemoModel_has337() {
    // 16·(2+1) + 16·(16+1) + 1·(16+1) = 48 + 272 + 17.
    MLP model = new MLP(2, 16, 16, 1);

    assertEquals(337, model.parameters().size());
  }

  @Test
  void parameters_order_isLayerByLayerNeuronByNeuronWeightsThenBias() {
    // The generator is drawn once per weight in that order, so replaying it predicts every weight;
    // every bias starts at 0.
    MLP model = new MLP(new SplittableRandom(7), 3, 4, 2);
    SplittableRandom replay = new SplittableRandom(7);
    List<Double> expected = new ArrayList<>();
    int fanIn = 3;
    for (int size : new int[] {4, 2}) {
      for (int n = 0; n < size; n++) {
        for (int w = 0; w < fanIn; w++) {
          expected.add(replay.nextDouble(-1.0, 1.0));
        }
        expected.add(0.0);
      }
      fanIn = size;
    }

    double[] actual = Values.data(model.parameters());

    assertArrayEquals(expected.stream().mapToDouble(Double::doubleValue).toArray(), actual, 0.0);
  }

  @Test
  void parameters_lastOne_isTheOutputBiasWithGradientOne() {
    MLP model = new MLP(new SplittableRandom(3), 2, 5, 1);
    Value out = model.apply(inputs(0.3, -0.8)).get(0);

    out.backward();

    List<Value> p = model.parameters();
    assertEquals(1.0, p.get(p.size() - 1).grad(), 0.0);
  }

  @Test
  void toString_microgradDemoModel_printsLikeMicrograd() {
    MLP model = new MLP(2, 16, 16, 1);

    String text = model.toString();

    String relu2 = String.join(", ", Collections.nCopies(16, "ReLUNeuron(2)"));
    String relu16 = String.join(", ", Collections.nCopies(16, "ReLUNeuron(16)"));
    assertEquals(
        "MLP of [Layer of [" + relu2 + "], Layer of [" + relu16 + "], Layer of [LinearNeuron(16)]]",
        text);
    assertTrue(text.startsWith("MLP of [Layer of [ReLUNeuron(2), "));
  }

  @Test
  void constructor_sameSeed_givesSameWeights() {
    double[] first = Values.data(new MLP(new SplittableRandom(42), 2, 8, 1).parameters());
    double[] second = Values.data(new MLP(new SplittableRandom(42), 2, 8, 1).parameters());
    double[] byDefault1 = Values.data(new MLP(2, 8, 1).parameters());
    double[] byDefault2 = Values.data(new MLP(2, 8, 1).parameters());

    assertArrayEquals(first, second, 0.0);
    assertArrayEquals(byDefault1, byDefault2, 0.0);
  }

  @Test
  void constructor_differentGenerators_giveDifferentWeights() {
    double[] a = Values.data(new MLP(new SplittableRandom(42), 2, 8, 1).parameters());
    double[] b = Values.data(new MLP(new SplittableRandom(43), 2, 8, 1).parameters());
    double[] c = Values.data(new MLP(new Random(42), 2, 8, 1).parameters());

    assertFalse(Arrays.equals(a, b));
    assertFalse(Arrays.equals(a, c));
  }

  @Test
  void constructor_weights_lieInMinusOneToOne() {
    List<Value> p = new MLP(new SplittableRandom(5), 4, 32, 32, 3).parameters();

    for (Value v : p) {
      assertTrue(v.data() >= -1.0 && v.data() <= 1.0, v.toString());
    }
  }

  @Test
  void apply_oneNeuron_computesReluOfBiasPlusDot() {
    Neuron relu = new Neuron(2, true, new SplittableRandom(9));
    Neuron linear = new Neuron(2, false, new SplittableRandom(9));
    List<Value> w = relu.parameters();
    relu.parameters().get(2).setData(0.25);
    linear.parameters().get(2).setData(0.25);
    double pre = 0.25 + w.get(0).data() * 2.0 + w.get(1).data() * -3.0;

    double reluOut = relu.apply(inputs(2.0, -3.0)).data();
    double linearOut = linear.apply(inputs(2.0, -3.0)).data();

    assertEquals(Math.max(0, pre), reluOut, 1e-15);
    assertEquals(pre, linearOut, 1e-15);
    assertEquals("ReLUNeuron(2)", relu.toString());
    assertEquals("LinearNeuron(2)", linear.toString());
  }

  /**
   * A 3-4-4-1 MLP with an MSE plus L2 loss over four samples: every weight's gradient against
   * central differences. The loss is O(1) and, away from ReLU kinks, smooth with small third
   * derivatives, so h = 1e-6 gives errors near 1e-9; rtol 1e-5 and atol 1e-7 are honest. The test
   * first checks that no ReLU input lies within 1e-3 of its kink, where differences would mislead.
   */
  @Test
  void backward_smallMlpWithLoss_matchesFiniteDifferences() {
    MLP model = new MLP(new SplittableRandom(11), 3, 4, 4, 1);
    double[][] xs = {{0.5, -1.0, 2.0}, {-0.3, 0.8, 0.1}, {1.2, 0.4, -0.7}, {-1.5, -0.2, 0.9}};
    double[] ys = {1.0, -1.0, 0.5, 0.0};
    List<Value> predictions = new ArrayList<>();
    for (double[] x : xs) {
      predictions.add(model.apply(inputs(x)).get(0));
    }
    Value loss = Losses.meanSquaredError(predictions, ys).add(Losses.l2(model.parameters(), 1e-3));
    for (Value v : Graph.topologicalOrder(loss)) {
      if (v.op() == Op.RELU) {
        assertTrue(Math.abs(v.child(0).data()) > 1e-3, "ReLU input at its kink: " + v.child(0));
      }
    }

    GradCheck.assertGradients(loss, model.parameters(), GradCheck.STEP, 1e-5, 1e-7);
  }

  /**
   * With ReLU hidden units some initialisations get stuck at loss 0.5 (about 1 seed in 10 for this
   * size); the seed is fixed, so the test is deterministic rather than lucky.
   */
  @Test
  void training_xorWithAdam_separatesAllFourPoints() {
    MLP model = new MLP(new SplittableRandom(2024), 2, 8, 1);
    double[][] xs = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    double[] ys = {-1, 1, 1, -1};
    Optimizer adam = new Adam(0.05);
    Value loss = null;

    for (int step = 0; step < 300; step++) {
      List<Value> predictions = new ArrayList<>();
      for (double[] x : xs) {
        predictions.add(model.apply(inputs(x)).get(0));
      }
      loss = Losses.meanSquaredError(predictions, ys);
      model.zeroGrad();
      loss.backward();
      adam.step(model.parameters());
    }

    assertTrue(loss.data() < 0.05, "final loss " + loss.data());
    for (int i = 0; i < xs.length; i++) {
      double prediction = model.apply(inputs(xs[i])).get(0).data();
      assertEquals(Math.signum(ys[i]), Math.signum(prediction), "prediction " + prediction);
    }
  }

  @Test
  void constructor_nonPositiveInputs_throwsNamingTheSize() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MLP(0, 4));

    assertTrue(e.getMessage().contains("0"), e.getMessage());
  }

  @Test
  void constructor_nonPositiveLayerSize_throwsNamingLayerAndSize() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new MLP(2, 4, -3, 1));

    assertTrue(e.getMessage().contains("layer 1"), e.getMessage());
    assertTrue(e.getMessage().contains("-3"), e.getMessage());
  }

  @Test
  void constructor_noLayers_throwsIllegalArgument() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MLP(2));

    assertTrue(e.getMessage().contains("layer"), e.getMessage());
  }

  @Test
  void constructor_nullRandom_throwsNullPointer() {
    assertThrows(NullPointerException.class, () -> new MLP(null, 2, 1));
  }

  @Test
  void neuronAndLayer_nonPositiveSizes_throwNamingTheSize() {
    IllegalArgumentException neuron =
        assertThrows(
            IllegalArgumentException.class, () -> new Neuron(-2, true, new SplittableRandom(1)));
    IllegalArgumentException layer =
        assertThrows(
            IllegalArgumentException.class, () -> new Layer(3, 0, true, new SplittableRandom(1)));

    assertTrue(neuron.getMessage().contains("-2"), neuron.getMessage());
    assertTrue(layer.getMessage().contains("0"), layer.getMessage());
  }

  @Test
  void apply_wrongNumberOfInputs_throwsNamingExpectedAndActual() {
    MLP model = new MLP(new SplittableRandom(1), 2, 3, 1);
    Neuron neuron = new Neuron(4, false, new SplittableRandom(1));

    IllegalArgumentException mlp =
        assertThrows(IllegalArgumentException.class, () -> model.apply(inputs(1, 2, 3)));
    IllegalArgumentException single =
        assertThrows(IllegalArgumentException.class, () -> neuron.apply(inputs(1)));

    assertTrue(mlp.getMessage().contains("2") && mlp.getMessage().contains("3"), mlp.getMessage());
    assertTrue(
        single.getMessage().contains("4") && single.getMessage().contains("1"),
        single.getMessage());
    assertEquals(2, model.inputCount());
  }

  @Test
  void zeroGrad_afterBackward_clearsEveryParameter() {
    MLP model = new MLP(new SplittableRandom(1), 2, 3, 1);
    model.apply(inputs(1, 2)).get(0).backward();

    model.zeroGrad();

    assertArrayEquals(new double[model.parameters().size()], Values.grads(model.parameters()));
  }

  @Test
  void outputCount_model_isTheLastLayerSize() {
    Model model = new MLP(3, 4, 5, 2);

    List<Value> out = model.apply(inputs(1, 2, 3));

    assertEquals(3, model.inputCount());
    assertEquals(2, model.outputCount());
    assertEquals(2, out.size());
  }
}
