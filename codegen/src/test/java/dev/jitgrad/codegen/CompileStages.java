package dev.jitgrad.codegen;

import dev.jitgrad.engine.Value;
import dev.jitgrad.nn.Init;
import dev.jitgrad.nn.MLP;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prints how long each stage of {@link Compiler} takes on one graph in this JVM, stage by stage as
 * {@code Compiler.compile} runs them: the breakdown behind {@code
 * benchmarks/RESULTS-v2-progress.md} (step 3). Not a benchmark: run it in a fresh JVM for the cold
 * cost, e.g. {@code java -cp ... dev.jitgrad.codegen.CompileStages mlp} ({@code mlp} is 784-64-10
 * with a per-sample softmax cross-entropy, {@code mlp:2-64-64-1} any MLP with the loss of {@code
 * CodeDigests}; {@code chain N} and {@code sum N} are the graphs of {@code MillionNodeChild},
 * {@code random N} the one of {@code CompileCostBenchmark}). Each line gives the bytes its stage
 * allocated; with {@code -Djitgrad.stages.tinyFirst=true} a 2-4-1 MLP is compiled before timing.
 */
final class CompileStages {
  private static long last;

  private CompileStages() {}

  public static void main(String[] args) {
    List<Value> inputs = new ArrayList<>();
    List<Value> params = new ArrayList<>();
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    Value loss = graph(args[0], n, inputs, params);
    JitOptions options = JitOptions.defaults();
    List<Value> outputs = List.of(loss);

    if (Boolean.getBoolean("jitgrad.stages.tinyFirst")) {
      // a 2-4-1 compile first: what is left is the cost of running the compiler's code, without
      // loading its classes and making its call sites the first time
      List<Value> few = List.of(Value.of(0), Value.of(1));
      MLP small = CodeDigests.model(new int[] {2, 4, 1});
      Jit.compile(small.apply(few).get(0), few, small.parameters());
    }
    bytes = allocated();
    last = System.nanoTime();
    long start = last;
    Program traced = Tracer.trace(outputs, inputs, params);
    lap("trace", traced);
    Program differentiable = Compiler.run(Passes.beforeReverse(options), traced);
    lap("passes before reverse", differentiable);
    Passes.Open passes = new Passes.Open(differentiable, options);
    Program forward = passes.program();
    lap("forward passes", forward);
    forward = Lowering.lower(forward);
    lap("forward lowering", forward);
    Program gradient = Reverse.differentiate(differentiable, false, options.exact());
    lap("reverse mode", gradient);
    gradient = passes.extend(gradient);
    lap("gradient passes, from the forward's", gradient);
    gradient = Lowering.lower(gradient);
    lap("gradient lowering", gradient);
    List<Rolling.Loop> gradientLoops = backEnd("gradient", gradient);
    System.out.printf(
        Locale.ROOT, "%-40s %8.1f ms%n", "Jit.compile", (System.nanoTime() - start) / 1e6);
    lanes("gradient", gradient, gradientLoops);
    backEnd("first forward call: forward", forward);
    lanes("forward", forward, null);
    System.out.printf(
        Locale.ROOT, "%-40s %8.1f ms%n", "with both lanes", (System.nanoTime() - start) / 1e6);
  }

  /** Bytes this thread had allocated at the last lap. */
  private static long bytes;

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  private static void lap(String stage, Program p) {
    long now = System.nanoTime();
    long b = allocated();
    System.out.printf(
        Locale.ROOT,
        "%-40s %8.1f ms  %,11d instructions  %,12d bytes allocated%n",
        stage,
        (now - last) / 1e6,
        p.size,
        b - bytes);
    bytes = allocated();
    last = System.nanoTime();
  }

  /** Runs stages 6 to 10 on {@code p}; returns its loops. */
  private static List<Rolling.Loop> backEnd(String name, Program p) {
    Layout layout = new Layout(p);
    lap(name + " layout", p);
    Tape tape = Tape.of(p, layout);
    lap(name + " statements", p);
    List<Rolling.Loop> loops = Rolling.find(tape, Rolling.MIN_PROGRAM_BYTES);
    lap(name + " loops", p);
    Emitter.Code code = Emitter.emit(p, layout, tape, Rolling.MIN_PROGRAM_BYTES);
    lap(name + " emit", p);
    Emitter.load(code);
    lap(name + " load", p);
    return loops;
  }

  /** Builds the lane kernel of {@code p} as its first batch call does ({@link LazyLanes}). */
  private static void lanes(String name, Program p, List<Rolling.Loop> loops) {
    if (Compiler.wantsLanes(Compiler.size(p), Compiler.DEFAULT_LANE_MIN_INSTRUCTIONS)) {
      LazyLanes.of(p, loops).get();
      lap("first batch: " + name + " lanes", p);
    }
  }

  /** The random graph of {@code CompileCostBenchmark} ({@code Workloads.randomGraph}). */
  private static Value random(int nodes, List<Value> inputs, List<Value> params) {
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < 2; i++) {
      inputs.add(Value.of(random.nextDouble(-1, 1)));
    }
    for (int i = 0; i < 8; i++) {
      params.add(Value.of(random.nextDouble(-1, 1)));
    }
    List<Value> all = new ArrayList<>(inputs);
    all.addAll(params);
    Value prev = inputs.get(0).mul(inputs.get(1));
    all.add(prev);
    for (int i = all.size(); i < nodes; i++) {
      switch (i % 3) {
        case 0 -> prev = prev.mul(params.get(random.nextInt(params.size())));
        case 1 -> prev = prev.add(all.get(random.nextInt(all.size())));
        default -> prev = prev.tanh();
      }
      all.add(prev);
    }
    return prev;
  }

  private static Value graph(String name, int n, List<Value> inputs, List<Value> params) {
    if (name.startsWith("mlp:")) {
      int[] sizes =
          Arrays.stream(name.substring(4).split("-")).mapToInt(Integer::parseInt).toArray();
      MLP model = CodeDigests.model(sizes);
      int labels = sizes[sizes.length - 1] == 1 ? 0 : sizes[sizes.length - 1];
      for (int i = 0; i < sizes[0] + labels; i++) {
        inputs.add(Value.of(0));
      }
      params.addAll(model.parameters());
      List<Value> x = inputs.subList(0, sizes[0]);
      return CodeDigests.loss(model.apply(x), inputs.subList(sizes[0], inputs.size()));
    }
    switch (name) {
      case "mlp":
        MLP model = new MLP(new SplittableRandom(MLP.DEFAULT_SEED), Init.HE, 784, 64, 10);
        for (int i = 0; i < 794; i++) {
          inputs.add(Value.of(0));
        }
        List<Value> logits = model.apply(inputs.subList(0, 784));
        List<Value> exps = new ArrayList<>();
        for (Value z : logits) {
          exps.add(z.exp());
        }
        params.addAll(model.parameters());
        return Value.sum(exps).log().sub(Value.dot(inputs.subList(784, 794), logits));
      case "chain":
        return MillionNodeChild.chain(n, params);
      case "sum":
        return MillionNodeChild.sum(n, params);
      case "random":
        return random(n, inputs, params);
      default:
        throw new IllegalArgumentException(
            "graph must be mlp, mlp:SIZES, chain, sum or random, got " + name);
    }
  }
}
