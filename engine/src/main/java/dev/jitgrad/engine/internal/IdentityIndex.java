package dev.jitgrad.engine.internal;

import dev.jitgrad.engine.Value;
import java.util.Arrays;

/**
 * A map from objects, by identity, to ints other than -1, in flat arrays (open addressing with
 * linear probing): no entry objects and no boxed values, so a million-node graph costs a few arrays
 * instead of a million map entries.
 *
 * <p>The hash table holds entry numbers, not keys: keys and values are appended in insertion order,
 * so inserting writes a reference only next to the last one written. A reference written at a
 * random place in a large array made the collector's write barrier mark a new card for almost every
 * node (G1 keeps a large array in the old generation, and the keys are young): that was a third of
 * a fresh JVM's traversal of a 100,000-node graph.
 */
public final class IdentityIndex {
  /** Per slot, 1 + the entry there, or 0 if it is free. */
  private int[] table;

  private Object[] keys;
  private int[] values;
  private int size;

  /** Returns an empty index that holds {@code expected} entries without growing. */
  public IdentityIndex(int expected) {
    int capacity = Integer.highestOneBit(Math.max(8, expected) * 2 - 1) * 2;
    table = new int[capacity];
    keys = new Object[capacity / 2];
    values = new int[capacity / 2];
  }

  /** Returns how many keys the index holds. */
  public int size() {
    return size;
  }

  /** Returns the value of {@code key}, or -1 if it has none. */
  public int get(Object key) {
    int entry = find(key);
    return entry < 0 ? -1 : values[entry];
  }

  /**
   * Maps {@code key} to {@code value} unless it has a value already.
   *
   * @return the value it had, or -1 if it was absent (and now maps to {@code value})
   */
  public int putIfAbsent(Object key, int value) {
    int[] t = table;
    int mask = t.length - 1;
    int slot = hash(key) & mask;
    for (int e = t[slot] - 1; e >= 0; e = t[slot] - 1) {
      if (keys[e] == key) {
        return values[e];
      }
      slot = (slot + 1) & mask;
    }
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2);
      values = Arrays.copyOf(values, size * 2);
    }
    keys[size] = key;
    values[size] = value;
    t[slot] = ++size;
    if (size * 2 > t.length) {
      grow();
    }
    return -1;
  }

  /**
   * Sets the value of {@code key}, which the index holds.
   *
   * @throws IllegalArgumentException if {@code key} is absent
   */
  public void set(Object key, int value) {
    int entry = find(key);
    if (entry < 0) {
      throw new IllegalArgumentException("the index holds no such key");
    }
    values[entry] = value;
  }

  /** Returns the entry of {@code key}, or -1. */
  private int find(Object key) {
    int[] t = table;
    int mask = t.length - 1;
    for (int slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      int e = t[slot] - 1;
      if (e < 0 || keys[e] == key) {
        return e;
      }
    }
  }

  private void grow() {
    table = new int[table.length * 2];
    int mask = table.length - 1;
    for (int e = 0; e < size; e++) {
      int slot = hash(keys[e]) & mask;
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = e + 1;
    }
  }

  private static int hash(Object key) {
    // a Value's hash code numbers nodes in the order they were made. Used as they are, numbers
    // made one after another take slots side by side: a graph made in one go is found in few cache
    // lines, but new nodes whose slots fall among its leaves' probe to the end of the leaves' run,
    // and the engine's step (new nodes on old params each time) ran 10 to 60 times as long. Times
    // an odd constant, consecutive numbers take slots that far apart, so no run forms.
    int h = (key instanceof Value v ? v.hashCode() : System.identityHashCode(key)) * 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}
