package dev.jitgrad.benchmarks;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Jit;
import dev.jitgrad.codegen.JitOptions;
import dev.jitgrad.codegen.Training;
import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Dataset;
import dev.jitgrad.nn.Init;
import dev.jitgrad.nn.Losses;
import dev.jitgrad.nn.MLP;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The graphs, data and helpers the benchmarks share, so every contender sees the same work. */
final class Workloads {
  /** The seed of every generated data set. */
  static final long SEED = 42;

  /** micrograd's moons demo regularisation strength. */
  static final double L2_ALPHA = 1e-4;

  private Workloads() {}

  /** Compiles {@code loss} with the given backend. */
  static CompiledGraph compile(
      Value loss, List<Value> inputs, List<Value> params, JitOptions.Backend backend) {
    return Jit.compile(List.of(loss), inputs, params, JitOptions.defaults().withBackend(backend));
  }

  /** Returns {@code count} fresh leaves holding 0, to be listed as compile-time inputs. */
  static List<Value> leaves(int count) {
    List<Value> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(Value.of(0.0));
    }
    return out;
  }

  /** Returns fresh leaves holding {@code data[offset .. offset + count)}. */
  static List<Value> leaves(double[] data, int offset, int count) {
    List<Value> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(Value.of(data[offset + i]));
    }
    return out;
  }

  /** Copies the gradients of {@code values} into {@code target}, which must be as long. */
  static void copyGrads(List<Value> values, double[] target) {
    for (int i = 0; i < target.length; i++) {
      target[i] = values.get(i).grad();
    }
  }

  /**
   * Returns one sample's loss as {@link Training} compiles it: {@code loss} of the model's outputs
   * at fresh input leaves and of {@code labelCount} label leaves, the inputs listed features first.
   */
  static Graph sampleGraph(MLP model, int labelCount, Training.SampleLoss loss) {
    List<Value> inputs = leaves(model.inputCount() + labelCount);
    List<Value> features = inputs.subList(0, model.inputCount());
    List<Value> labels = inputs.subList(model.inputCount(), inputs.size());
    return new Graph(loss.apply(model.apply(features), labels), inputs, model.parameters());
  }

  /**
   * Returns the library's two moons ({@link Dataset#moons}, the demo's data) of {@code samples}
   * points with noise 0.1 from {@link #SEED}, as rows {@code x0, x1, y} with {@code y = ±1}.
   */
  static double[] moons(int samples) {
    Dataset moons = Dataset.moons(samples, 0.1, SEED);
    double[] rows = new double[samples * 3];
    for (int s = 0; s < samples; s++) {
      rows[s * 3] = moons.features()[s][0];
      rows[s * 3 + 1] = moons.features()[s][1];
      rows[s * 3 + 2] = moons.labels()[s][0];
    }
    return rows;
  }

  /**
   * Returns {@code samples} rows of {@code features} numbers uniform in [-1, 1] followed by a
   * one-hot label of {@code classes} classes, the class drawn uniformly, all from {@link #SEED}.
   */
  static double[] oneHotRows(int features, int classes, int samples) {
    SplittableRandom random = new SplittableRandom(SEED);
    int stride = features + classes;
    double[] rows = new double[samples * stride];
    for (int s = 0; s < samples; s++) {
      for (int i = 0; i < features; i++) {
        rows[s * stride + i] = random.nextDouble(-1.0, 1.0);
      }
      rows[s * stride + features + random.nextInt(classes)] = 1.0;
    }
    return rows;
  }

  /**
   * Returns the softmax cross-entropy of {@code logits} against the one-hot {@code labels}, {@code
   * log Σ_k exp(z_k) − Σ_k y_k·z_k}, from existing ops: one exp per logit, one sum node, a log and
   * a dot with the labels.
   *
   * <p>No maximum is subtracted before the exponentials (the engine has no max op yet), so a logit
   * above about 709 overflows to infinity; the workloads' He-initialised models on inputs in [-1,
   * 1] keep the logits near 1.
   */
  static Value softmaxCrossEntropy(List<Value> logits, List<Value> labels) {
    List<Value> exps = new ArrayList<>(logits.size());
    for (Value z : logits) {
      exps.add(z.exp());
    }
    return Value.sum(exps).log().sub(Value.dot(labels, logits));
  }

  /** Returns {@code count} numbers uniform in [-1, 1]. */
  static double[] uniform(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] out = new double[count];
    for (int i = 0; i < count; i++) {
      out[i] = random.nextDouble(-1.0, 1.0);
    }
    return out;
  }

  /**
   * Returns the expression of micrograd's README at leaves {@code a} and {@code b} (there -4 and 2,
   * giving g = 24.7041, dg/da = 138.8338, dg/db = 645.5773), written op for op.
   */
  static Value microgradExpression(Value a, Value b) {
    Value c = a.add(b);
    Value d = a.mul(b).add(b.pow(3));
    c = c.add(c.add(1));
    c = c.add(c.add(1).add(a.neg()));
    d = d.add(d.mul(2).add(b.add(a).relu()));
    d = d.add(d.mul(3).add(b.sub(a).relu()));
    Value e = c.sub(d);
    Value f = e.pow(2);
    Value g = f.div(2.0);
    return g.add(Value.of(10.0).div(f));
  }

  /**
   * Returns micrograd's moons loss over the first {@code samples} rows {@code x0, x1, y}: the mean
   * max-margin loss plus {@code 1e-4·Σp²}, built as one object graph the way micrograd builds it.
   */
  static Value moonsLoss(MLP model, double[] rows, int samples) {
    List<Value> losses = new ArrayList<>(samples);
    for (int s = 0; s < samples; s++) {
      Value score = model.apply(leaves(rows, s * 3, 2)).get(0);
      losses.add(Losses.svmMaxMargin(score, rows[s * 3 + 2]));
    }
    return Losses.mean(losses).add(Losses.l2(model.parameters(), L2_ALPHA));
  }

  /**
   * Returns the summed per-sample MSE over the first {@code samples} rows of inputs then targets,
   * built as one object graph.
   */
  static Value mseLoss(MLP model, int outputs, double[] rows, int samples) {
    int inputs = model.inputCount();
    int stride = inputs + outputs;
    List<Value> losses = new ArrayList<>(samples);
    for (int s = 0; s < samples; s++) {
      List<Value> out = model.apply(leaves(rows, s * stride, inputs));
      losses.add(Losses.meanSquaredError(out, leaves(rows, s * stride + inputs, outputs)));
    }
    return Value.sum(losses);
  }

  /**
   * Calls {@code graph.valueAndGrad} {@code calls} times and returns the last value: the first
   * calls after compiling, before HotSpot has compiled the generated code.
   */
  static double callRepeatedly(
      CompiledGraph graph, double[] inputs, double[] params, double[] grad, int calls) {
    double value = 0;
    for (int i = 0; i < calls; i++) {
      value = graph.valueAndGrad(inputs, params, grad);
    }
    return value;
  }

  /**
   * Returns the first row {@code x0, x1, y} of {@code rows} whose max-margin loss is positive, so
   * its gradient is not all zeros.
   */
  static double[] activeSample(MLP model, double[] rows) {
    for (int s = 0; s < rows.length / 3; s++) {
      double[] sample = java.util.Arrays.copyOfRange(rows, s * 3, s * 3 + 3);
      Value score = model.apply(leaves(sample, 0, 2)).get(0);
      if (Losses.svmMaxMargin(score, sample[2]).data() > 0) {
        return sample;
      }
    }
    throw new IllegalStateException("no sample with a positive loss");
  }

  /** Returns a new MLP of the engine with the default seed and micrograd's weights in [-1, 1]. */
  static MLP mlp(int[] sizes) {
    return mlp(sizes, Init.UNIFORM);
  }

  /** Returns a new MLP of the engine with the default seed, its weights drawn as {@code init}. */
  static MLP mlp(int[] sizes, Init init) {
    int[] layers = new int[sizes.length - 1];
    System.arraycopy(sizes, 1, layers, 0, layers.length);
    return new MLP(new SplittableRandom(MLP.DEFAULT_SEED), init, sizes[0], layers);
  }

  /** Parses {@code "2-16-16-1"} into {@code {2, 16, 16, 1}}. */
  static int[] shape(String text) {
    String[] parts = text.split("-");
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Integer.parseInt(parts[i]);
    }
    return out;
  }

  /**
   * Adds micrograd's L2 penalty {@code alpha·Σp²} to {@code loss} and its gradient {@code
   * 2·alpha·p} into {@code grad}: the regularisation of the moons step, done on the array side.
   */
  static double addL2(double loss, double[] params, double[] grad, double alpha) {
    double squares = 0;
    for (int i = 0; i < params.length; i++) {
      squares += params[i] * params[i];
      grad[i] += 2 * alpha * params[i];
    }
    return loss + alpha * squares;
  }

  /**
   * Returns a random DAG of exactly {@code nodes} values (2 inputs and 8 params among them) whose
   * inner nodes cycle through multiply-by-param, add-an-earlier-node and tanh, so values stay
   * bounded and fan-out is realistic. The last node is the loss; every node reaches it.
   */
  static Graph randomGraph(int nodes) {
    if (nodes < 11) {
      throw new IllegalArgumentException("a random graph needs at least 11 nodes, got " + nodes);
    }
    SplittableRandom random = new SplittableRandom(SEED);
    List<Value> inputs = leaves(uniform(2, SEED), 0, 2);
    List<Value> params = leaves(uniform(8, SEED + 1), 0, 8);
    List<Value> all = new ArrayList<>(nodes);
    all.addAll(inputs);
    all.addAll(params);
    Value prev = inputs.get(0).mul(inputs.get(1));
    all.add(prev);
    for (int i = all.size(); i < nodes; i++) {
      switch (i % 3) {
        case 0:
          prev = prev.mul(params.get(random.nextInt(params.size())));
          break;
        case 1:
          prev = prev.add(all.get(random.nextInt(all.size())));
          break;
        default:
          prev = prev.tanh();
          break;
      }
      all.add(prev);
    }
    return new Graph(prev, inputs, params);
  }

  /** A loss with the leaves a compiler takes as inputs and params. */
  static final class Graph {
    final Value loss;
    final List<Value> inputs;
    final List<Value> params;

    Graph(Value loss, List<Value> inputs, List<Value> params) {
      this.loss = loss;
      this.inputs = inputs;
      this.params = params;
    }

    /** Returns the current data of the inputs. */
    double[] inputData() {
      return dev.jitgrad.engine.Values.data(inputs);
    }

    /** Returns the current data of the params. */
    double[] paramData() {
      return dev.jitgrad.engine.Values.data(params);
    }
  }
}
