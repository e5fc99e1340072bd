package dev.jitgrad.codegen;

import dev.jitgrad.engine.Op;
import java.util.Arrays;
import java.util.List;

/**
 * The statements the emitter writes, in order, each as flat tokens: what the statement computes
 * (its shape: which arrays it reads and writes, constants, ops) kept apart from where (its indices
 * into those arrays). Two statements with equal shapes differ only in their indices, which is what
 * {@link Rolling} looks for.
 *
 * <p>A statement is {@code target[index] = expression}: a TARGET token, then the expression in
 * postfix order (LOAD, CONST, OP and HELPER tokens), then an implicit store. TARGET and LOAD name
 * the emitter's local that holds the array and take the next index; CONST is followed by one token
 * holding the raw bits of the constant, an OP by one such token per constant its bytecode takes
 * ({@code k}, then {@code k2}); a HELPER names a derivative helper's {@link Kind}.
 */
final class Tape {
  static final int TARGET = 1;
  static final int LOAD = 2;
  static final int CONST = 3;
  static final int OP = 4;
  static final int HELPER = 5;

  /** The tokens of a product and a sum, which take no constants. */
  private static final long MUL = opToken(Op.MUL);

  private static final long ADD = opToken(Op.ADD);

  private int size;
  private int[] tokenStart;
  private int[] indexStart;
  private int[] treeSize;
  private int[] shapeHash;

  /** {@link #shapeHashes}, once asked for. */
  private int[] shapeHashes;

  private int hash = 1; // of the tokens of the statement being written
  private long[] tokens;
  private int tokenCount;
  private int[] indices;
  private byte[] accesses;
  private int indexCount;

  private final Program p;
  private final Layout layout;

  /**
   * The loops {@link Rolling#find(Tape, int)} found here once it has searched, or those it found in
   * the same statements written before (see {@link LazyLanes}); null until then.
   */
  volatile List<Rolling.Loop> loops;

  private Tape(Program p, Layout layout) {
    this.p = p;
    this.layout = layout;
    // sized for what the statements will take, as far as the program tells: arrays grown by
    // doubling were most of a fresh 784-64-10 compile's garbage (16 of 32 MB, with a young
    // collection in the compile for it); an estimate short of the need still grows
    long statements = 0;
    long tokens = 0;
    long indices = 0;
    for (int i = 0; i < p.size; i++) {
      if (p.structured && p.kind(i) == Kind.UPDATE) {
        int n = Layout.products(p, i);
        statements += n;
        tokens += 6L * n; // pg[e] = pg[e] + x·g
        indices += 4L * n;
        continue;
      }
      if (p.structured && p.kind(i) == Kind.DOT) {
        int n = Layout.products(p, i);
        int k = Layout.partialSums(p, i);
        statements += k;
        tokens += 4L * n + 2L * k; // per product w, x, MUL, ADD
        indices += 2L * n + 2L * k;
      }
      if (layout.stored(i) || layout.directSink[i] >= 0) {
        statements++;
        tokens += 3L * layout.treeSize[i] + 2;
        indices += layout.treeSize[i] + 2L;
      }
    }
    statements += p.sinkCount();
    tokens += 2L * p.sinkCount();
    indices += 2L * p.sinkCount();
    int rows = capacity(statements + 1);
    tokenStart = new int[rows + 1];
    indexStart = new int[rows + 1];
    treeSize = new int[rows];
    shapeHash = new int[rows];
    this.tokens = new long[capacity(tokens)];
    this.indices = new int[capacity(indices)];
    accesses = new byte[this.indices.length];
  }

  /** Returns an array length for an estimated need of {@code n}, at least 64. */
  private static int capacity(long n) {
    return (int) Math.max(64, Math.min(n, Integer.MAX_VALUE - 8));
  }

