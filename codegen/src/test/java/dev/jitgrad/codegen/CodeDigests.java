package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Init;
import dev.jitgrad.nn.MLP;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Prints a SHA-256 of the classes generated for softmax cross-entropy MLPs, per-row ({@code
 * classBytes()}) and lane code ({@link LaneEmitter} on the forward and gradient programs), in
 * default and exact mode: run it before and after a change to the compiler to show the generated
 * code is the same to the byte, e.g. {@code java -cp ... dev.jitgrad.codegen.CodeDigests 2-16-10
 * 64-32-10 784-64-10}. A width list ending in 1 takes the square of the one output as its loss. Not
 * a test: the digests are what a change must not move, not numbers to assert.
 */
final class CodeDigests {
  private CodeDigests() {}

  public static void main(String[] args) throws NoSuchAlgorithmException {
    for (String shape : args) {
      int[] sizes = Arrays.stream(shape.split("-")).mapToInt(Integer::parseInt).toArray();
      int classes = sizes[sizes.length - 1];
      MLP model = model(sizes);
      List<Value> inputs = new ArrayList<>();
      for (int i = 0; i < sizes[0] + classes; i++) {
        inputs.add(Value.of(0));
      }
      Value loss =
          loss(model.apply(inputs.subList(0, sizes[0])), inputs.subList(sizes[0], inputs.size()));
      for (boolean exact : new boolean[] {false, true}) {
        System.out.println(
            shape
                + (exact ? " exact" : "")
                + ": "
                + digests(loss, inputs, model.parameters(), exact));
      }
    }
  }

  /**
   * Returns the MLP of widths {@code sizes} (inputs first), He-initialised from the default seed.
   */
  static MLP model(int[] sizes) {
    return new MLP(
        new SplittableRandom(MLP.DEFAULT_SEED),
        Init.HE,
        sizes[0],
        Arrays.copyOfRange(sizes, 1, sizes.length));
  }

  /**
   * Returns the loss of {@code logits}: the square of a single one, else the softmax cross-entropy
   * {@code log Σ exp(z) − Σ label·z} against the one-hot {@code labels}.
   */
  static Value loss(List<Value> logits, List<Value> labels) {
    if (logits.size() == 1) {
      return logits.get(0).mul(logits.get(0));
    }
    List<Value> exps = new ArrayList<>();
    for (Value z : logits) {
      exps.add(z.exp());
    }
    return Value.sum(exps).log().sub(Value.dot(labels, logits));
  }

  private static String digests(Value loss, List<Value> inputs, List<Value> params, boolean exact)
      throws NoSuchAlgorithmException {
    JitOptions options = JitOptions.defaults().withExact(exact);
    MessageDigest rows = MessageDigest.getInstance("SHA-256");
    for (byte[] c : Jit.compile(List.of(loss), inputs, params, options).classBytes()) {
      rows.update(c);
    }
    Program differentiable =
        Compiler.run(Passes.beforeReverse(options), Tracer.trace(List.of(loss), inputs, params));
    MessageDigest lanes = MessageDigest.getInstance("SHA-256");
    long laneBytes = 0;
    for (Program p :
        List.of(
            Compiler.forwardProgram(differentiable, options),
            Compiler.gradientProgram(differentiable, false, options))) {
      LaneEmitter.Code code = LaneEmitter.emit(p, new Layout(p));
      for (byte[] c : code == null ? List.<byte[]>of() : code.classes()) {
        lanes.update(c);
        laneBytes += c.length;
      }
    }
    return "per-row "
        + HexFormat.of().formatHex(rows.digest()).substring(0, 16)
        + ", lanes "
        + laneBytes
        + " bytes "
        + HexFormat.of().formatHex(lanes.digest()).substring(0, 16);
  }
}
