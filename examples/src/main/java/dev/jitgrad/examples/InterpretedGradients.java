package dev.jitgrad.examples;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Training;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Computes a batch's loss and gradient as micrograd does, from a fresh {@code Value} graph of the
 * batch and {@code backward()}: plugged into {@link Training}'s gradient seam, it trains on the
 * same batches with the same optimiser as the compiled code, so the two runs can be compared.
 */
final class InterpretedGradients implements Training.GradientSource {
  private final Model model;
  private final Training.SampleLoss loss;

  InterpretedGradients(Model model, Training.SampleLoss loss) {
    this.model = model;
    this.loss = loss;
  }

  @Override
  public double valueAndGrad(
      CompiledGraph graph, double[] inputRows, int rows, double[] params, double[] paramGrad) {
    List<Value> parameters = model.parameters();
    Values.setData(parameters, params);
    int width = graph.inputCount();
    int inputs = model.inputCount();
    List<Value> losses = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      List<Value> x = constants(inputRows, r * width, inputs);
      List<Value> y = constants(inputRows, r * width + inputs, width - inputs);
      losses.add(loss.apply(model.apply(x), y));
    }
    Value sum = Value.sum(losses);

    model.zeroGrad();
    sum.backward();
    for (int i = 0; i < paramGrad.length; i++) {
      paramGrad[i] += parameters.get(i).grad();
    }
    return sum.data();
  }

  private static List<Value> constants(double[] values, int from, int count) {
    List<Value> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(Value.of(values[from + i]));
    }
    return out;
  }
}
