package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jitgrad.engine.Op;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class VerifierTest {
  /** Builds a program with 1 input, 1 param and 1 output; {@code body} appends and sinks. */
  private static Program program(Consumer<Program.Builder> body) {
    Program.Builder b = new Program.Builder(1, 1, 1);
    body.accept(b);
    return b.build();
  }

  private static String failure(Program p) {
    return assertThrows(JitBugException.class, () -> Verifier.verify(p, "stage X")).getMessage();
  }

  @Test
  void verify_wellFormedProgram_returnsIt() {
    Program p =
        program(
            b -> {
              int x = b.leaf(Kind.INPUT, 0);
              int w = b.leaf(Kind.PARAM, 0);
              int s = b.start(Op.SUM, 0, 0);
              b.operand(x);
              b.operand(w);
              b.operand(x);
              b.sink(b.step(s), Program.OUTPUT, 0);
              b.sink(b.leaf(Kind.PARAM_GRAD, 0), Program.PARAM_GRAD, 0);
            });

    assertSame(p, Verifier.verify(p, "stage X"));
  }

  @Test
  void verify_operandDefinedLater_throwsBugNamingStageAndInstruction() {
    Program p =
        program(
            b -> {
              int x = b.leaf(Kind.INPUT, 0);
              b.sink(b.unary(Op.NEG, x + 5), Program.OUTPUT, 0);
            });

    assertEquals(
        "jitgrad bug: after stage X, instruction %1 (NEG) reads %5, which is not defined before it",
        failure(p));
  }

  @Test
  void verify_binaryOpWithOneOperand_throwsBugNamingArity() {
    Program p = program(b -> b.sink(b.unary(Op.MUL, b.constant(1)), Program.OUTPUT, 0));

    assertEquals(
        "jitgrad bug: after stage X, instruction %1 (MUL) has 1 operands, expected 2", failure(p));
  }

  @Test
  void verify_helperWithTooFewOperands_throwsBugNamingItsArity() {
    Program p =
        program(
            b -> b.sink(b.helper(Kind.IN_RANGE, b.constant(1), b.constant(2)), Program.OUTPUT, 0));

    assertEquals(
        "jitgrad bug: after stage X, instruction %2 (IN_RANGE) has 2 operands, expected 3",
        failure(p));
  }

  @Test
  void verify_whereWithTwoOperands_throwsBugNamingItsArity() {
    Program p =
        program(b -> b.sink(b.binary(Op.WHERE, b.constant(1), b.constant(2)), Program.OUTPUT, 0));

    assertEquals(
        "jitgrad bug: after stage X, instruction %2 (WHERE) has 2 operands, expected 3",
        failure(p));
  }

  @Test
  void verify_emptySum_throwsBug() {
    Program p = program(b -> b.sink(b.start(Op.SUM, 0, 0), Program.OUTPUT, 0));

    assertEquals(
        "jitgrad bug: after stage X, instruction %0 (SUM) has 0 operands, expected at least 1",
        failure(p));
  }

  @Test
  void verify_paramIndexOutOfRange_throwsBug() {
    Program p = program(b -> b.sink(b.leaf(Kind.PARAM, 1), Program.OUTPUT, 0));

    assertEquals(
        "jitgrad bug: after stage X, instruction %0 (PARAM) reads element 1.0, expected an index"
            + " in [0, 1)",
        failure(p));
  }

  @Test
  void verify_sinkIndexOutOfRange_throwsBug() {
    Program p =
        program(
            b -> {
              int x = b.leaf(Kind.INPUT, 0);
              b.sink(x, Program.OUTPUT, 0);
              b.sink(x, Program.INPUT_GRAD, 3);
            });

    assertEquals("jitgrad bug: after stage X, inputGrad[3] is out of range [0, 1)", failure(p));
  }

  @Test
  void verify_outputWrittenTwice_throwsBug() {
    Program p =
        program(
            b -> {
              int x = b.leaf(Kind.INPUT, 0);
              b.sink(x, Program.OUTPUT, 0);
              b.sink(x, Program.OUTPUT, 0);
            });

    assertEquals("jitgrad bug: after stage X, output[0] is written twice", failure(p));
  }

  @Test
  void verify_outputNeverWritten_throwsBug() {
    Program p = program(b -> b.leaf(Kind.INPUT, 0));

    assertEquals("jitgrad bug: after stage X, output[0] is never written", failure(p));
  }

  @Test
  void verify_sinkReadsNoInstruction_throwsBug() {
    Program p = program(b -> b.sink(5, Program.OUTPUT, 0));

    assertEquals("jitgrad bug: after stage X, output[0] reads %5, not an instruction", failure(p));
  }
}
