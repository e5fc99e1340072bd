package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Properties of random DAGs that mix every op and share subexpressions. */
class RandomGraphPropertiesTest {

  /**
   * Smooth graphs keep every op in its domain and every node within about [-20, 20] before a
   * squashing tanh, so along any path |f| and its third derivative stay moderate. Central
   * differences with h = 1e-6 then err by roughly eps·|f|/h ≈ 1e-9 plus h²·|f'''| ≤ ~1e-9 for
   * |f'''| up to 10³, composed over a few dozen ops. rtol 1e-4 and atol 1e-6 leave several orders
   * of magnitude for that, while a wrong rule (a missing factor, sign or term) is off by O(1). ReLU
   * kinks within h of an input would break the oracle, but hitting one has probability ~1e-6.
   */
  @Property(tries = 300)
  void backward_smoothRandomDag_matchesFiniteDifferences(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int leaves,
      @ForAll @IntRange(min = 1, max = 40) int ops) {
    RandomGraphs.Sample sample = RandomGraphs.smooth(new SplittableRandom(seed), leaves, ops);

    GradCheck.assertGradients(
        sample.output(), sample.leaves(), GradCheck.STEP, /* rtol= */ 1e-4, /* atol= */ 1e-6);
  }

  @Property(tries = 200)
  void forward_wildDagAfterSetData_equalsFreshGraphNodeByNode(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    RandomGraphs.Sample built = RandomGraphs.wild(new SplittableRandom(seed), leaves, ops);
    double[] newValues = new SplittableRandom(~seed).doubles(leaves, -3, 3).toArray();

    Values.setData(built.leaves(), newValues);
    built.output().forward();

    RandomGraphs.Sample fresh = RandomGraphs.wild(new SplittableRandom(seed), newValues, ops);
    List<Value> actual = Graph.topologicalOrder(built.output());
    List<Value> expected = Graph.topologicalOrder(fresh.output());
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      // Same ops on the same numbers in the same order: equal bit for bit (NaN equals NaN).
      assertEquals(expected.get(i).data(), actual.get(i).data(), 0.0, "node " + i);
    }
  }

  @Property(tries = 200)
  void topologicalOrder_wildDag_matchesRecursiveReference(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    RandomGraphs.Sample sample = RandomGraphs.wild(new SplittableRandom(seed), leaves, ops);

    List<Value> order = Graph.topologicalOrder(sample.output());

    assertEquals(GraphTest.referenceOrder(List.of(sample.output())), order);
    GraphTest.assertTopological(order);
  }

  @Property(tries = 200)
  void backward_twiceOnWildDag_neverLeavesInnerGradientsDoubled(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int leaves,
      @ForAll @IntRange(min = 1, max = 60) int ops) {
    RandomGraphs.Sample sample = RandomGraphs.wild(new SplittableRandom(seed), leaves, ops);
    List<Value> order = Graph.topologicalOrder(sample.output());
    sample.output().backward();
    double[] first = Values.grads(order);

    sample.output().backward();

    double[] second = Values.grads(order);
    for (int i = 0; i < order.size(); i++) {
      if (!order.get(i).isLeaf()) {
        assertEquals(first[i], second[i], 0.0, "inner node " + i);
      }
    }
  }
}
