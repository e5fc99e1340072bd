package dev.jitgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class OptimizerStateTest {
  /** A deterministic gradient of the params: a bumpy bowl, so every step differs. */
  private static double[] gradient(double[] p) {
    double[] g = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      g[i] = Math.sin(p[i] * (i + 1)) + 0.1 * p[i] * p[i] * p[i];
    }
    return g;
  }

  private static void train(Optimizer optimizer, double[] params, int steps) {
    for (int s = 0; s < steps; s++) {
      optimizer.step(params, gradient(params));
    }
  }

  /** Params then optimiser state, as a checkpoint would hold them. */
  private static byte[] save(double[] params, Optimizer optimizer) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(params.length);
    for (double p : params) {
      out.writeDouble(p);
    }
    optimizer.writeState(out);
    return bytes.toByteArray();
  }

  private static double[] restore(byte[] saved, Optimizer optimizer) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(saved));
    double[] params = new double[in.readInt()];
    for (int i = 0; i < params.length; i++) {
      params[i] = in.readDouble();
    }
    optimizer.readState(in);
    return params;
  }

  private static void assertResumesBitIdentically(Supplier<Optimizer> make) throws IOException {
    double[] start = {0.5, -1.25, 2.0, 0.0, -0.75};
    double[] straight = start.clone();
    train(make.get(), straight, 30);
    Optimizer first = make.get();
    double[] before = start.clone();
    train(first, before, 12);

    byte[] saved = save(before, first);
    Optimizer resumed = make.get();
    double[] after = restore(saved, resumed);
    train(resumed, after, 18);

    assertArrayEquals(straight, after, 0.0);
    assertTrue(!Arrays.equals(start, after), "training moved the params");
  }

  @Test
  void readState_sgdWithMomentumDecayAndClipping_resumesBitIdentically() throws IOException {
    assertResumesBitIdentically(() -> new Sgd(0.1, 0.9).weightDecay(1e-3).clipGradNorm(1.5));
  }

  @Test
  void readState_adamW_resumesBitIdentically() throws IOException {
    assertResumesBitIdentically(() -> new Adam(0.05).decoupledWeightDecay(0.01).weightDecay(1e-4));
  }

  @Test
  void readState_scheduledAdam_resumesStepCountAndRateBitIdentically() throws IOException {
    assertResumesBitIdentically(() -> new Adam(0.05).withCosineDecay(0.001, 25));
  }

  @Test
  void readState_scheduledSgd_resumesBitIdentically() throws IOException {
    assertResumesBitIdentically(() -> new Sgd(0.2).withLinearDecay(0.02, 20));
  }

  @Test
  void readState_otherSettings_throwsIOExceptionAndKeepsTheState() throws IOException {
    Sgd saved = new Sgd(0.1, 0.9);
    train(saved, new double[] {1, 2}, 3);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    saved.writeState(new DataOutputStream(bytes));
    Sgd other = new Sgd(0.1, 0.5);
    double[] p = {1, 2};
    train(other, p, 1);

    IOException e =
        assertThrows(
            IOException.class,
            () ->
                other.readState(
                    new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));

    assertTrue(e.getMessage().contains("saved with settings [0.9, 0.0, Infinity]"), e.getMessage());
    double[] twin = {1, 2};
    train(new Sgd(0.1, 0.5), twin, 2);
    train(other, p, 1);
    assertArrayEquals(twin, p, 0.0); // the momentum buffer survived the refused read
  }

  @Test
  void readState_stateOfAnotherOptimiser_throwsIOExceptionNamingBoth() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new Sgd(0.1).writeState(new DataOutputStream(bytes));

    IOException e =
        assertThrows(
            IOException.class,
            () ->
                new Adam(0.1)
                    .readState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));

    assertTrue(e.getMessage().equals("the state was saved by Sgd, not by Adam"), e.getMessage());
  }

  @Test
  void readState_hugeForgedArrayLength_throwsEofExceptionWithoutAllocatingIt() throws IOException {
    Adam adam = new Adam(0.1);
    train(adam, new double[] {1, 2, 3}, 2);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    adam.writeState(new DataOutputStream(bytes));
    byte[] forged = bytes.toByteArray();
    // Header: UTF "Adam" (6), version (4), 6 settings (4 + 48); then rate (8), t (4), m's length.
    ByteBuffer.wrap(forged).putInt(6 + 4 + 4 + 48 + 8 + 4, Integer.MAX_VALUE);

    assertThrows(
        EOFException.class,
        () -> new Adam(0.1).readState(new DataInputStream(new ByteArrayInputStream(forged))));
  }

  @Test
  void readState_adamStepCountWithoutMoments_throwsIOException() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new Adam(0.1).writeState(new DataOutputStream(bytes));
    byte[] forged = bytes.toByteArray();
    ByteBuffer.wrap(forged).putInt(6 + 4 + 4 + 48 + 8, 5); // t = 5, but no moments

    IOException e =
        assertThrows(
            IOException.class,
            () -> new Adam(0.1).readState(new DataInputStream(new ByteArrayInputStream(forged))));

    assertTrue(
        e.getMessage().contains("step count 5 with moments of lengths none"), e.getMessage());
  }

  @Test
  void writeState_optimiserWithoutState_throwsUnsupportedOperationException() {
    Optimizer custom = (params, grads) -> {};

    assertThrows(
        UnsupportedOperationException.class,
        () -> custom.writeState(new DataOutputStream(new ByteArrayOutputStream())));
  }
}
