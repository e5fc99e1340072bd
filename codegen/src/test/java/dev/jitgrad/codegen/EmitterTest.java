package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import org.junit.jupiter.api.Test;

class EmitterTest {
  /** The emitter folds n-ary sums itself (not only their expansion), as the interpreter does. */
  @Test
  void emit_naryProgramWithSpecialValues_matchesInterpreterBitForBit() {
    Program.Builder b = new Program.Builder(3, 1, 2);
    int x0 = b.leaf(Kind.INPUT, 0);
    int x1 = b.leaf(Kind.INPUT, 1);
    int x2 = b.leaf(Kind.INPUT, 2);
    int w = b.leaf(Kind.PARAM, 0);
    int product = b.binary(Op.MUL, x2, w);
    int power = b.unary(Op.POW, w, -1.5);
    int sum = b.start(Op.SUM, 0, 0);
    for (int o : new int[] {x0, x1, product, x0, power}) {
      b.operand(o);
    }
    int one = b.start(Op.SUM, 0, 0);
    b.operand(x2);
    b.sink(b.step(b.unary(Op.SOFTPLUS, sum)), Program.OUTPUT, 0);
    b.sink(one, Program.OUTPUT, 1);
    b.sink(b.binary(Op.ADD, b.leaf(Kind.PARAM_GRAD, 0), sum), Program.PARAM_GRAD, 0);
    Program p = Verifier.verify(b.build(), "hand-built");
    Kernel emitted = Emitter.load(Emitter.emit(p, new Layout(p)));
    double[][] points = {
      {1, 2, 3, 0.5}, {-0.0, -0.0, -0.0, 2}, {Double.NaN, 1, 1, 1}, {1e308, 1e308, -1, 4}
    };

    for (double[] point : points) {
      double[] x = {point[0], point[1], point[2]};
      double[] params = {point[3]};

      double[] expected = Programs.interpret(p, x, params);

      Oracle.assertBitIdentical(expected, Programs.run(emitted, p, x, params), "emitted");
    }
  }
}