  /** Returns the statements that compute {@code p} as {@code layout} stores it. */
  static Tape of(Program p, Layout layout) {
    Tape t = new Tape(p, layout);
    for (int i = 0; i < p.size; i++) {
      if (p.structured && p.kind(i) == Kind.UPDATE) {
        t.update(i);
        continue;
      }
      for (int k = 0; p.structured && p.kind(i) == Kind.DOT && k < Layout.partialSums(p, i); k++) {
        t.add(TARGET, Emitter.WS, layout.partial(i, k));
        t.dot(i, k);
        t.end(2 * Layout.LINKS);
      }
      if (!layout.stored(i) && layout.directSink[i] < 0) {
        continue; // a leaf, part of a later statement's expression, or unused
      }
      if (layout.stored(i)) {
        t.add(TARGET, Emitter.WS, layout.slot[i]);
      } else {
        t.sinkTarget(layout.directSink[i]);
      }
      t.compute(i);
      t.end(layout.treeSize[i]);
    }
    for (int s = 0; s < p.sinkCount(); s++) {
      if (layout.directSink[p.sinkValue[s]] != s) {
        t.sinkTarget(s);
        t.value(p.sinkValue[s]);
        t.end(1);
      }
    }
    return t;
  }

  /** Returns how many statements there are. */
  int size() {
    return size;
  }

  int tokenStart(int statement) {
    return tokenStart[statement];
  }

  int tokenEnd(int statement) {
    return tokenStart[statement + 1];
  }

  int indexStart(int statement) {
    return indexStart[statement];
  }

  int indexEnd(int statement) {
    return indexStart[statement + 1];
  }

  long token(int t) {
    return tokens[t];
  }

  int index(int x) {
    return indices[x];
  }

  /** Returns the array (an emitter's local) that index {@code x} addresses. */
  int array(int x) {
    return accesses[x] & 0xf;
  }

  /** Returns whether index {@code x} is a statement's target, written rather than read. */
  boolean isTarget(int x) {
    return accesses[x] >> 4 == TARGET;
  }

  static int type(long token) {
    return (int) (token >>> 56);
  }

  /** Returns the token of {@code op}, as a statement holds it. */
  static long opToken(Op op) {
    return (long) OP << 56 | op.ordinal();
  }

  static int payload(long token) {
    return (int) token;
  }

  /**
   * Returns whether every parameter gradient element is read by exactly one statement, the one
   * statement that writes it, and no statement touches input gradients: what lane code needs. Read
   * from the statements' indices alone, a flag per element.
   */
  boolean gradientChainsInOneStatement() {
    boolean[] seen = new boolean[64];
    for (int s = 0; s < size; s++) {
      int target = -1;
      int reads = 0;
      int readIndex = -1;
      for (int x = indexStart[s]; x < indexStart[s + 1]; x++) {
        int array = accesses[x] & 0xf;
        if (array == Emitter.IG) {
          return false;
        }
        if (array == Emitter.PG && accesses[x] >> 4 == TARGET) {
          target = indices[x];
        } else if (array == Emitter.PG) {
          reads++;
          readIndex = indices[x];
        }
      }
      boolean chain = target >= 0 && reads == 1 && readIndex == target;
      if (target < 0 && reads == 0) {
        continue;
      }
      if (!chain) {
        return false;
      }
      if (target >= seen.length) {
        seen = Arrays.copyOf(seen, Math.max(target + 1, 2 * seen.length));
      }
      if (seen[target]) {
        return false;
      }
      seen[target] = true;
    }
    return true;
  }

  /** Returns whether statements {@code a} and {@code b} compute the same up to indices. */
  boolean sameShape(int a, int b) {
    return Arrays.equals(
        tokens, tokenStart[a], tokenStart[a + 1], tokens, tokenStart[b], tokenStart[b + 1]);
  }

  /**
   * Returns a hash of each statement's shape, the hash of its tokens as a list of longs: equal
   * shapes, equal hashes. The array is made once per size of the tape and shared by every caller
   * (lane code searches each gap between loops with its own {@link Rolling}), so none may write it.
   */
  int[] shapeHashes() {
    if (shapeHashes == null || shapeHashes.length != size) {
      shapeHashes = Arrays.copyOf(shapeHash, size);
    }
    return shapeHashes;
  }

