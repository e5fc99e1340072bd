package dev.jitgrad.codegen;

import java.util.Arrays;

/**
 * Decides, for the emitter, which instructions are computed on the operand stack inside the
 * expression of their only user ("inlined") and which are stored, and assigns stored values to
 * workspace slots.
 *
 * <p>An instruction read once, by a later instruction, is inlined into it, up to a bounded tree
 * size and depth, so {@code b + w0·x0 + w1·x1 + ...} becomes one stack expression instead of a
 * store and a load per term. Inlining moves the evaluation of a pure instruction later, which
 * changes no result; it only extends the lifetimes of its operands to the point of evaluation.
 * Slots are then allocated by a linear scan that frees a slot at its value's last read, so the
 * workspace stays near the number of simultaneously live values. Slots {@code [0, outputCount)} are
 * reserved for the outputs.
 *
 * <p>A value read only by a sink is written to the sink's array where it is computed, saving a
 * store and a load. That is safe because the element it overwrites has been read by then: the one
 * PARAM_GRAD or INPUT_GRAD read of an element starts the accumulation chain whose last link is the
 * sink's value.
 *
 * <p>A DOT or UPDATE kept whole ({@link #takenWhole}) is laid out as {@link Lowering#expandNary}
 * would expand it, without expanding it: a DOT's chain is stored every {@link #LINKS} products into
 * partial sums ({@link #partial}), an UPDATE writes each weight's gradient directly. Slots are
 * freed at statement positions, which order the statements as the expanded program does, so the
 * slots and statements ({@link Tape}) are the expanded program's (WholeLayoutTest). One difference:
 * values last read inside an UPDATE are freed after its last weight, all at once; with two or more
 * of them, slots may be numbered otherwise.
 */
final class Layout {
  static final int MAX_TREE_SIZE = 48;
  static final int MAX_TREE_DEPTH = 24;

  /**
   * How many products of a DOT kept whole one statement adds: {@link Lowering} expands a DOT into
   * products of a param read and an x, then a chain of adds, and the rule above inlines each
   * product (tree size 1) and each link of the chain into the next until the tree is {@code
   * MAX_TREE_SIZE} or {@code MAX_TREE_DEPTH} deep, so the chain is stored every {@code LINKS}
   * products. Counted here by that rule, so the limits stay the one source.
   */
  static final int LINKS = links();

  final boolean[] inline;

  /**
   * For an instruction whose only reader is a sink, that sink's index (it is stored there
   * directly), else -1.
   */
  final int[] directSink;

  final int[] treeSize;

  /**
   * Per instruction, its workspace slot, or -1 if it is not stored; then, from index {@code size},
   * the slots of the DOTs' stored partial sums (see {@link #partial}).
   */
  final int[] slot;

  final int workspaceSize;

  /** Per DOT kept whole, the index in {@code slot} of its first partial sum's slot. */
  private final int[] partials;

  /**
   * Per instruction, the position of its first statement, and its end; positions order the
   * statements: a DOT has one per partial sum and its own (if stored), anything else one.
   */
  private final int[] at;

  private final Program p;

