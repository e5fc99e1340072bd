package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.Values;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BinaryOperator;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Adversarial graphs for the default passes' constant folding and algebraic identities ({@code
 * Passes.fold}, {@code Passes.simplify}), end to end against the engine: identities whose operand
 * is a signed zero, NaN, an infinity or a subnormal at run time, constants that fold into ±0, NaN
 * and infinities and then meet an identity, sums with constants anywhere and nested, gradients that
 * gather many cancelling terms through simplified paths, DOTs built from simplified operands, and a
 * program large enough for lanes and loops. Every compiled number comes from {@code forward}, both
 * {@code valueAndGrad}s and {@code valueAndGradBatch} (1 and 17 rows), in default mode (the
 * engine's numbers, a zero's sign aside) and exact mode (the engine's bits); the oracle is {@link
 * Value#forward()} and {@link Value#backward()} at the same points.
 */
class IdentitiesAdversarialTest {
  private static final double SUBNORMAL = -Double.MIN_NORMAL / 3;

  private static final double[] SPECIAL = {
    0.0,
    -0.0,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    SUBNORMAL,
    1.0,
    -1.0,
    1e308,
    -2.5
  };

  private static final List<JitOptions> MODES =
      List.of(JitOptions.defaults(), JitOptions.defaults().withExact(true));

  /** A graph of leaves x and y, named for failure messages. */
  private record Case(String name, BinaryOperator<Value> graph) {}

  /** Each identity of {@code Passes.simplify}, some stacked, and look-alikes that are not. */
  private static final List<Case> IDENTITIES =
      List.of(
          new Case("x + -0.0", (x, y) -> x.add(-0.0)),
          new Case("-0.0 + x", (x, y) -> Value.of(-0.0).add(x)),
          new Case("x - 0.0", (x, y) -> x.sub(0.0)),
          new Case("x * 1", (x, y) -> x.mul(1.0)),
          new Case("1 * x", (x, y) -> Value.of(1.0).mul(x)),
          new Case("x / 1", (x, y) -> x.div(1.0)),
          new Case("--x", (x, y) -> x.neg().neg()),
          new Case("x ^ 1", (x, y) -> x.pow(1.0)),
          new Case("-0.0 - x", (x, y) -> Value.of(-0.0).sub(x)),
          new Case("x * -1", (x, y) -> x.mul(-1.0)),
          new Case("-1 * x", (x, y) -> Value.of(-1.0).mul(x)),
          new Case("1 * -1 * x", (x, y) -> Value.of(1.0).mul(Value.of(-1.0)).mul(x)),
          new Case(
              "sum(-0, x, -0, y, -0)",
              (x, y) ->
                  Value.sum(Value.of(-0.0), x, Value.of(-0.0), y, Value.of(-0.0)).mul(x.div(1))),
          new Case("sum(x)", (x, y) -> Value.sum(x)),
          new Case("sum(-0, -0, x)", (x, y) -> Value.sum(Value.of(-0.0), Value.of(-0.0), x)),
          new Case("sum(-0, -0) + x", (x, y) -> Value.sum(Value.of(-0.0), Value.of(-0.0)).add(x)),
          new Case("sum(x, -0) + -0", (x, y) -> Value.sum(x, Value.of(-0.0)).add(-0.0)),
          new Case("-(x * -1)", (x, y) -> x.mul(-1.0).neg()),
          new Case("-0.0 - (-x)", (x, y) -> Value.of(-0.0).sub(x.neg())),
          new Case("-1 * -1 * x", (x, y) -> x.mul(-1.0).mul(-1.0)),
          new Case(
              "stacked", (x, y) -> x.mul(1.0).mul(-1.0).neg().div(1.0).add(-0.0).pow(1.0).sub(0.0)),
          new Case("x*1 * x*1", (x, y) -> x.mul(1.0).mul(x.mul(1.0))),
          new Case("(x*y)*1 + x*y", (x, y) -> x.mul(y).mul(1.0).add(x.mul(y))),
          new Case("x^1 - x", (x, y) -> x.pow(1.0).sub(x)),
          new Case("-0.0 - x*y", (x, y) -> Value.of(-0.0).sub(x.mul(y))),
          // a derivative rule that builds x^1 (of x^2) or 1·x^0 (of x^1)
          new Case("x ^ 2", (x, y) -> x.pow(2.0)),
          new Case("x ^ 0", (x, y) -> x.pow(0.0)),
          new Case("x ^ -1", (x, y) -> x.pow(-1.0)),
          // look-alikes: no identity, each turns some signed zero into another
          new Case("x + 0.0", (x, y) -> x.add(0.0)),
          new Case("0.0 + x", (x, y) -> Value.of(0.0).add(x)),
          new Case("x - -0.0", (x, y) -> x.sub(-0.0)),
          new Case("0.0 - x", (x, y) -> Value.of(0.0).sub(x)),
          new Case("x * -0.0", (x, y) -> x.mul(-0.0)),
          new Case("x / -1", (x, y) -> x.div(-1.0)),
          new Case("1 / x", (x, y) -> Value.of(1.0).div(x)),
          new Case("x ^ 1.0000000000000002", (x, y) -> x.pow(Math.nextUp(1.0))),
          new Case("sum(0.0, x)", (x, y) -> Value.sum(Value.of(0.0), x)),
          new Case("sum(x, 0.0, -0.0)", (x, y) -> Value.sum(x, Value.of(0.0), Value.of(-0.0))));

  /**
   * Wraps {@code f} so that its sign of zero, NaN and infinities reach the output ({@code 1/f}) and
   * its gradient flows on through a product with {@code y} and a final {@code ·1}.
   */
  private static Value exposed(Value f, Value y) {
    return Value.of(1.0).div(f).add(f.mul(y)).mul(1.0);
  }

  @Test
  void identities_specialOperandsAtRunTime_computeTheEnginesNumbers() {
    double[][] points = pairs(SPECIAL, SPECIAL);

    for (Case c : IDENTITIES) {
      Value x = Value.of(0, "x");
      Value y = Value.of(0, "y");
      Value out = exposed(c.graph().apply(x, y), y);

      Value bare = c.graph().apply(x, y); // an output that may become a leaf or a constant

      assertAsEngine(out, List.of(x), List.of(y), points, c.name() + ", x an input");
      assertAsEngine(out, List.of(), List.of(x, y), points, c.name() + ", x a param");
      assertAsEngine(bare, List.of(x), List.of(y), points, c.name() + " as the output");
    }
  }

  /** Constant leaves whose op folds into a signed zero, 1, -1, NaN or an infinity. */
  private static final List<Supplier<Value>> FOLDING =
      List.of(
          () -> Value.of(0.0).mul(Value.of(Double.POSITIVE_INFINITY)), // NaN
          () -> Value.of(Double.POSITIVE_INFINITY).sub(Value.of(Double.POSITIVE_INFINITY)), // NaN
          () -> Value.of(1.0).div(Value.of(0.0)), // +Inf
          () -> Value.of(1.0).div(Value.of(-0.0)), // -Inf
          () -> Value.of(0.0).log(), // -Inf
          () -> Value.of(-1.0).log(), // NaN
          () -> Value.of(Double.NaN).pow(0.0), // 1
          () -> Value.of(-0.0).pow(-1.0), // -Inf
          () -> Value.of(Double.NaN).pow(1.0), // NaN
          () -> Value.of(-0.0).mul(Value.of(1.0)), // -0.0
          () -> Value.of(0.0).mul(Value.of(-1.0)), // -0.0
          () -> Value.of(1e308).mul(10.0), // +Inf
          () -> Value.of(-1e-320).mul(1e-10), // underflows to -0.0
          () -> Value.of(Double.MIN_VALUE).div(2.0), // +0.0
          () -> Value.of(2.0).div(Value.of(2.0)), // 1
          () -> Value.of(-3.0).div(3.0), // -1
          () -> Value.of(Double.POSITIVE_INFINITY).tanh(), // 1
          () -> Value.of(Double.NEGATIVE_INFINITY).exp(), // +0.0
          () -> Value.of(0.0).sub(Value.of(0.0)).neg(), // -0.0
          () -> Value.of(Double.NaN).max(1.0), // NaN
          () -> Value.of(-0.0).min(Value.of(0.0)), // -0.0
          () -> Value.of(-0.0).abs(), // +0.0
          () -> Value.of(5.0).clamp(-1.0, -0.0), // -0.0
          () -> Value.where(Value.of(Double.NaN), Value.of(1.0), Value.of(-0.0)), // -0.0
          () -> Value.sum(Value.of(-0.0), Value.of(-0.0), Value.of(-0.0)), // -0.0
          () -> Value.sum(Value.of(0.5), Value.of(0.5)).pow(1.0).neg().neg()); // 1

  /** What a folded constant {@code c} meets: each identity's place, and where none applies. */
  private static final List<Case> USES =
      List.of(
          new Case("x + c", (x, c) -> x.add(c)),
          new Case("c + x", (x, c) -> c.add(x)),
          new Case("x - c", (x, c) -> x.sub(c)),
          new Case("c - x", (x, c) -> c.sub(x)),
          new Case("x * c", (x, c) -> x.mul(c)),
          new Case("c * x", (x, c) -> c.mul(x)),
          new Case("x / c", (x, c) -> x.div(c)),
          new Case("sum(c, c, x, c)", (x, c) -> Value.sum(c, c, x, c)));

  @Test
  void foldedNonFiniteAndSignedConstants_meetingEveryIdentity_computeTheEnginesNumbers() {
    double[][] points = pairs(SPECIAL, new double[] {2.5, -0.0});

    for (int k = 0; k < FOLDING.size(); k++) {
      for (Case use : USES) {
        Value x = Value.of(0, "x");
        Value y = Value.of(0, "y");
        Value out = exposed(use.graph().apply(x, FOLDING.get(k).get()), y);

        assertAsEngine(out, List.of(x), List.of(y), points, use.name() + ", constant " + k);
      }
    }
  }

  /**
   * Trailing and middle constants stay where the engine adds them: folding {@code 1e16 + -1e16}
   * first would give x at x = 1 where the engine's {@code (1 + 1e16) - 1e16} is 0, and {@code 1e16
   * + (1 + 1)} would keep the two ones that {@code (1e16 + 1) + 1} rounds away.
   */
  @Test
  void sumsWithConstantsInTheMiddleAndAtTheEnd_addInTheEnginesOrder() {
    List<Case> sums =
        List.of(
            new Case("sum(x, 1e16, -1e16)", (x, y) -> Value.sum(x, big(1), big(-1))),
            new Case("sum(1e16, x, -1e16)", (x, y) -> Value.sum(big(1), x, big(-1))),
            new Case(
                "sum(1e16, 1, 1, x)", (x, y) -> Value.sum(big(1), Value.of(1.0), Value.of(1.0), x)),
            new Case(
                "sum(x, 1, 1, 1e16, -1e16)",
                (x, y) -> Value.sum(x, Value.of(1.0), Value.of(1.0), big(1), big(-1))),
            new Case(
                "sum(1e16, sum(1, x), -1e16)",
                (x, y) -> Value.sum(big(1), Value.sum(Value.of(1.0), x), big(-1))),
            new Case(
                "nested folded sums",
                (x, y) ->
                    Value.sum(
                        Value.sum(big(1), Value.of(1.0)),
                        Value.of(1.0),
                        x.mul(1.0),
                        Value.sum(big(-1), Value.of(-0.0)),
                        y)));
    double[][] points = pairs(new double[] {1.0, -1.0, 3.0, 0.0, -0.0, 1e16}, new double[] {1.0});

    double engine = Value.sum(Value.of(1.0), big(1), big(-1)).data();
    double reassociated = 1.0 + (1e16 + -1e16);

    assertEquals(0.0, engine, "precondition: the engine's sum rounds the 1 away");
    assertNotEquals(engine, reassociated, "precondition: folding 1e16 + -1e16 first would show");
    for (Case c : sums) {
      Value x = Value.of(0, "x");
      Value y = Value.of(0, "y");
      Value out = c.graph().apply(x, y).mul(y);
      assertAsEngine(out, List.of(x), List.of(y), points, c.name());
      assertAsEngine(out, List.of(), List.of(x, y), points, c.name() + ", x a param");
    }
  }

  private static Value big(int sign) {
    return Value.of(sign * 1e16);
  }

  /** Random sums, nested, with constants (±0, NaN, Inf, cancelling giants) in every position. */
  @Test
  void randomSumsWithConstantsAnywhere_computeTheEnginesNumbers() {
    SplittableRandom random = new SplittableRandom(0x1D3A7L);
    double[][] points =
        pairs(
            new double[] {1.0, -0.0, 0.0, 1e16, Double.NaN, Double.NEGATIVE_INFINITY, 0.1},
            new double[] {-1.0, 0.0});

    for (int g = 0; g < 40; g++) {
      Value x = Value.of(0, "x");
      Value y = Value.of(0, "y");
      Value sum = randomSum(random, x, y, 2);
      Value out = exposed(sum, y);

      assertAsEngine(out, List.of(x), List.of(y), points, "random sum " + g);
    }
  }

  private static Value randomSum(SplittableRandom random, Value x, Value y, int depth) {
    double[] constants = {-0.0, 0.0, 1e16, -1e16, 1.0, 0.1, Double.NaN, Double.POSITIVE_INFINITY};
    int n = 1 + random.nextInt(6);
    List<Value> terms = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      int pick = random.nextInt(depth > 0 ? 7 : 6);
      terms.add(
          switch (pick) {
            case 0 -> x;
            case 1 -> y.mul(1.0);
            case 2 -> x.neg().neg();
            case 6 -> randomSum(random, x, y, depth - 1);
            default -> {
              // NaN and infinity rarely, or most sums would be NaN throughout
              int c = random.nextInt(random.nextInt(8) == 0 ? constants.length : 6);
              yield Value.of(constants[c]);
            }
          });
    }
    return Value.sum(terms);
  }

  /**
   * A param reaches the loss through many simplified paths ({@code x·1}, {@code --x}, {@code x/1},
   * {@code -0.0 - x}, {@code x·-1}), several of them shared, with weights of ±1e16 whose cancelling
   * terms make the adjoint's grouping visible: the engine's gradient differs from the exact one,
   * and the compiled gradient must be the engine's.
   */
  @Test
  void gradientThroughManySimplifiedPaths_cancellingTerms_theEnginesGrouping() {
    Value x = Value.of(0, "x");
    Value y = Value.of(0, "y");
    Value once = x.mul(1.0);
    Value neg = Value.of(-0.0).sub(x);
    Value loss =
        Value.sum(
                once.mul(1e16),
                x.neg().neg(),
                once.mul(y),
                neg.mul(1e16),
                x.div(1.0).mul(3.0),
                x.mul(-1.0).mul(-1e16),
                once,
                neg.mul(-1e16).neg())
            .add(x.pow(1.0).mul(1e16).mul(y))
            .add(once.mul(-1e16).mul(y));
    double[][] points = pairs(new double[] {1.0, 0.5, -0.0, 3e-8}, new double[] {1.0, 1.5, -0.0});
    double[] p = {1.0, 1.0};
    Program traced = Tracer.trace(List.of(loss), List.of(), List.of(x, y));
    double[] engine = Oracle.interpret(loss, List.of(), List.of(x, y), new double[0], p);
    double[] simplifiedFirst =
        gradient(Reverse.differentiate(Passes.simplify(traced), false, false), p);
    double[] asCompiled = gradient(Reverse.differentiate(traced, false, false), p);

    assertNotEquals(engine[1], simplifiedFirst[0], "precondition: identities before reverse show");
    assertEquals(engine[1], asCompiled[0], "precondition: reverse mode alone is the engine's");
    assertAsEngine(loss, List.of(), List.of(x, y), points, "many simplified paths");
    assertAsEngine(loss, List.of(y), List.of(x), points, "many simplified paths, y an input");
  }

  /** Random chains of identities shared between users with cancelling weights. */
  @Test
  void randomSharedIdentityChains_cancellingWeights_theEnginesNumbers() {
    SplittableRandom random = new SplittableRandom(0xC4A1L);
    List<UnaryOperator<Value>> identities =
        List.of(
            v -> v.mul(1.0),
            v -> Value.of(1.0).mul(v),
            v -> v.div(1.0),
            v -> v.neg().neg(),
            v -> v.pow(1.0),
            v -> v.add(-0.0),
            v -> Value.of(-0.0).sub(v),
            v -> v.mul(-1.0),
            v -> v.sub(0.0));
    double[] weights = {1e16, -1e16, 1.0, 3.0, -0.0, 1e-16};
    double[][] points = pairs(new double[] {1.0, -0.0, 0.25, 1e300}, new double[] {1.0, -2.0});

    for (int g = 0; g < 30; g++) {
      Value x = Value.of(0, "x");
      Value y = Value.of(0, "y");
      List<Value> pool = new ArrayList<>(List.of(x, y));
      List<Value> terms = new ArrayList<>();
      for (int t = 0; t < 12; t++) {
        Value v = pool.get(random.nextInt(pool.size()));
        Value chained = identities.get(random.nextInt(identities.size())).apply(v);
        pool.add(chained);
        terms.add(chained.mul(weights[random.nextInt(weights.length)]));
      }
      Value loss = random.nextBoolean() ? Value.sum(terms) : chainOfAdds(terms);

      assertAsEngine(loss, List.of(y), List.of(x), points, "random chains " + g);
    }
  }

  private static Value chainOfAdds(List<Value> terms) {
    Value acc = terms.get(0);
    for (int i = 1; i < terms.size(); i++) {
      acc = acc.add(terms.get(i));
    }
    return acc;
  }

  /**
   * Neuron sums that become DOTs (a {@code Value.dot}, sums whose first operand is a -0.0 constant,
   * a folded -0.0 or a bias·1, weights on either side) whose x are simplified operands, constants
   * -0.0 and a folded 1, and plain inputs, at points full of special values.
   */
  @Test
  void dotsOfSimplifiedOperands_specialValues_computeTheEnginesNumbers() {
    int n = Tracer.Dots.MIN_PRODUCTS + 1;
    List<Value> xs = CompileSpeedAdversarialTest.leaves("x", n);
    List<Value> ws = CompileSpeedAdversarialTest.leaves("w", n);
    List<Value> bias = CompileSpeedAdversarialTest.leaves("b", 1);
    List<Value> operands = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Value x = xs.get(i);
      operands.add(
          switch (i % 6) {
            case 0 -> x.mul(1.0);
            case 1 -> Value.of(-0.0).sub(x);
            case 2 -> x.add(-0.0);
            case 3 -> i % 4 == 0 ? Value.of(-0.0) : Value.of(2.0).div(Value.of(2.0)); // folds to 1
            case 4 -> x.neg().neg();
            default -> x;
          });
    }
    List<Value> products = new ArrayList<>();
    List<Value> flipped = new ArrayList<>(List.of(Value.of(-0.0)));
    for (int i = 0; i < n; i++) {
      products.add(ws.get(i).mul(operands.get(i)));
      flipped.add(operands.get(i).mul(ws.get(i)));
    }
    List<Value> neuron = new ArrayList<>(List.of(bias.get(0).mul(1.0)));
    neuron.addAll(products);
    List<Value> foldedHead = new ArrayList<>(List.of(Value.of(0.0).mul(Value.of(-1.0)))); // -0.0
    foldedHead.addAll(products);
    List<Value> params = new ArrayList<>(ws);
    params.addAll(bias);
    List<Value> losses =
        List.of(
            Value.dot(ws, operands),
            Value.sum(flipped),
            Value.sum(neuron),
            Value.sum(foldedHead),
            Value.dot(ws, operands).mul(1.0).add(-0.0).tanh().div(1.0));
    double[][] points = new double[24][];
    SplittableRandom random = new SplittableRandom(0xD07L);
    for (int r = 0; r < points.length; r++) {
      points[r] = new double[2 * n + 1];
      for (int i = 0; i < points[r].length; i++) {
        points[r][i] =
            random.nextInt(3) == 0
                ? SPECIAL[random.nextInt(SPECIAL.length)]
                : random.nextDouble(-2, 2);
      }
    }

    for (int l = 0; l < losses.size(); l++) {
      Value loss = Value.of(1.0).div(losses.get(l)).add(losses.get(l));
      Program traced = Tracer.trace(List.of(loss), xs, params);

      assertTrue(hasDot(traced), "precondition: loss " + l + " has a DOT\n" + traced);
      assertAsEngine(loss, xs, params, points, "DOT loss " + l);
    }
  }

  private static boolean hasDot(Program p) {
    for (int i = 0; i < p.size; i++) {
      if (p.kind(i) == Kind.DOT) {
        return true;
      }
    }
    return false;
  }

  /**
   * A program of 160 blocks of one shape, {@code 1 / ((w·1 + c)·x / 1)}, whose constants c differ
   * only in the sign of zero: big enough for lanes in a batch of 17 and for loops, where a constant
   * taken for another would flip an infinity.
   */
  @Test
  void repeatedBlocksWithSignedZeroConstants_lanesAndLoops_computeTheEnginesNumbers() {
    int blocks = 160;
    List<Value> ws = CompileSpeedAdversarialTest.leaves("w", blocks);
    Value x = Value.of(0, "x");
    List<Value> terms = new ArrayList<>();
    for (int i = 0; i < blocks; i++) {
      double c = i % 3 == 0 ? 0.0 : -0.0;
      Value u = ws.get(i).mul(1.0).add(c).mul(x).div(1.0);
      terms.add(Value.of(1.0).div(u).tanh().add(u.mul(u).mul(-1.0)));
    }
    Value loss = Value.sum(terms);
    double[][] points = new double[6][];
    SplittableRandom random = new SplittableRandom(0xB10CL);
    for (int r = 0; r < points.length; r++) {
      points[r] = new double[blocks + 1];
      points[r][0] = r % 2 == 0 ? 1.0 : -0.0;
      for (int i = 1; i <= blocks; i++) {
        points[r][i] =
            random.nextBoolean() ? (random.nextBoolean() ? 0.0 : -0.0) : random.nextDouble(-1, 1);
      }
    }

    assertTrue(
        Compiler.gradientProgram(
                    Tracer.trace(List.of(loss), List.of(x), ws), false, JitOptions.defaults())
                .size
            >= Compiler.LANE_MIN_INSTRUCTIONS,
        "precondition: the gradient program gets lanes");
    assertAsEngine(loss, List.of(x), ws, points, "repeated blocks");
  }

  /**
   * Outputs that the identities turn into one instruction, a listed leaf or a folded constant
   * (several sinks on one value, a sink on an input or param, a sink on -0.0 and NaN) each keep
   * their own engine value in {@code forward} and {@code forwardBatch}, and output 0's gradient
   * stays the engine's.
   */
  @Test
  void outputsThatSimplifyIntoOneValueALeafOrAConstant_eachTheEnginesValue() {
    Value x = Value.of(0, "x");
    Value y = Value.of(0, "y");
    Value xy = x.mul(y);
    List<Value> outputs =
        List.of(
            xy.mul(1.0).add(-0.0),
            xy,
            x.mul(y).div(1.0),
            x.add(-0.0),
            y.neg().neg(),
            Value.of(0.0).mul(Value.of(-1.0)),
            Value.of(Double.POSITIVE_INFINITY).sub(Value.of(Double.POSITIVE_INFINITY)),
            Value.sum(Value.of(-0.0), Value.of(-0.0)),
            Value.of(-0.0).sub(x).mul(-1.0));
    List<Value> inputs = List.of(x);
    List<Value> params = List.of(y);
    double[][] points = pairs(SPECIAL, new double[] {-0.0, 3.0});
    double[] rows = new double[points.length];
    for (int r = 0; r < rows.length; r++) {
      rows[r] = points[r][0];
    }

    for (JitOptions options : MODES) {
      CompiledGraph g = Jit.compile(outputs, inputs, params, options);
      for (double y0 : new double[] {-0.0, 3.0}) {
        double[] expected = new double[rows.length * outputs.size()];
        for (int r = 0; r < rows.length; r++) {
          Values.setData(inputs, new double[] {rows[r]});
          Values.setData(params, new double[] {y0});
          for (int o = 0; o < outputs.size(); o++) {
            expected[r * outputs.size() + o] = outputs.get(o).forward();
          }
        }
        double[] single = new double[expected.length];
        for (int r = 0; r < rows.length; r++) {
          double[] row = new double[outputs.size()];
          g.forward(new double[] {rows[r]}, new double[] {y0}, row);
          System.arraycopy(row, 0, single, r * outputs.size(), row.length);
        }
        double[] batch = new double[expected.length];
        g.forwardBatch(rows, rows.length, new double[] {y0}, batch);

        String what = (options.exact() ? "exact" : "default") + " at y = " + y0;
        Oracle.assertBitIdentical(expected, single, what + ", forward");
        Oracle.assertBitIdentical(expected, batch, what + ", forwardBatch");
      }
      for (double[] point : points) {
        double[] x0 = {point[0]};
        double[] p0 = {point[1]};

        double[] expected = Oracle.interpret(outputs.get(0), inputs, params, x0, p0);

        check(
            options, expected, Oracle.compiled(g, x0, p0), "gradient at " + Arrays.toString(point));
      }
    }
  }

  /**
   * A saved graph keeps what folding and the identities made (-0.0, NaN and infinite constants, a
   * sink on a leaf): read back, it computes the engine's numbers in both modes.
   */
  @Test
  void savedAndReadBack_foldedAndSimplifiedProgram_theEnginesNumbers() throws Exception {
    Value x = Value.of(0, "x");
    Value y = Value.of(0, "y");
    Value f =
        Value.sum(
            x.mul(1.0).add(Value.of(0.0).mul(Value.of(-1.0))),
            Value.of(-0.0).sub(y.neg()),
            Value.of(1.0).div(Value.of(-0.0)).mul(x.mul(-1.0)),
            Value.of(Double.POSITIVE_INFINITY).sub(Value.of(Double.POSITIVE_INFINITY)).mul(0.0));
    Value out = exposed(Value.where(x, f, x.div(1.0)), y);
    double[][] points = pairs(SPECIAL, new double[] {1.5, -0.0});

    for (JitOptions options : MODES) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      Jit.compile(List.of(out), List.of(x), List.of(y), options).writeTo(bytes);
      CompiledGraph g =
          CompiledGraph.readFrom(new ByteArrayInputStream(bytes.toByteArray()), options);
      for (double[] point : points) {
        double[] x0 = {point[0]};
        double[] p0 = {point[1]};
        String at = (options.exact() ? "exact" : "default") + " at " + Arrays.toString(point);

        double[] expected = Oracle.interpret(out, List.of(x), List.of(y), x0, p0);

        check(options, expected, Oracle.compiled(g, x0, p0), at);
        check(options, new double[] {expected[0]}, new double[] {g.forward(x0, p0)}, at);
      }
    }
  }

  // The oracle.

  /**
   * Asserts that {@code out}, compiled in each mode, computes the engine's numbers at each point
   * ({@code inputs} then {@code params}): forward, both valueAndGrads, and batches of 1 and 17 rows
   * (the rows' inputs taken from the points in turn) at every third point's params.
   */
  private static void assertAsEngine(
      Value out, List<Value> inputs, List<Value> params, double[][] points, String what) {
    int m = inputs.size();
    for (JitOptions options : MODES) {
      CompiledGraph g = Jit.compile(List.of(out), inputs, params, options);
      String mode = what + (options.exact() ? " (exact)" : " (default)");
      for (int k = 0; k < points.length; k++) {
        double[] x = Arrays.copyOfRange(points[k], 0, m);
        double[] p = Arrays.copyOfRange(points[k], m, points[k].length);
        String at =
            mode + " at " + (points[k].length <= 4 ? Arrays.toString(points[k]) : "point " + k);

        double[] expected = Oracle.interpret(out, inputs, params, x, p);
        double[] paramGrads = Oracle.startGrad(p.length);
        double value = g.valueAndGrad(x, p, paramGrads);
        double[] withoutInputGrads = Oracle.concat(value, new double[0], paramGrads);
        double[] expectedWithout =
            Oracle.concat(
                expected[0], new double[0], Arrays.copyOfRange(expected, 1 + m, 1 + m + p.length));

        check(options, expected, Oracle.compiled(g, x, p), at + ", valueAndGrad with inputs");
        check(options, expectedWithout, withoutInputGrads, at + ", valueAndGrad");
        check(
            options,
            engineFromNegativeZeros(out, inputs, params, x, p),
            compiledFromNegativeZeros(g, x, p),
            at + ", valueAndGrad into -0.0");
        check(
            options, new double[] {expected[0]}, new double[] {g.forward(x, p)}, at + ", forward");
        if (k % 3 == 0) {
          for (int rows : new int[] {1, 17}) {
            double[] data = new double[rows * m];
            for (int r = 0; r < rows; r++) {
              System.arraycopy(points[(k + r) % points.length], 0, data, r * m, m);
            }
            double[] batchGrads = Oracle.startGrad(p.length);
            double sum = g.valueAndGradBatch(data, rows, p, batchGrads);

            check(
                options,
                engineBatch(out, inputs, params, data, rows, p),
                Oracle.concat(sum, new double[0], batchGrads),
                at + ", batch of " + rows);
          }
        }
      }
    }
  }

  /**
   * Asserts {value, gradients...} as the mode promises: exact mode the engine's bits, default mode
   * the engine's bits for the value (every rewrite keeps every value) and its numbers for the
   * gradients (an adjoint may start at -0.0 where the engine's starts at +0.0). NaN payloads aside.
   */
  private static void check(JitOptions options, double[] expected, double[] actual, String what) {
    Oracle.assertBitIdentical(
        Arrays.copyOf(expected, 1), Arrays.copyOf(actual, 1), what + ", value");
    if (options.exact()) {
      Oracle.assertBitIdentical(expected, actual, what);
    } else {
      Oracle.assertSameNumbers(expected, actual, what);
    }
  }

  /**
   * The engine's {value, paramGrad...} with the params' gradients starting at -0.0, which keeps the
   * sign of a zero gradient ({@code -0.0 + c} is {@code c}) where {@link Oracle#startGrad} hides
   * it.
   */
  private static double[] engineFromNegativeZeros(
      Value out, List<Value> inputs, List<Value> params, double[] x, double[] p) {
    Values.setData(inputs, x);
    Values.setData(params, p);
    out.forward();
    Values.setGrads(params, negativeZeros(p.length));
    out.backward();
    return Oracle.concat(out.data(), new double[0], Values.grads(params));
  }

  /** The same from a compiled graph: valueAndGrad into gradients that start at -0.0. */
  private static double[] compiledFromNegativeZeros(CompiledGraph g, double[] x, double[] p) {
    double[] grads = negativeZeros(p.length);
    double value = g.valueAndGrad(x, p, grads);
    return Oracle.concat(value, new double[0], grads);
  }

  private static double[] negativeZeros(int n) {
    double[] zeros = new double[n];
    Arrays.fill(zeros, -0.0);
    return zeros;
  }

  /**
   * The engine's batch: per block of {@link CompiledGraph#BATCH_BLOCK_ROWS} rows, the params'
   * gradients start at zero and each row's {@code backward()} adds into them, the rows' outputs are
   * summed in order; blocks are added in order into the sum and into gradients that start at {@link
   * Oracle#startGrad}. Returns {sum, paramGrad...}.
   */
  private static double[] engineBatch(
      Value out, List<Value> inputs, List<Value> params, double[] data, int rows, double[] p) {
    int m = inputs.size();
    Values.setData(params, p);
    double sum = 0;
    double[] grads = Oracle.startGrad(p.length);
    for (int start = 0; start < rows; start += CompiledGraph.BATCH_BLOCK_ROWS) {
      Values.setGrads(params, new double[p.length]);
      double blockSum = 0;
      for (int r = start; r < Math.min(rows, start + CompiledGraph.BATCH_BLOCK_ROWS); r++) {
        Values.setData(inputs, Arrays.copyOfRange(data, r * m, (r + 1) * m));
        blockSum += out.forward();
        out.backward();
      }
      sum += blockSum;
      double[] block = Values.grads(params);
      for (int i = 0; i < grads.length; i++) {
        grads[i] += block[i];
      }
    }
    return Oracle.concat(sum, new double[0], grads);
  }

  /**
   * Runs gradient program {@code program} at {@code params}: its params' gradients from {@link
   * Oracle#startGrad}.
   */
  private static double[] gradient(Program program, double[] params) {
    Interpreter interpreter = new Interpreter(program);
    double[] grads = Oracle.startGrad(params.length);
    interpreter.run(new double[0], params, grads, null, new double[interpreter.workspaceSize()]);
    return grads;
  }

  /** Every pair (a, b) of the two lists, a first. */
  private static double[][] pairs(double[] as, double[] bs) {
    double[][] points = new double[as.length * bs.length][];
    int k = 0;
    for (double a : as) {
      for (double b : bs) {
        points[k++] = new double[] {a, b};
      }
    }
    return points;
  }
}
