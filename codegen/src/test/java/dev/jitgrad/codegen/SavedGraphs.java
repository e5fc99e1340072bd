package dev.jitgrad.codegen;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/** Test helpers for saved graphs: bytes, loading, every result a graph computes, resealing. */
final class SavedGraphs {
  private SavedGraphs() {}

  static byte[] bytes(CompiledGraph g) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    g.writeTo(out);
    return out.toByteArray();
  }

  static CompiledGraph load(byte[] bytes, JitOptions options) throws IOException {
    return CompiledGraph.readFrom(new ByteArrayInputStream(bytes), options);
  }

  /**
   * Every number {@code g} computes at a point drawn from {@code seed}: all outputs, output 0 from
   * {@code forward}, both {@code valueAndGrad} forms (gradients added into nonzero arrays) and a
   * batch of 37 rows.
   */
  static double[] results(CompiledGraph g, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] x = random.doubles(g.inputCount(), -3, 3).toArray();
    double[] p = random.doubles(g.paramCount(), -3, 3).toArray();
    int rows = 37;
    double[] data = random.doubles((long) rows * g.inputCount(), -3, 3).toArray();
    double[] outputs = new double[g.outputCount()];
    g.forward(x, p, outputs);
    double y = g.forward(x, p);
    double[] pg = Oracle.startGrad(p.length);
    double y2 = g.valueAndGrad(x, p, pg);
    double[] all = Oracle.compiled(g, x, p);
    double[] batchGrad = Oracle.startGrad(p.length);
    double sum = g.valueAndGradBatch(data, rows, p, batchGrad);
    double[][] parts = {outputs, {y, y2}, pg, all, {sum}, batchGrad};
    int n = 0;
    for (double[] part : parts) {
      n += part.length;
    }
    double[] result = new double[n];
    int at = 0;
    for (double[] part : parts) {
      System.arraycopy(part, 0, result, at, part.length);
      at += part.length;
    }
    return result;
  }

  /** Sets the length and checksum of a (modified) file, so only the validator can refuse it. */
  static byte[] reseal(byte[] file) {
    ByteBuffer b = ByteBuffer.wrap(file);
    b.putInt(12, file.length - 16 - 4);
    CRC32C crc = new CRC32C();
    crc.update(file, 0, file.length - 4);
    b.putInt(file.length - 4, (int) crc.getValue());
    return file;
  }
}
