package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import dev.jitgrad.engine.Value;
import dev.jitgrad.engine.internal.IdentityIndex;
import dev.jitgrad.engine.internal.Nodes;
import dev.jitgrad.engine.internal.Topology;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a {@code Value} graph into a program, one instruction per node in the engine's topological
 * order, with the node's operands in order: an n-ary sum stays one SUM instruction, and a neuron's
 * sum with its weights' products one DOT (see {@link Lowering} for where they become chains of
 * adds). Run without passes, the program computes exactly what the interpreter computes.
 */
final class Tracer {
  private Tracer() {}

  /**
   * The leaves listed as inputs and params: {@code positions} maps input {@code i} to {@code i} and
   * param {@code i} to {@code inputCount + i}; a leaf listed twice keeps its first position. {@code
   * params} holds the params in order.
   */
  record Listed(IdentityIndex positions, int inputCount, Value[] params) {
    int paramCount() {
      return params.length;
    }

    /** Returns whether no leaf is listed twice. */
    boolean distinct() {
      return positions.size() == inputCount + params.length;
    }
  }

  /** Returns the positions of {@code inputs} and {@code params}, unchecked. */
  static Listed listed(List<Value> inputs, List<Value> params) {
    IdentityIndex positions = new IdentityIndex(inputs.size() + params.size());
    for (int i = 0; i < inputs.size(); i++) {
      positions.putIfAbsent(inputs.get(i), i);
    }
    Value[] listedParams = params.toArray(new Value[0]);
    for (int i = 0; i < listedParams.length; i++) {
      positions.putIfAbsent(listedParams[i], inputs.size() + i);
    }
    return new Listed(positions, inputs.size(), listedParams);
  }

  /**
   * Traces {@code outputs}; listed leaves become INPUT or PARAM reads, every other leaf a constant.
   * The lists have been checked by the caller.
   */
  static Program trace(List<Value> outputs, List<Value> inputs, List<Value> params) {
    return trace(outputs, listed(inputs, params));
  }

  /** Traces {@code outputs} with the listed leaves {@code listed}, checked by the caller. */
  static Program trace(List<Value> outputs, Listed listed) {
    int inputCount = listed.inputCount();
    // a graph has at least its listed leaves; an MLP about twice as many nodes as weights
    Topology graph = Topology.of(outputs, 2 * (inputCount + listed.paramCount()));
    Value[] order = graph.nodes();
    int[] childStart = graph.childStart();
    int[] c = graph.children();
    Dots dots = new Dots(graph, listed);
    int[] id = new int[order.length];
    int size = 0;
    int operands = 0;
    for (int n = 0; n < order.length; n++) {
      if (!dots.absorbed[n]) {
        int extra = dots.headless[n] ? 1 : 0; // a -0.0 constant, the DOT's first operand
        size += 1 + extra;
        operands += childStart[n + 1] - childStart[n] + extra;
      }
    }
    // sized as it ends: a DOT stands for a neuron's 2n + 1 nodes, and most of a graph's garbage
    // in a fresh compile was this builder sized for every node
    Program.Builder out =
        new Program.Builder(inputCount, listed.paramCount(), outputs.size(), size, operands);
    for (int n = 0; n < id.length; n++) {
      Value v = order[n];
      if (dots.absorbed[n]) {
        id[n] = -1; // a weight or product that a DOT stands for
      } else if (v.op() == Op.LEAF) {
        int leaf = listed.positions().get(v);
        id[n] =
            leaf == -1
                ? out.constant(v.data())
                : leaf < inputCount
                    ? out.leaf(Kind.INPUT, leaf)
                    : out.leaf(Kind.PARAM, leaf - inputCount);
      } else if (dots.stride[n] != 0) {
        // a sum of products alone starts from -0.0, which adds to any double without changing it
        int head = dots.headless[n] ? out.constant(-0.0) : id[c[childStart[n]]];
        id[n] = out.start(Kind.DOT, dots.base[n], dots.stride[n]);
        out.operand(head);
        for (int j = dots.firstProduct(n); j < childStart[n + 1]; j++) {
          int product = c[j];
          out.operand(id[c[childStart[product] + (dots.stride[n] > 0 ? 1 : 0)]]);
        }
      } else {
        id[n] = out.start(v.op(), Nodes.constant(v, 0), Nodes.constant(v, 1));
        for (int j = childStart[n]; j < childStart[n + 1]; j++) {
          out.operand(id[c[j]]);
        }
      }
    }
    for (int j = 0; j < outputs.size(); j++) {
      out.sink(id[graph.roots()[j]], Program.OUTPUT, j);
    }
    return out.build();
  }