  Layout(Program p) {
    this.p = p;
    int n = p.size;
    at = new int[n + 1];
    partials = new int[n];
    int partialCount = 0;
    for (int i = 0; i < n; i++) {
      int sums = p.structured && p.kind(i) == Kind.DOT ? partialSums(p, i) : 0;
      at[i + 1] = at[i] + sums + 1;
      partials[i] = n + partialCount;
      partialCount += sums;
    }
    int[] uses = uses(p, null);
    boolean[] inlinable = inlinable(p, uses);
    directSink = new int[n];
    Arrays.fill(directSink, -1);
    for (int s = 0; s < p.sinkCount(); s++) {
      int v = p.sinkValue[s];
      if (uses[v] == 1 && !p.kind(v).isLeaf()) {
        directSink[v] = s;
      }
    }
    inline = new boolean[n];
    treeSize = new int[n];
    int[] depth = new int[n];
    int[] user = new int[n];
    for (int i = 0; i < n; i++) {
      treeSize[i] = 1;
      if (p.structured && p.kind(i).isStructured()) {
        int last = links(p, i);
        treeSize[i] = 2 * last; // the last statement's chain, which a user may inline
        depth[i] = last;
        continue;
      }
      for (int j = 0; j < p.arity(i); j++) {
        int o = p.operand(i, j);
        user[o] = i;
        if (inlinable[o]
            && treeSize[i] + treeSize[o] <= MAX_TREE_SIZE
            && depth[o] + 1 <= MAX_TREE_DEPTH) {
          inline[o] = true;
          treeSize[i] += treeSize[o];
          depth[i] = Math.max(depth[i], depth[o] + 1);
        }
      }
    }
    // Where each value is computed, and last read, as statement positions.
    int[] evalAt = new int[n];
    for (int i = n - 1; i >= 0; i--) {
      evalAt[i] = inline[i] ? evalAt[user[i]] : at[i + 1] - 1;
    }
    int[] lastRead = new int[n + partialCount];
    Arrays.fill(lastRead, -1);
    for (int i = 0; i < n; i++) {
      if (p.structured && p.kind(i).isStructured()) {
        readWhole(i, inlinable, evalAt, lastRead);
        continue;
      }
      for (int j = 0; j < p.arity(i); j++) {
        int o = p.operand(i, j);
        lastRead[o] = Math.max(lastRead[o], evalAt[i]);
      }
    }
    for (int v : p.sinkValue) {
      lastRead[v] = at[n];
    }
    slot = new int[n + partialCount];
    Arrays.fill(slot, -1);
    workspaceSize = allocate(lastRead);
  }

  /** Returns whether instruction {@code i} is computed in its own statement into a slot. */
  boolean stored(int i) {
    return slot[i] >= 0;
  }

  /** Returns the slot of partial sum {@code k} (from 0) of DOT {@code i}. */
  int partial(int i, int k) {
    return slot[partials[i] + k];
  }

  /**
   * Returns which DOTs and UPDATEs of {@code p} (live ones, if {@code live} is not null) layout
   * takes whole: those none of whose operands it would inline into their products, where each
   * product is a tree of size 1 and the chain of a DOT's sum is cut every {@link #LINKS} products.
   * An operand read once, by its product only, is left to the expanded program.
   */
  static boolean[] takenWhole(Program p, boolean[] live) {
    boolean[] inlinable = inlinable(p, uses(p, live));
    boolean[] whole = new boolean[p.size];
    for (int i = 0; i < p.size; i++) {
      whole[i] = p.kind(i).isStructured() && (live == null || live[i]);
      for (int x = p.operandStart[i]; x < p.operandStart[i + 1] && whole[i]; x++) {
        whole[i] = !inlinable[p.operands[x]];
      }
    }
    return whole;
  }

  /**
   * Returns how many times each instruction of {@code p} is read in its expanded program, by the
   * instructions {@code live} marks (all if null) and by sinks: an UPDATE reads its {@code g} once
   * per weight.
   */
  private static int[] uses(Program p, boolean[] live) {
    int[] uses = live == null ? p.useCounts() : new int[p.size];
    for (int i = 0; i < p.size; i++) {
      if (live != null && live[i]) {
        for (int x = p.operandStart[i]; x < p.operandStart[i + 1]; x++) {
          uses[p.operands[x]]++;
        }
      }
      if (p.structured && p.kind(i) == Kind.UPDATE && (live == null || live[i])) {
        uses[p.operand(i, 0)] += products(p, i) - 1;
      }
    }
    if (live != null) {
      for (int v : p.sinkValue) {
        uses[v]++;
      }
    }
    return uses;
  }

  /**
   * Returns, per instruction, whether layout inlines it into its one reader if it fits: a
   * computation read once ({@code uses}), by an instruction and not a sink.
   */
  private static boolean[] inlinable(Program p, int[] uses) {
    boolean[] inlinable = new boolean[p.size];
    for (int i = 0; i < p.size; i++) {
      inlinable[i] = uses[i] == 1 && !p.kind(i).isLeaf();
    }
    for (int v : p.sinkValue) {
      inlinable[v] = false;
    }
    return inlinable;
  }

  static int products(Program p, int i) {
    return p.arity(i) - 1;
  }

  /** Returns how many partial sums of DOT {@code i} are stored: all statements' but the last. */
  static int partialSums(Program p, int i) {
    return (products(p, i) - 1) / LINKS;
  }

