package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ExprCommandTest {
  // micrograd's README prints these to 4 decimals.
  private static final double G = 24.7041;
  private static final double DG_DA = 138.8338;
  private static final double DG_DB = 645.5773;

  @Test
  void interpret_readmeExpression_matchesMicrograd() {
    ExprCommand.Result r = ExprCommand.interpret();

    assertEquals(G, r.g(), 1e-4);
    assertEquals(DG_DA, r.dgda(), 1e-4);
    assertEquals(DG_DB, r.dgdb(), 1e-4);
  }

  @Test
  void compile_readmeExpression_matchesMicrograd() {
    ExprCommand.Result r = ExprCommand.compile();

    assertEquals(G, r.g(), 1e-4);
    assertEquals(DG_DA, r.dgda(), 1e-4);
    assertEquals(DG_DB, r.dgdb(), 1e-4);
  }
}