  /**
   * The sums that become DOTs: a sum whose operands after the first are all products of a weight
   * and an x, where each product and each weight is read by nothing else, the weights are listed
   * params at evenly spaced positions (a neuron's weights), on the same side of every product, and
   * no other use of an x lies between its product and the sum in the traced order. That last rule
   * keeps reverse mode exact: the DOT adds each product's gradient terms when it meets the sum,
   * where the engine adds them when it meets the product, so nothing else may add to that x in
   * between. Where the first operand qualifies as a product too (a {@code Value.dot}), every
   * operand is one of the DOT's products and its first operand is -0.0: {@code -0.0 + p} is {@code
   * p} for every double, signed zeros and NaN included, so the sum is the engine's to the bit.
   */
  static final class Dots {
    /**
     * Sums with fewer products stay sums, and so keep the code they had: with DOTs from 2 products
     * on, the moons step (2-16-16-1, 16 products at most) ran 1.04× as long (22.6 against 21.7 µs,
     * JMH, two rounds), its forward and gradient programs written in another order, while compiling
     * layers that small saves nothing worth having. From 32, 64-32-10's and 784-64-10's layers are
     * DOTs, and the moons and 2-16-10 programs are the same bytes as before (CodeDigests).
     */
    static final int MIN_PRODUCTS = 32;

    /** Per node: whether a DOT stands for it (a product or its weight). */
    final boolean[] absorbed;

    /** Per sum that becomes a DOT: its first weight's param index, else 0. */
    final int[] base;

    /** Per sum that becomes a DOT: its weights' spacing, negative if on the right; else 0. */
    final int[] stride;

    /**
     * Per sum that becomes a DOT: whether its first operand is a product too, so the DOT's first
     * operand is -0.0 instead (a {@code Value.dot}): layout then takes it whole, which it does not
     * a DOT whose first operand is a product read once.
     */
    final boolean[] headless;

    private final Value[] order;
    private final int[] childStart;
    private final int[] children;
    private final Listed listed;

    /** Per node: how many nodes and sinks read it; counted only if some sum is wide enough. */
    private int[] uses;

    /**
     * Per operand slot of {@code children}: the position of the next reader, after the slot's own
     * node, of the node it reads ({@code Integer.MAX_VALUE} if none); made only if some sum passes
     * the other rules.
     */
    private int[] nextReader;

    /** Per node: the position of its first reader, its only one if it is read once. */
    private int[] firstReader;

    /** Per node: 1 + the sum whose products' x it was last checked as, by {@link #alone}. */
    private int[] checkedFor;

    /** Finds the DOTs of {@code graph}. */
    Dots(Topology graph, Listed listed) {
      this.order = graph.nodes();
      this.childStart = graph.childStart();
      this.children = graph.children();
      this.listed = listed;
      int size = order.length;
      absorbed = new boolean[size];
      base = new int[size];
      stride = new int[size];
      headless = new boolean[size];
      if (!anyWideSum()) {
        return; // a graph without neurons pays one pass over the operand counts
      }
      uses = new int[size];
      for (int child : children) {
        uses[child]++;
      }
      for (int root : graph.roots()) {
        uses[root]++; // a root is read by its sink too
      }
      for (int s = 0; s < size; s++) {
        if (wideSum(s)) {
          headless[s] = weigh(s, childStart[s]);
          if (!headless[s]) {
            weigh(s, childStart[s] + 1);
          }
        }
      }
      for (int s = 0; s < size; s++) {
        if (stride[s] != 0 && alone(s)) {
          int side = stride[s] > 0 ? 0 : 1;
          for (int j = firstProduct(s); j < childStart[s + 1]; j++) {
            absorbed[children[j]] = true;
            absorbed[children[childStart[children[j]] + side]] = true;
          }
        } else {
          stride[s] = 0;
          headless[s] = false;
        }
      }
    }

