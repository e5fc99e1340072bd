package dev.jitgrad.engine.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IdentityIndexTest {
  @Test
  void putIfAbsent_equalButDistinctKeys_keepsThemApart() {
    String a = new String("key");
    String b = new String("key");
    IdentityIndex index = new IdentityIndex(1);

    int first = index.putIfAbsent(a, 7);
    int second = index.putIfAbsent(b, 9);

    assertEquals(-1, first);
    assertEquals(-1, second);
    assertEquals(7, index.get(a));
    assertEquals(9, index.get(b));
    assertEquals(2, index.size());
  }

  @Test
  void putIfAbsent_presentKey_returnsItsValueAndKeepsIt() {
    Object k = new Object();
    IdentityIndex index = new IdentityIndex(4);
    index.putIfAbsent(k, 3);

    int before = index.putIfAbsent(k, 5);

    assertEquals(3, before);
    assertEquals(3, index.get(k));
  }

  @Test
  void randomOperations_growingFarPastItsSize_agreeWithIdentityHashMap() {
    SplittableRandom random = new SplittableRandom(12);
    List<Object> keys = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      keys.add(new Object());
    }
    IdentityIndex index = new IdentityIndex(2);
    Map<Object, Integer> expected = new IdentityHashMap<>();

    for (int step = 0; step < 20_000; step++) {
      Object k = keys.get(random.nextInt(keys.size()));
      int v = random.nextInt(1_000_000);
      if (random.nextBoolean()) {
        Integer old = expected.putIfAbsent(k, v);
        assertEquals(old == null ? -1 : old, index.putIfAbsent(k, v));
      } else if (expected.containsKey(k)) {
        expected.put(k, v);
        index.set(k, v);
      }
    }

    for (Object k : keys) {
      assertEquals(expected.getOrDefault(k, -1), index.get(k));
    }
    assertEquals(expected.size(), index.size());
  }

  @Test
  void set_absentKey_throwsIllegalArgument() {
    IdentityIndex index = new IdentityIndex(4);
    index.putIfAbsent(new Object(), 1);

    assertThrows(IllegalArgumentException.class, () -> index.set(new Object(), 2));
  }
}