  /** Returns how many computations statement {@code s} evaluates: its expression's tree size. */
  int treeSize(int s) {
    return treeSize[s];
  }

  /**
   * Returns an upper bound on the bytecode of statement {@code s}, in a loop (where an index is
   * computed) or not.
   */
  int bytesBound(int s, boolean inLoop) {
    return bytesBound(s, inLoop ? 1 : 0, false);
  }

  /**
   * Returns an upper bound on the bytecode of statement {@code s} inside {@code depth} loops, where
   * an index is a constant plus a stride times each loop's counter, or, if {@code keyed}, a
   * constant plus a local that holds those products.
   */
  int bytesBound(int s, int depth, boolean keyed) {
    // aload, the index, daload. The index: ldc_w outside loops; in loops, per loop iload, ldc_w,
    // imul, iadd, then ldc_w, iadd; keyed iload, ldc_w, iadd. A constant: ldc2_w.
    int load = depth == 0 ? 5 : keyed ? 9 : 7 + 7 * depth;
    int bytes = 1;
    for (int t = tokenStart[s]; t < tokenStart[s + 1]; t++) {
      int type = type(tokens[t]);
      if (type == TARGET || type == LOAD) {
        bytes += load;
      } else if (type == OP) {
        int constants = Emitter.constants(payload(tokens[t]));
        bytes += Emitter.opBytes(payload(tokens[t])) + 3 * constants;
        t += constants;
      } else {
        bytes += 3;
        t += type == CONST ? 1 : 0;
      }
    }
    return bytes;
  }

  /** Returns an upper bound on the constant pool entries that statement {@code s} adds. */
  int poolBound(int s) {
    return poolBound(s, 1);
  }

  /**
   * Returns an upper bound on the constant pool entries that statement {@code s} adds inside {@code
   * depth} loops: an index its constant and a stride per loop, a constant two, on two tokens.
   */
  int poolBound(int s, int depth) {
    return (1 + depth) * (tokenStart[s + 1] - tokenStart[s]);
  }

  private void sinkTarget(int s) {
    int kind = p.sinkKind[s];
    int array =
        kind == Program.OUTPUT ? Emitter.WS : kind == Program.PARAM_GRAD ? Emitter.PG : Emitter.IG;
    add(TARGET, array, p.sinkIndex[s]);
  }

  /** Appends the tokens that push the value of instruction {@code i}. */
  private void value(int i) {
    Kind kind = p.kind(i);
    if (kind == Kind.CONST) {
      constant(p.k[i]);
    } else if (kind.isLeaf()) {
      int array =
          kind == Kind.INPUT
              ? Emitter.IN
              : kind == Kind.PARAM ? Emitter.P : kind == Kind.PARAM_GRAD ? Emitter.PG : Emitter.IG;
      add(LOAD, array, p.index(i));
    } else if (layout.inline[i]) {
      compute(i);
    } else {
      add(LOAD, Emitter.WS, layout.slot[i]);
    }
  }

  /** Appends the tokens that push the operands of computation {@code i} and apply it. */
  private void compute(int i) {
    if (p.structured && p.kind(i) == Kind.DOT) {
      dot(i, Layout.partialSums(p, i));
      return;
    }
    value(p.operand(i, 0));
    if (p.kind(i).isHelper()) {
      for (int j = 1; j < p.arity(i); j++) {
        value(p.operand(i, j));
      }
      token((long) HELPER << 56 | p.kind(i).ordinal());
      return;
    }
    Op op = p.op(i);
    if (op.arity() < 0) { // n-ary: fold left to right, as Lowering does; one term is c0 + -0.0
      if (p.arity(i) == 1) {
        constant(-0.0);
        op(op, i);
      }
      for (int j = 1; j < p.arity(i); j++) {
        value(p.operand(i, j));
        op(op, i);
      }
      return;
    }
    for (int j = 1; j < p.arity(i); j++) {
      value(p.operand(i, j));
    }
    op(op, i);
  }