    /** Returns where the products of DOT {@code s} start among its operands. */
    int firstProduct(int s) {
      return childStart[s] + (headless[s] ? 0 : 1);
    }

    private boolean anyWideSum() {
      for (int n = 0; n < order.length; n++) {
        if (wideSum(n)) {
          return true;
        }
      }
      return false;
    }

    /** Returns whether node {@code n} is a sum of a first operand and enough products to weigh. */
    private boolean wideSum(int n) {
      return childStart[n + 1] - childStart[n] > MIN_PRODUCTS && order[n].op() == Op.SUM;
    }

    /**
     * Sets {@code base} and {@code stride} of wide sum {@code s} if its operands from {@code first}
     * on are products whose weights qualify; returns whether they do.
     */
    private boolean weigh(int s, int first) {
      int end = childStart[s + 1];
      int side = weightSide(children[first]);
      if (side < 0) {
        return false;
      }
      int w0 = param(children[childStart[children[first]] + side]);
      int spacing = 0;
      for (int j = first + 1; j < end; j++) {
        int product = children[j];
        if (order[product].op() != Op.MUL || uses[product] != 1) {
          return false;
        }
        int w = children[childStart[product] + side]; // the weight side is the first product's
        if (j == first + 1) {
          spacing = uses[w] == 1 ? param(w) - w0 : -1;
        }
        if (spacing < 1 || uses[w] != 1 || !isParam(w, w0 + (long) (j - first) * spacing)) {
          return false;
        }
      }
      base[s] = w0;
      stride[s] = side == 0 ? spacing : -spacing;
      return true;
    }

    /**
     * Returns which operand of node {@code m} is its weight (0 or 1), or -1 if {@code m} is not a
     * product read only once whose operand there is a listed param read only by it.
     */
    private int weightSide(int m) {
      if (order[m].op() != Op.MUL || uses[m] != 1) {
        return -1;
      }
      for (int side = 0; side < 2; side++) {
        int w = children[childStart[m] + side];
        if (uses[w] == 1 && param(w) >= 0) {
          return side;
        }
      }
      return -1;
    }

    /**
     * Returns whether node {@code n} is listed param {@code index}: without a lookup where no leaf
     * is listed twice, since then a node that is param {@code index} is listed there only.
     */
    private boolean isParam(int n, long index) {
      if (listed.distinct()) {
        return index < listed.paramCount() && listed.params()[(int) index] == order[n];
      }
      return param(n) == index;
    }

    /** Returns the param index of node {@code n} if it is a listed param, else -1. */
    private int param(int n) {
      Value v = order[n];
      int position = v.op() == Op.LEAF ? listed.positions().get(v) : -1;
      return position < listed.inputCount() ? -1 : position - listed.inputCount();
    }

    /**
     * Returns whether, for each product of sum {@code s}, every reader of its x after it and before
     * {@code s} is another product of {@code s}. Products come in position order, so an x's first
     * product is the one to check from; an x met again is skipped, which keeps a sum whose products
     * all read one x linear.
     */
    private boolean alone(int s) {
      if (nextReader == null) {
        listReaders();
      }
      int xSide = stride[s] > 0 ? 1 : 0;
      for (int j = firstProduct(s); j < childStart[s + 1]; j++) {
        int slot = childStart[children[j]] + xSide;
        int x = children[slot];
        if (checkedFor[x] == s + 1) {
          continue;
        }
        checkedFor[x] = s + 1;
        // each reader in between must be a product of s, which reads x on its x side
        for (int r = nextReader[slot]; r < s; r = nextReader[childStart[r] + xSide]) {
          if (uses[r] != 1 || firstReader[r] != s) {
            return false;
          }
        }
      }
      return true;
    }

    /** Fills {@link #nextReader} and {@link #firstReader} in one pass from the last node. */
    private void listReaders() {
      int size = order.length;
      nextReader = new int[children.length];
      firstReader = new int[size];
      checkedFor = new int[size];
      Arrays.fill(firstReader, Integer.MAX_VALUE);
      for (int n = size - 1; n >= 0; n--) {
        for (int slot = childStart[n + 1] - 1; slot >= childStart[n]; slot--) {
          nextReader[slot] = firstReader[children[slot]];
          firstReader[children[slot]] = n;
        }
      }
    }
  }
}
