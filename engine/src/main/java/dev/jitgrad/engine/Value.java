package dev.jitgrad.engine;

import dev.jitgrad.engine.internal.Derivatives;
import dev.jitgrad.engine.internal.Elements;
import dev.jitgrad.engine.internal.Nodes;
import dev.jitgrad.engine.internal.OpRules;
import dev.jitgrad.engine.internal.Scalar;
import dev.jitgrad.engine.internal.Topology;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A scalar that remembers how it was computed, so gradients can flow back through it.
 *
 * <p>Like micrograd's {@code Value}: every op returns a new node whose children are its operands.
 * {@link #backward()} walks the graph in reverse topological order and applies the chain rule;
 * {@link #forward()} re-evaluates it after leaves change. Both are iterative, so graphs of any
 * depth work on the default stack. Every op's forward and derivative rule lives in one table,
 * {@link dev.jitgrad.engine.internal.OpRules}, which the compiler shares.
 *
 * <p>Not thread-safe: a graph belongs to one thread at a time.
 */
public final class Value {
  static {
    Nodes.register(
        new Nodes.Access() {
          @Override
          public double constant(Value v, int j) {
            return v.constant(j);
          }

          @Override
          public Value[] children(Value v) {
            return v.children;
          }
        });
  }

  private static final Value[] NO_CHILDREN = new Value[0];
  private static final double[] NO_CONSTANTS = new double[0];

  private final Op op;
  private final Value[] children;

  /** The op's constants, {@code k} and {@code k2} of the op table: empty, {k} or {k, k2}. */
  private final double[] constants;

  private final String label;

  /**
   * How many nodes this class has made, which numbers the next one. Threads that make nodes at the
   * same time may race on it and give two nodes one number: only a hash table's speed notices, and
   * a counter shared without a lock costs one thread nothing (an atomic one cost the engine's
   * step).
   */
  private static int made;

  /** This node's number, its hash code (see {@link #hashCode()}). */
  private final int hash = made++;

  private double data;
  private double grad;

  private Value(double data, String label) {
    this.op = Op.LEAF;
    this.children = NO_CHILDREN;
    this.constants = NO_CONSTANTS;
    this.label = label;
    this.data = data;
  }

  private Value(Op op, Value... children) {
    this(op, NO_CONSTANTS, children);
  }

  private Value(Op op, double[] constants, Value... children) {
    this.op = op;
    this.children = children;
    this.constants = constants;
    this.label = "";
    this.data = evaluate();
  }

  /** Returns a new leaf holding {@code data}. */
  public static Value of(double data) {
    return new Value(data, "");
  }

  /**
   * Returns a new leaf holding {@code data}, labelled for graph export.
   *
   * @throws NullPointerException if {@code label} is null
   */
  public static Value of(double data, String label) {
    return new Value(data, Objects.requireNonNull(label, "label"));
  }

  /**
   * Returns the n-ary sum {@code ((v0 + v1) + v2) + ...} as one node; an empty list gives a leaf 0.
   *
   * @throws NullPointerException if the list or one of its elements is null
   */
  public static Value sum(List<Value> values) {
    Objects.requireNonNull(values, "values");
    if (values.isEmpty()) {
      return of(0.0);
    }
    Value[] children = values.toArray(NO_CHILDREN);
    for (int i = 0; i < children.length; i++) {
      Elements.nonNull(children[i], "values", i);
    }
    return new Value(Op.SUM, children);
  }

  /** Returns the n-ary sum of {@code values}; see {@link #sum(List)}. */
  public static Value sum(Value... values) {
    return sum(Arrays.asList(Objects.requireNonNull(values, "values")));
  }

  /**
   * Returns the dot product {@code sum(a[i] * b[i])}: one multiplication per pair and one sum node.
   *
   * @throws IllegalArgumentException if the lists differ in length
   * @throws NullPointerException if a list or one of its elements is null
   */
  public static Value dot(List<Value> a, List<Value> b) {
    Objects.requireNonNull(a, "a");
    Objects.requireNonNull(b, "b");
    if (a.size() != b.size()) {
      throw new IllegalArgumentException(
          "dot needs lists of equal length, got " + a.size() + " and " + b.size());
    }
    List<Value> products = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      Value bi = Elements.nonNull(b.get(i), "b", i);
      products.add(Elements.nonNull(a.get(i), "a", i).mul(bi));
    }
    return sum(products);
  }

  /** Returns {@code this + other}. */
  public Value add(Value other) {
    return new Value(Op.ADD, this, operand(other, "add"));
  }

  /** Returns {@code this + other}. */
  public Value add(double other) {
    return add(of(other));
  }

  /** Returns {@code this - other}. */
  public Value sub(Value other) {
    return new Value(Op.SUB, this, operand(other, "sub"));
  }

  /** Returns {@code this - other}. */
  public Value sub(double other) {
    return sub(of(other));
  }

  /** Returns {@code this * other}. */
  public Value mul(Value other) {
    return new Value(Op.MUL, this, operand(other, "mul"));
  }

  /** Returns {@code this * other}. */
  public Value mul(double other) {
    return mul(of(other));
  }

  /** Returns {@code this / other}. */
  public Value div(Value other) {
    return new Value(Op.DIV, this, operand(other, "div"));
  }

  /** Returns {@code this / other}. */
  public Value div(double other) {
    return div(of(other));
  }

  /** Returns {@code this} raised to the constant {@code exponent}, as {@link Math#pow}. */
  public Value pow(double exponent) {
    return new Value(Op.POW, new double[] {exponent}, this);
  }

  /** Returns {@code -this}. */
  public Value neg() {
    return new Value(Op.NEG, this);
  }

  /** Returns {@code e^this}. */
  public Value exp() {
    return new Value(Op.EXP, this);
  }

  /** Returns the natural logarithm of this; NaN below 0, as {@link Math#log}. */
  public Value log() {
    return new Value(Op.LOG, this);
  }

  /** Returns the hyperbolic tangent of this. */
  public Value tanh() {
    return new Value(Op.TANH, this);
  }

  /** Returns {@code max(0, this)}. */
  public Value relu() {
    return new Value(Op.RELU, this);
  }

  /** Returns the logistic sigmoid of this. */
  public Value sigmoid() {
    return new Value(Op.SIGMOID, this);
  }

  /** Returns {@code log(1 + e^this)}, finite for every finite input. */
  public Value softplus() {
    return new Value(Op.SOFTPLUS, this);
  }

  /**
   * Returns the larger of {@code this} and {@code other}, as {@link Math#max}: NaN if either is
   * NaN. At a tie each side gets half the gradient; with a NaN operand both get all of it (as
   * PyTorch). Which side is larger is decided each time the graph is evaluated.
   */
  public Value max(Value other) {
    return new Value(Op.MAX, this, operand(other, "max"));
  }

  /** Returns the larger of {@code this} and {@code other}; see {@link #max(Value)}. */
  public Value max(double other) {
    return max(of(other));
  }

  /**
   * Returns the smaller of {@code this} and {@code other}, as {@link Math#min}, with the gradient
   * conventions of {@link #max(Value)}.
   */
  public Value min(Value other) {
    return new Value(Op.MIN, this, operand(other, "min"));
  }

  /** Returns the smaller of {@code this} and {@code other}; see {@link #min(Value)}. */
  public Value min(double other) {
    return min(of(other));
  }

  /** Returns {@code |this|}; its derivative is 0 at 0 (and at NaN, whose value stays NaN). */
  public Value abs() {
    return new Value(Op.ABS, this);
  }

  /**
   * Returns {@code this} limited to {@code [lo, hi]}: one op, not {@code min(max(...))}. The
   * gradient passes where {@code lo <= this <= hi}, bounds included, and is 0 outside and at NaN
   * (whose value stays NaN), as in PyTorch.
   *
   * @throws IllegalArgumentException if {@code lo > hi} or a bound is NaN
   */
  public Value clamp(double lo, double hi) {
    if (!(lo <= hi)) {
      throw new IllegalArgumentException(
          "clamp needs lo <= hi (and neither NaN), got lo = " + lo + " and hi = " + hi);
    }
    return new Value(Op.CLAMP, new double[] {lo, hi}, this);
  }

  /**
   * Returns {@code condition > 0 ? ifPositive : otherwise}; a NaN condition chooses {@code
   * otherwise}.
   *
   * <p>Both sides are part of the graph and the choice is made each time it is evaluated, so a
   * compiled graph follows the branch its current inputs select. The gradient goes to the chosen
   * side only, none to {@code condition}; the other side receives a zero adjoint, as in PyTorch, so
   * a side that is not finite there can still make the gradient NaN: {@code where(x, x.log(), 0)}
   * at {@code x = 0} sends 0 into log, whose rule gives 0/0. The remedy is to clamp the argument
   * first, so the unchosen side stays finite: {@code where(x, x.max(1e-300).log(), Value.of(0))}.
   *
   * @throws NullPointerException if an operand is null
   */
  public static Value where(Value condition, Value ifPositive, Value otherwise) {
    return new Value(
        Op.WHERE,
        operand(condition, "where (condition)"),
        operand(ifPositive, "where (ifPositive)"),
        operand(otherwise, "where (otherwise)"));
  }

  private static Value operand(Value other, String op) {
    return Objects.requireNonNull(other, () -> "the operand of " + op + " is null");
  }

  /** Computes this node's data from its children's, by the op table's forward rule. */
  private double evaluate() {
    Value[] c = children;
    if (op == Op.LEAF) {
      return data;
    }
    if (op.arity() < 0) {
      Op fold = OpRules.foldOp(op);
      double s = c[0].data;
      for (int i = 1; i < c.length; i++) {
        s = OpRules.evaluate(fold, s, c[i].data, 0, 0, 0);
      }
      return s;
    }
    double x = c[0].data;
    double y = c.length > 1 ? c[1].data : 0;
    double z = c.length > 2 ? c[2].data : 0;
    return OpRules.evaluate(op, x, y, z, constant(0), constant(1));
  }

  /**
   * Runs the op table's derivative rules on doubles for {@link #backward()}: handles index a small
   * scratch array that is reset for every node, so propagating allocates nothing.
   */
  private static final class Backward implements Derivatives {
    /** More than any rule uses: a rule pushes at most a handful of values per node. */
    private final double[] s = new double[16];

    private final Topology graph;

    /**
     * Per position: whether a gradient has been added into the node (or started from it): a node
     * that no rule reaches, such as one that only feeds a where's condition, passes nothing on.
     */
    private final boolean[] reached;

    private int n;
    private int position;
    private Value node;

    Backward(Topology graph) {
      this.graph = graph;
      this.reached = new boolean[graph.nodes().length];
    }

    /**
     * Adds the gradient of the node at {@code p}, times its local derivatives, into its children.
     */
    void propagate(int p) {
      Value v = graph.nodes()[p];
      if (v.op == Op.LEAF || !reached[p]) {
        return;
      }
      node = v;
      position = p;
      n = 0;
      OpRules.derive(v.op, v.constant(0), v.constant(1), this);
    }

    private int push(double value) {
      s[n] = value;
      return n++;
    }

    @Override
    public int operandCount() {
      return node.children.length;
    }

    @Override
    public int operand(int j) {
      return push(node.children[j].data);
    }

    @Override
    public int output() {
      return push(node.data);
    }

    @Override
    public int adjoint() {
      return push(node.grad);
    }

    @Override
    public int constant(double value) {
      return push(value);
    }

    @Override
    public int add(int a, int b) {
      return push(s[a] + s[b]);
    }

    @Override
    public int sub(int a, int b) {
      return push(s[a] - s[b]);
    }

    @Override
    public int mul(int a, int b) {
      return push(s[a] * s[b]);
    }

    @Override
    public int div(int a, int b) {
      return push(s[a] / s[b]);
    }

    @Override
    public int neg(int a) {
      return push(-s[a]);
    }

    @Override
    public int pow(int a, double k) {
      return push(Math.pow(s[a], k));
    }

    @Override
    public int apply(Op op, int a) {
      return push(OpRules.evaluate(op, s[a], 0, 0, 0, 0));
    }

    @Override
    public int step(int a) {
      return push(Scalar.step(s[a]));
    }

    @Override
    public int sign(int a) {
      return push(Scalar.sign(s[a]));
    }

    @Override
    public int maxWeight(int a, int b) {
      return push(Scalar.maxWeight(s[a], s[b]));
    }

    @Override
    public int inRange(int a, int lo, int hi) {
      return push(Scalar.inRange(s[a], s[lo], s[hi]));
    }

    @Override
    public int where(int condition, int a, int b) {
      return push(OpRules.evaluate(Op.WHERE, s[condition], s[a], s[b], 0, 0));
    }

    @Override
    public boolean needs(int j) {
      return true;
    }

    @Override
    public void accumulate(int j, int contribution) {
      node.children[j].grad += s[contribution];
      reached[graph.children()[graph.childStart()[position] + j]] = true;
    }
  }

  /**
   * Returns this node's number: nodes are numbered in the order they are made. Equality stays
   * identity, as {@code Object}'s. The number is a field because {@link System#identityHashCode}'s
   * first call on an object stores a hash in its header, a call into the JVM for every node of a
   * graph that a traversal meets for the first time (about 28 ns each from compiled code here).
   */
  @Override
  public int hashCode() {
    return hash;
  }

  /**
   * Computes the gradient of this value with respect to every node of its graph.
   *
   * <p>Seeds this node's gradient with 1 and applies the chain rule in reverse topological order.
   * Leaves <em>accumulate</em> ({@code +=}), as in micrograd: call {@link #zeroGrad()} or {@link
   * Values#zeroGrad} between steps. Inner nodes are reset to 0 first, so calling it twice never
   * double-counts through them.
   */
  public void backward() {
    Topology graph = Topology.of(List.of(this));
    Value[] order = graph.nodes();
    for (Value v : order) {
      if (v.op != Op.LEAF) {
        v.grad = 0;
      }
    }
    if (op == Op.LEAF) {
      grad += 1;
    } else {
      grad = 1;
    }
    Backward rules = new Backward(graph);
    rules.reached[order.length - 1] = true; // this node, the last in the order
    for (int p = order.length - 1; p >= 0; p--) {
      rules.propagate(p);
    }
  }

  /**
   * Re-evaluates every node of this value's graph from its leaves, in topological order.
   *
   * @return this value's new data
   */
  public double forward() {
    for (Value v : Topology.traverse(List.of(this), false).nodes()) {
      v.data = v.evaluate();
    }
    return data;
  }

  /** Sets this node's gradient back to 0. */
  public void zeroGrad() {
    grad = 0;
  }

  /** Returns the number this node holds. */
  public double data() {
    return data;
  }

  /**
   * Changes a leaf's number; call {@link #forward()} on an output to update what depends on it.
   *
   * @throws IllegalStateException if this node is not a leaf
   */
  public void setData(double data) {
    if (op != Op.LEAF) {
      throw new IllegalStateException(
          "setData needs a leaf, but this node is computed by " + op + "; set its leaves instead");
    }
    this.data = data;
  }

  /** Returns the gradient accumulated by {@link #backward()}. */
  public double grad() {
    return grad;
  }

  /** Sets the gradient, for optimisers and tools that manage gradients themselves. */
  public void setGrad(double grad) {
    this.grad = grad;
  }

  /** Returns the op that produced this node ({@link Op#LEAF} for leaves). */
  public Op op() {
    return op;
  }

  /** Returns the constant exponent of a {@link Op#POW} node (0 for other ops). */
  public double exponent() {
    return op == Op.POW ? constants[0] : 0;
  }

  /**
   * Returns this node's constant {@code j}, the {@code k} ({@code j = 0}) or {@code k2} ({@code j =
   * 1}) of the op table: a POW's exponent is constant 0, a CLAMP's bounds {@code lo} and {@code hi}
   * are constants 0 and 1; an op without such a constant gives 0.
   *
   * @throws IndexOutOfBoundsException if {@code j} is not 0 or 1
   */
  double constant(int j) {
    if (j != 0 && j != 1) {
      throw new IndexOutOfBoundsException("constant index must be 0 or 1, got " + j);
    }
    return j < constants.length ? constants[j] : 0;
  }

  /** Returns this node's operands, in order (empty for leaves). */
  public List<Value> children() {
    return Collections.unmodifiableList(Arrays.asList(children));
  }

  /** Returns how many operands this node has. */
  public int childCount() {
    return children.length;
  }

  /**
   * Returns operand {@code i}, without allocating.
   *
   * @throws IndexOutOfBoundsException if {@code i} is not in {@code [0, childCount())}
   */
  public Value child(int i) {
    return children[i];
  }

  /** Returns the label given to {@link #of(double, String)}, or the empty string. */
  public String label() {
    return label;
  }

  /** Returns whether this node is a leaf. */
  public boolean isLeaf() {
    return op == Op.LEAF;
  }

  /** Returns {@code Value(data=..., grad=...)}, as micrograd prints it. */
  @Override
  public String toString() {
    return "Value(data=" + data + ", grad=" + grad + ")";
  }
}