  /**
   * Appends the tokens of statement {@code k} of DOT {@code i} as {@link Lowering} expands it: the
   * DOT's first operand (or the partial sum before) and then, product by product, {@code w·x} (or
   * {@code x·w}) and an add; {@link Layout#LINKS} products a statement, the last one the rest.
   */
  private void dot(int i, int k) {
    if (k == 0) {
      value(p.operand(i, 0));
    } else {
      add(LOAD, Emitter.WS, layout.partial(i, k - 1));
    }
    boolean weightFirst = p.k2(i) > 0;
    int end = Math.min(Layout.products(p, i), (k + 1) * Layout.LINKS);
    for (int j = k * Layout.LINKS + 1; j <= end; j++) {
      if (weightFirst) {
        add(LOAD, Emitter.P, p.weight(i, j));
      }
      value(p.operand(i, j));
      if (!weightFirst) {
        add(LOAD, Emitter.P, p.weight(i, j));
      }
      token(MUL);
      token(ADD);
    }
  }

  /**
   * Appends the statements of UPDATE {@code i} as {@link Lowering} expands it: from the last weight
   * to the first, {@code pg[e] = pg[e] + x·g}.
   */
  private void update(int i) {
    for (int j = Layout.products(p, i); j >= 1; j--) {
      update(i, j);
    }
  }

  /**
   * Appends the statement of weight {@code j} of UPDATE {@code i}. A method of its own because of a
   * fresh JVM: HotSpot compiles a method called 200 times, but {@link #update(int)}'s loop, 64
   * calls of 784 trips at 784-64-10, reaches neither that nor its threshold for compiling a loop,
   * so it runs interpreted, and is best left with one call a statement.
   */
  private void update(int i, int j) {
    int element = p.weight(i, j);
    add(TARGET, Emitter.PG, element);
    add(LOAD, Emitter.PG, element);
    value(p.operand(i, j));
    value(p.operand(i, 0));
    token(MUL);
    token(ADD);
    end(2);
  }

  private void op(Op op, int i) {
    token(opToken(op));
    int constants = Emitter.constants(op);
    if (constants > 0) {
      token(Double.doubleToRawLongBits(p.k[i]));
    }
    if (constants > 1) {
      token(Double.doubleToRawLongBits(p.k2(i)));
    }
  }

  private void constant(double value) {
    token((long) CONST << 56);
    token(Double.doubleToRawLongBits(value));
  }

  private void add(int type, int array, int index) {
    token((long) type << 56 | array);
    if (indexCount == indices.length) {
      indices = Arrays.copyOf(indices, grow(indexCount));
      accesses = Arrays.copyOf(accesses, indices.length);
    }
    accesses[indexCount] = (byte) (type << 4 | array);
    indices[indexCount++] = index;
  }

  private void token(long token) {
    if (tokenCount == tokens.length) {
      tokens = Arrays.copyOf(tokens, grow(tokenCount));
    }
    tokens[tokenCount++] = token;
    hash = 31 * hash + Long.hashCode(token);
  }

  private void end(int computations) {
    if (size + 2 == tokenStart.length) {
      tokenStart = Arrays.copyOf(tokenStart, grow(tokenStart.length));
      indexStart = Arrays.copyOf(indexStart, tokenStart.length);
      treeSize = Arrays.copyOf(treeSize, tokenStart.length);
      shapeHash = Arrays.copyOf(shapeHash, tokenStart.length);
    }
    treeSize[size] = computations;
    shapeHash[size] = hash;
    hash = 1;
    size++;
    tokenStart[size] = tokenCount;
    indexStart[size] = indexCount;
  }

  private static int grow(int n) {
    long m = Math.min(Integer.MAX_VALUE - 8, n * 2L);
    if (m <= n) {
      throw new GraphTooLargeException("the emitter's statement list", n + 1L, n);
    }
    return (int) m;
  }
}
