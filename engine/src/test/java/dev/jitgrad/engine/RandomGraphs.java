package dev.jitgrad.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Random expression DAGs that mix every op and share subexpressions; shared with codegen's tests.
 *
 * <p>A {@linkplain #smooth smooth} graph keeps each op inside its domain (logs and divisions of
 * {@code x² + 1}, exponentials of {@code tanh x}, magnitudes squashed by tanh), so central
 * differences are a fair oracle. A {@linkplain #wild wild} graph applies every op to whatever it
 * gets, NaN and infinities included: the test of compiled code against the interpreter. Both mix in
 * the branching ops (max, min, abs, clamp, where), whose taken branch depends on the leaves.
 */
public final class RandomGraphs {
  /** A generated graph: its output and the leaves it was built from. */
  public record Sample(Value output, List<Value> leaves) {}

  private static final Op[] OPS = {
    Op.ADD,
    Op.SUB,
    Op.MUL,
    Op.DIV,
    Op.POW,
    Op.NEG,
    Op.EXP,
    Op.LOG,
    Op.TANH,
    Op.RELU,
    Op.SIGMOID,
    Op.SOFTPLUS,
    Op.SUM,
    Op.MAX,
    Op.MIN,
    Op.ABS,
    Op.CLAMP,
    Op.WHERE
  };
  private static final double[] EXPONENTS = {2, 3, -1, -2, 0.5, 1.5, -0.5, 0, 1};

  /** Clamp bounds, among them a single point, signed zeros and infinities. */
  private static final double[][] BOUNDS = {
    {-1, 1},
    {0, 2},
    {-0.5, -0.5},
    {-0.0, 0.0},
    {Double.NEGATIVE_INFINITY, 0.5},
    {-2, Double.POSITIVE_INFINITY}
  };

  private RandomGraphs() {}

  /** Returns a smooth DAG of {@code ops} op nodes over {@code leaves} leaves in [-2, 2]. */
  public static Sample smooth(RandomGenerator random, int leaves, int ops) {
    return generate(random, leaves, ops, true);
  }

  /** Returns a DAG of {@code ops} op nodes with no domain guards, over leaves in [-3, 3]. */
  public static Sample wild(RandomGenerator random, int leaves, int ops) {
    return generate(random, leaves, ops, false);
  }

  /**
   * Returns the DAG that {@link #wild(RandomGenerator, int, int)} builds from the same generator
   * state, but with its leaves holding {@code leafValues}: a wild graph's shape does not depend on
   * its data, so this is a freshly built twin of that graph at other inputs.
   */
  public static Sample wild(RandomGenerator random, double[] leafValues, int ops) {
    return generate(random, leafValues.length, ops, false, leafValues);
  }

  private static Sample generate(RandomGenerator random, int leafCount, int ops, boolean smooth) {
    return generate(random, leafCount, ops, smooth, null);
  }

  private static Sample generate(
      RandomGenerator random, int leafCount, int ops, boolean smooth, double[] leafValues) {
    List<Value> leaves = new ArrayList<>();
    List<Value> nodes = new ArrayList<>();
    double range = smooth ? 2 : 3;
    for (int i = 0; i < leafCount; i++) {
      double drawn = random.nextDouble(-range, range);
      Value leaf = Value.of(leafValues == null ? drawn : leafValues[i], "x" + i);
      leaves.add(leaf);
      nodes.add(leaf);
    }
    for (int i = 0; i < ops; i++) {
      Value a = pick(random, nodes);
      Value b = pick(random, nodes);
      Value v = apply(random, OPS[random.nextInt(OPS.length)], a, b, nodes, smooth);
      if (smooth && Math.abs(v.data()) > 4) {
        v = v.tanh();
      }
      nodes.add(v);
    }
    return new Sample(nodes.get(nodes.size() - 1), leaves);
  }

  /** Picks a recent node most of the time (depth), any node otherwise (sharing). */
  private static Value pick(RandomGenerator random, List<Value> nodes) {
    int n = nodes.size();
    return random.nextInt(3) == 0
        ? nodes.get(random.nextInt(n))
        : nodes.get(n - 1 - random.nextInt(Math.min(n, 4)));
  }

  private static Value apply(
      RandomGenerator random, Op op, Value a, Value b, List<Value> nodes, boolean smooth) {
    Value positive = smooth ? b.mul(b).add(1.0) : b;
    switch (op) {
      case ADD:
        return a.add(b);
      case SUB:
        return a.sub(b);
      case MUL:
        return a.mul(b);
      case DIV:
        return a.div(positive);
      case POW:
        double k = EXPONENTS[random.nextInt(EXPONENTS.length)];
        return (smooth ? positive : a).pow(k);
      case NEG:
        return a.neg();
      case EXP:
        return (smooth ? a.tanh() : a).exp();
      case LOG:
        return positive.log();
      case TANH:
        return a.tanh();
      case RELU:
        return a.relu();
      case SIGMOID:
        return a.sigmoid();
      case SOFTPLUS:
        return a.softplus();
      case SUM:
        List<Value> terms = new ArrayList<>();
        int n = 1 + random.nextInt(5);
        for (int i = 0; i < n; i++) {
          terms.add(pick(random, nodes));
        }
        return Value.sum(terms);
      case MAX:
        return a.max(b);
      case MIN:
        return a.min(b);
      case ABS:
        return a.abs();
      case CLAMP:
        double[] bounds = BOUNDS[random.nextInt(BOUNDS.length)];
        return a.clamp(bounds[0], bounds[1]);
      case WHERE:
        return Value.where(pick(random, nodes), a, b);
      default:
        throw new AssertionError(op);
    }
  }
}
