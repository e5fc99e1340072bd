package dev.jitgrad.examples;

import dev.jitgrad.codegen.CompiledGraph;
import dev.jitgrad.codegen.Jit;
import dev.jitgrad.engine.Value;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Evaluates the expression of micrograd's README with both engines. */
@Command(
    name = "expr",
    mixinStandardHelpOptions = true,
    description =
        "Evaluates micrograd's README expression g(a=-4, b=2) and its gradient with both engines"
            + " (micrograd prints g=24.7041, dg/da=138.8338, dg/db=645.5773).")
final class ExprCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** The value of {@code g} and its gradient. */
  record Result(double g, double dgda, double dgdb) {}

  /** The leaves {@code a}, {@code b} and the output {@code g} of the README expression. */
  private record Expression(Value a, Value b, Value g) {}

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%-12s %10s %10s %10s%n", "engine", "g", "dg/da", "dg/db");
    print(out, EngineKind.INTERPRETER, interpret());
    print(out, EngineKind.COMPILED, compile());
    return 0;
  }

  private static void print(PrintWriter out, EngineKind engine, Result r) {
    out.printf(Locale.ROOT, "%-12s %10.4f %10.4f %10.4f%n", engine, r.g(), r.dgda(), r.dgdb());
  }

  /** Returns {@code g} and its gradient by {@code Value.backward()}. */
  static Result interpret() {
    Expression e = build();
    e.g().backward();
    return new Result(e.g().data(), e.a().grad(), e.b().grad());
  }

  /** Returns {@code g} and its gradient by bytecode, with {@code a} and {@code b} as inputs. */
  static Result compile() {
    Expression e = build();
    CompiledGraph graph = Jit.compile(e.g(), List.of(e.a(), e.b()), List.of());
    double[] inputGrad = new double[2];
    double g =
        graph.valueAndGrad(
            new double[] {e.a().data(), e.b().data()}, new double[0], inputGrad, new double[0]);
    return new Result(g, inputGrad[0], inputGrad[1]);
  }

  /** Builds the README's expression, line for line. */
  private static Expression build() {
    Value a = Value.of(-4.0, "a");
    Value b = Value.of(2.0, "b");
    Value c = a.add(b);
    Value d = a.mul(b).add(b.pow(3));
    c = c.add(c.add(1));
    c = c.add(Value.of(1).add(c).add(a.neg()));
    d = d.add(d.mul(2).add(b.add(a).relu()));
    d = d.add(Value.of(3).mul(d).add(b.sub(a).relu()));
    Value e = c.sub(d);
    Value f = e.pow(2);
    Value g = f.div(2.0);
    g = g.add(Value.of(10.0).div(f));
    return new Expression(a, b, g);
  }
}
