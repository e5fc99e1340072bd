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
 */
final class Layout {
  static final int MAX_TREE_SIZE = 48;
  static final int MAX_TREE_DEPTH = 24;

  final boolean[] inline;

  /**
   * For an instruction whose only reader is a sink, that sink's index (it is stored there
   * directly), else -1.
   */
  final int[] directSink;

  final int[] treeSize;
  final int[] slot;
  final int workspaceSize;

  Layout(Program p) {
    int n = p.size;
    int[] uses = p.useCounts();
    boolean[] readBySink = new boolean[n];
    directSink = new int[n];
    Arrays.fill(directSink, -1);
    for (int s = 0; s < p.sinkCount(); s++) {
      int v = p.sinkValue[s];
      readBySink[v] = true;
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
      for (int j = 0; j < p.arity(i); j++) {
        int o = p.operand(i, j);
        user[o] = i;
        boolean candidate = !p.kind(o).isLeaf() && uses[o] == 1 && !readBySink[o];
        if (candidate
            && treeSize[i] + treeSize[o] <= MAX_TREE_SIZE
            && depth[o] + 1 <= MAX_TREE_DEPTH) {
          inline[o] = true;
          treeSize[i] += treeSize[o];
          depth[i] = Math.max(depth[i], depth[o] + 1);
        }
      }
    }
    int[] evalAt = new int[n];
    for (int i = n - 1; i >= 0; i--) {
      evalAt[i] = inline[i] ? evalAt[user[i]] : i;
    }
    int[] lastRead = new int[n];
    Arrays.fill(lastRead, -1);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < p.arity(i); j++) {
        int o = p.operand(i, j);
        lastRead[o] = Math.max(lastRead[o], evalAt[i]);
      }
    }
    for (int v : p.sinkValue) {
      lastRead[v] = n;
    }
    slot = new int[n];
    Arrays.fill(slot, -1);
    workspaceSize = allocate(p, lastRead);
  }

  /** Returns whether instruction {@code i} is computed in its own statement into a slot. */
  boolean stored(int i) {
    return slot[i] >= 0;
  }

  private int allocate(Program p, int[] lastRead) {
    int n = p.size;
    // Values grouped by the statement that reads them last: a linked list per statement.
    int[] first = new int[n + 1];
    int[] next = new int[n];
    Arrays.fill(first, -1);
    for (int i = 0; i < n; i++) {
      if (isStored(p, i, lastRead)) {
        next[i] = first[lastRead[i]];
        first[lastRead[i]] = i;
      }
    }
    int[] free = new int[16];
    int freeCount = 0;
    int size = p.outputCount;
    for (int i = 0; i < n; i++) {
      boolean stored = isStored(p, i, lastRead);
      if (!stored && directSink[i] < 0) {
        continue;
      }
      for (int v = first[i]; v != -1; v = next[v]) {
        if (freeCount == free.length) {
          free = Arrays.copyOf(free, freeCount * 2);
        }
        free[freeCount++] = slot[v];
      }
      if (stored) {
        slot[i] = freeCount > 0 ? free[--freeCount] : size++;
      }
    }
    return size;
  }

  private boolean isStored(Program p, int i, int[] lastRead) {
    return !p.kind(i).isLeaf() && !inline[i] && directSink[i] < 0 && lastRead[i] >= 0;
  }
}
