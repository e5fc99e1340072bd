package dev.jitgrad.benchmarks;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.JitOptions.Backend;
import dev.jitgrad.codegen.Training;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import dev.jitgrad.nn.Init;
import dev.jitgrad.nn.MLP;
import java.util.List;

/**
 * The state the MLP benchmarks share, built by {@link #setUpContenders} from each one's
 * {@code @Setup}: the model, its per-sample loss (labels as inputs) compiled for the IR interpreter
 * and for bytecode, the hand-written twin, and one gradient array per contender, so the unit tests
 * can compare them.
 */
abstract class MlpContenders {
  MLP model;
  List<Value> params;
  double[] weights;
  CompiledGraph interpreted;
  CompiledGraph compiled;
  HandMlp hand;
  double[] objectGrad;
  double[] interpretedGrad;
  double[] compiledGrad;
  double[] handGrad;

  /**
   * Builds the model of layer widths {@code sizes} (inputs first) and compiles {@code loss} with
   * {@code labelCount} label inputs.
   */
  final void setUpContenders(int[] sizes, int labelCount, Training.SampleLoss loss) {
    setUpContenders(sizes, Init.UNIFORM, labelCount, loss);
  }

  /**
   * Sets up the softmax cross-entropy workload of {@code shape} (He-initialised, one-hot labels as
   * inputs) and returns {@code samples} rows of features then one-hot labels for it.
   */
  final double[] setUpCrossEntropy(String shape, int samples) {
    int[] sizes = Workloads.shape(shape);
    int classes = sizes[sizes.length - 1];
    setUpContenders(sizes, Init.HE, classes, Workloads::softmaxCrossEntropy);
    return Workloads.oneHotRows(sizes[0], classes, samples);
  }

  /** Builds the model with weights drawn as {@code init}, then everything else as above. */
  final void setUpContenders(int[] sizes, Init init, int labelCount, Training.SampleLoss loss) {
    model = Workloads.mlp(sizes, init);
    params = model.parameters();
    weights = Values.data(params);
    Workloads.Graph graph = Workloads.sampleGraph(model, labelCount, loss);
    interpreted = Workloads.compile(graph.loss, graph.inputs, params, Backend.IR_INTERPRETER);
    compiled = Workloads.compile(graph.loss, graph.inputs, params, Backend.BYTECODE);
    hand = new HandMlp(sizes);
    objectGrad = new double[params.size()];
    interpretedGrad = new double[params.size()];
    compiledGrad = new double[params.size()];
    handGrad = new double[params.size()];
  }
}
