package dev.jitgrad.engine.internal;

import java.util.Arrays;

/**
 * A map from objects, by identity, to ints other than -1, in two flat arrays (open addressing with
 * linear probing): no entry objects and no boxed values, so a million-node graph costs two arrays
 * instead of a million map entries.
 */
public final class IdentityIndex {
  private Object[] keys;
  private int[] values;
  private int size;

  /** Returns an empty index that holds {@code expected} entries without growing. */
  public IdentityIndex(int expected) {
    int capacity = Integer.highestOneBit(Math.max(8, expected) * 2 - 1) * 2;
    keys = new Object[capacity];
    values = new int[capacity];
  }

  /** Returns how many keys the index holds. */
  public int size() {
    return size;
  }

  /** Returns the value of {@code key}, or -1 if it has none. */
  public int get(Object key) {
    Object[] k = keys;
    int mask = k.length - 1;
    for (int slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      Object present = k[slot];
      if (present == key) {
        return values[slot];
      }
      if (present == null) {
        return -1;
      }
    }
  }

  /**
   * Maps {@code key} to {@code value} unless it has a value already.
   *
   * @return the value it had, or -1 if it was absent (and now maps to {@code value})
   */
  public int putIfAbsent(Object key, int value) {
    Object[] k = keys;
    int mask = k.length - 1;
    int slot = hash(key) & mask;
    for (; k[slot] != null; slot = (slot + 1) & mask) {
      if (k[slot] == key) {
        return values[slot];
      }
    }
    k[slot] = key;
    values[slot] = value;
    if (++size * 2 > k.length) {
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
    Object[] k = keys;
    int mask = k.length - 1;
    for (int slot = hash(key) & mask; k[slot] != null; slot = (slot + 1) & mask) {
      if (k[slot] == key) {
        values[slot] = value;
        return;
      }
    }
    throw new IllegalArgumentException("the index holds no such key");
  }

  private void grow() {
    Object[] oldKeys = keys;
    int[] oldValues = values;
    keys = new Object[oldKeys.length * 2];
    values = new int[keys.length];
    int mask = keys.length - 1;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != null) {
        int slot = hash(oldKeys[i]) & mask;
        while (keys[slot] != null) {
          slot = (slot + 1) & mask;
        }
        keys[slot] = oldKeys[i];
        values[slot] = oldValues[i];
      }
    }
    Arrays.fill(oldKeys, null);
  }

  private static int hash(Object key) {
    int h = System.identityHashCode(key) * 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}
