package dev.jitgrad.benchmarks;

/**
 * The hand-written contender: an MLP's forward and backward as plain loops over flat {@code
 * double[]} arrays, with every buffer allocated once.
 *
 * <p>Parameters sit in one array in the engine's order (layer by layer, neuron by neuron, weights
 * then bias), so the same array feeds this class and a {@code CompiledGraph}. Hidden layers use
 * ReLU, the last is linear, and each pre-activation sums the bias first and then the products in
 * order, like {@code Neuron.apply}. Not thread-safe.
 *
 * <p><b>Frozen for Codegen v2 (issue 12).</b> The targets of that work are ratios of the compiled
 * code to these loops, recorded before it started (benchmarks/RESULTS-v2-baseline.md). Do not
 * change or tune this class while that work is open, or the ratios stop meaning anything.
 */
final class HandMlp {
  private final int[] sizes;
  private final int[] offsets;
  private final int paramCount;
  private final double[][] acts;
  private final double[][] deltas;

  /** Creates buffers for an MLP of layer widths {@code sizes}, inputs first. */
  HandMlp(int[] sizes) {
    this.sizes = sizes.clone();
    this.offsets = new int[sizes.length - 1];
    int p = 0;
    for (int l = 0; l + 1 < sizes.length; l++) {
      offsets[l] = p;
      p += sizes[l + 1] * (sizes[l] + 1);
    }
    this.paramCount = p;
    this.acts = new double[sizes.length][];
    this.deltas = new double[sizes.length][];
    for (int l = 0; l < sizes.length; l++) {
      acts[l] = new double[sizes[l]];
      deltas[l] = new double[sizes[l]];
    }
  }

  /** Returns how many parameters the MLP has. */
  int paramCount() {
    return paramCount;
  }

  /** Returns the output buffer, valid until the next {@link #forward}. */
  double[] outputs() {
    return acts[sizes.length - 1];
  }

  /** Returns the gradient buffer of the outputs, which {@link #backward} reads. */
  double[] outputGrad() {
    return deltas[sizes.length - 1];
  }

  /** Runs the MLP on {@code x[xOffset ..]} and returns its first output. */
  double forward(double[] w, double[] x, int xOffset) {
    System.arraycopy(x, xOffset, acts[0], 0, sizes[0]);
    int last = sizes.length - 2;
    for (int l = 0; l <= last; l++) {
      double[] in = acts[l];
      double[] out = acts[l + 1];
      int fanIn = sizes[l];
      int p = offsets[l];
      for (int j = 0; j < out.length; j++, p += fanIn + 1) {
        double s = w[p + fanIn];
        for (int i = 0; i < fanIn; i++) {
          s += w[p + i] * in[i];
        }
        out[j] = l < last && s < 0 ? 0.0 : s;
      }
    }
    return acts[sizes.length - 1][0];
  }

  /**
   * Adds the parameter gradient into {@code grad}, given the output gradient in {@link
   * #outputGrad()} and the activations of the last {@link #forward}.
   */
  void backward(double[] w, double[] grad) {
    int last = sizes.length - 2;
    for (int l = last; l >= 0; l--) {
      double[] in = acts[l];
      double[] out = acts[l + 1];
      double[] dOut = deltas[l + 1];
      double[] dIn = deltas[l];
      int fanIn = sizes[l];
      if (l > 0) {
        java.util.Arrays.fill(dIn, 0.0);
      }
      int p = offsets[l];
      for (int j = 0; j < out.length; j++, p += fanIn + 1) {
        double d = l < last && !(out[j] > 0) ? 0.0 : dOut[j];
        if (d == 0.0) {
          continue;
        }
        grad[p + fanIn] += d;
        for (int i = 0; i < fanIn; i++) {
          grad[p + i] += d * in[i];
          dIn[i] += d * w[p + i];
        }
      }
    }
  }

  /**
   * Returns micrograd's max-margin loss {@code relu(1 - y·score)} of the sample {@code x0, x1, y}
   * at {@code rows[offset ..]}, scaled by {@code scale}, and adds its gradient into {@code grad}.
   */
  double svmLossAndGrad(double[] w, double[] rows, int offset, double scale, double[] grad) {
    double score = forward(w, rows, offset);
    double y = rows[offset + sizes[0]];
    double margin = score * -y + 1.0;
    if (!(margin > 0)) {
      return 0.0;
    }
    outputGrad()[0] = -y * scale;
    backward(w, grad);
    return margin * scale;
  }

  /**
   * Returns the mean max-margin loss over {@code samples} rows {@code x0, x1, y} and adds its
   * gradient into {@code grad}: the data part of micrograd's moons step.
   */
  double svmBatchLossAndGrad(double[] w, double[] rows, int samples, double[] grad) {
    double scale = 1.0 / samples;
    int stride = sizes[0] + 1;
    double loss = 0;
    for (int s = 0; s < samples; s++) {
      loss += svmLossAndGrad(w, rows, s * stride, scale, grad);
    }
    return loss;
  }

  /**
   * Returns the summed per-sample MSE {@code Σ_k (out_k - t_k)² / K} over {@code samples} rows of
   * inputs then targets, and adds its gradient into {@code grad}.
   */
  double mseBatchLossAndGrad(double[] w, double[] rows, int samples, double[] grad) {
    int inputs = sizes[0];
    int outputs = sizes[sizes.length - 1];
    int stride = inputs + outputs;
    double[] out = outputs();
    double[] dOut = outputGrad();
    double loss = 0;
    for (int s = 0; s < samples; s++) {
      int row = s * stride;
      forward(w, rows, row);
      double squares = 0;
      for (int k = 0; k < outputs; k++) {
        double e = out[k] - rows[row + inputs + k];
        squares += e * e;
        dOut[k] = 2 * e / outputs;
      }
      loss += squares / outputs;
      backward(w, grad);
    }
    return loss;
  }

  /**
   * Returns the softmax cross-entropy {@code log Σ_k exp(z_k) − Σ_k y_k·z_k} of the sample at
   * {@code rows[offset ..]} (features, then the one-hot label {@code y}) and adds its gradient into
   * {@code grad}. Sums run over {@code k} in order as in {@code Workloads.softmaxCrossEntropy}; the
   * logits' gradient is {@code exp(z_k) / Σ exp − y_k}.
   */
  double crossEntropyLossAndGrad(double[] w, double[] rows, int offset, double[] grad) {
    forward(w, rows, offset);
    double[] z = outputs();
    double[] dz = outputGrad();
    int labels = offset + sizes[0];
    double sumExp = 0;
    double dot = 0;
    for (int k = 0; k < z.length; k++) {
      dz[k] = Math.exp(z[k]);
      sumExp += dz[k];
      dot += rows[labels + k] * z[k];
    }
    for (int k = 0; k < z.length; k++) {
      dz[k] = dz[k] / sumExp - rows[labels + k];
    }
    backward(w, grad);
    return Math.log(sumExp) - dot;
  }

  /**
   * Returns the summed softmax cross-entropy over {@code samples} rows of features then one-hot
   * labels, and adds its gradient into {@code grad}, one sample at a time.
   */
  double crossEntropyBatchLossAndGrad(double[] w, double[] rows, int samples, double[] grad) {
    int stride = sizes[0] + sizes[sizes.length - 1];
    double loss = 0;
    for (int s = 0; s < samples; s++) {
      loss += crossEntropyLossAndGrad(w, rows, s * stride, grad);
    }
    return loss;
  }
}