  /** Returns how many products of DOT {@code i} its last statement adds. */
  static int links(Program p, int i) {
    return products(p, i) - LINKS * partialSums(p, i);
  }

  /**
   * Sets where the operands and partial sums of DOT or UPDATE {@code i} are read, as statement
   * positions: a DOT's operand {@code j} by the statement that adds product {@code j}, a partial
   * sum by the next statement. An UPDATE's statements are taken as one: whatever it reads is freed
   * after its last weight, which allocates nothing in between.
   */
  private void readWhole(int i, boolean[] inlinable, int[] evalAt, int[] lastRead) {
    int sums = p.kind(i) == Kind.DOT ? partialSums(p, i) : 0;
    int first = p.operandStart[i];
    for (int x = first; x < p.operandStart[i + 1]; x++) {
      int o = p.operands[x];
      if (inlinable[o]) {
        throw new JitBugException("%" + i + " is kept whole, but an operand would be inlined");
      }
      int statement = (Math.max(x - first, 1) - 1) / LINKS; // operand 0 and product 1: the first
      int read = statement < sums ? at[i] + statement : evalAt[i];
      lastRead[o] = read > lastRead[o] ? read : lastRead[o];
    }
    for (int k = 0; k < sums; k++) {
      lastRead[partials[i] + k] = k + 1 < sums ? at[i] + k + 1 : evalAt[i];
    }
  }

  private int allocate(int[] lastRead) {
    int n = p.size;
    // Values grouped by the statement that reads them last: a linked list per statement, in the
    // order of the expanded program, where a DOT's partial sums come before its value.
    int[] first = new int[at[n] + 1];
    int[] next = new int[lastRead.length];
    Arrays.fill(first, -1);
    for (int i = 0; i < n; i++) {
      if (p.structured && p.kind(i) == Kind.DOT) {
        for (int v = partials[i]; v < partials[i] + partialSums(p, i); v++) {
          next[v] = first[lastRead[v]];
          first[lastRead[v]] = v;
        }
      }
      if (isStored(i, lastRead)) {
        next[i] = first[lastRead[i]];
        first[lastRead[i]] = i;
      }
    }
    Slots slots = new Slots(first, next, p.outputCount);
    for (int i = 0; i < n; i++) {
      for (int k = 0; p.structured && p.kind(i) == Kind.DOT && k < partialSums(p, i); k++) {
        slots.release(at[i] + k);
        slot[partials[i] + k] = slots.take();
      }
      boolean stored = isStored(i, lastRead);
      if (stored || directSink[i] >= 0 || p.structured && p.kind(i) == Kind.UPDATE) {
        slots.release(at[i + 1] - 1);
        if (stored) {
          slot[i] = slots.take();
        }
      }
    }
    return slots.size;
  }

  /** The linear scan's free slots. */
  private final class Slots {
    private final int[] first;
    private final int[] next;
    private int[] free = new int[16];
    private int freeCount;
    int size;

    Slots(int[] first, int[] next, int size) {
      this.first = first;
      this.next = next;
      this.size = size;
    }

    /** Frees the slots of the values last read by the statement at position {@code e}. */
    void release(int e) {
      for (int v = first[e]; v != -1; v = next[v]) {
        if (freeCount == free.length) {
          free = Arrays.copyOf(free, freeCount * 2);
        }
        free[freeCount++] = slot[v];
      }
    }

    int take() {
      return freeCount > 0 ? free[--freeCount] : size++;
    }
  }

  private boolean isStored(int i, int[] lastRead) {
    return !p.kind(i).isLeaf() && !inline[i] && directSink[i] < 0 && lastRead[i] >= 0;
  }

  /** Counts {@link #LINKS} by the inlining rule: tree size and depth of a chain's links. */
  private static int links() {
    int size = 2; // the first add, with its product inlined
    int depth = 1;
    int links = 1;
    while (size + 1 + 1 <= MAX_TREE_SIZE && depth + 1 <= MAX_TREE_DEPTH) {
      size += 2; // the previous link and this link's product
      depth++;
      links++;
    }
    if (size + 1 <= MAX_TREE_SIZE && depth + 1 <= MAX_TREE_DEPTH) {
      throw new ExceptionInInitializerError("a link fits without its product: LINKS assumes not");
    }
    return links;
  }
}
