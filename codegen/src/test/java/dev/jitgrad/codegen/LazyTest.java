package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A value made on first use ({@link Lazy}): once per caller at most, never waiting. */
class LazyTest {
  @Test
  void get_twoThreadsAtOnce_bothMakeWithoutWaitingAndShareOneValue() throws Exception {
    CountDownLatch bothMaking = new CountDownLatch(2);
    AtomicInteger makes = new AtomicInteger();
    Lazy<Object> lazy =
        new Lazy<>(
            () -> {
              makes.incrementAndGet();
              bothMaking.countDown();
              try {
                // Returns only once the other thread makes one too: a get() that waited for the
                // first maker would leave this one waiting until the timeout.
                assertTrue(bothMaking.await(30, TimeUnit.SECONDS), "the other thread waited");
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return new Object();
            });
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Object> a = pool.submit(lazy::get);
      Future<Object> b = pool.submit(lazy::get);

      Object first = a.get(60, TimeUnit.SECONDS);
      Object second = b.get(60, TimeUnit.SECONDS);

      assertEquals(2, makes.get());
      assertSame(first, second, "one value wins, both threads get it");
      assertSame(first, lazy.get());
      assertFalse(lazy.pending());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void get_makerReturnsNull_makesOnceAndKeepsNull() {
    AtomicInteger makes = new AtomicInteger();
    Lazy<String> lazy =
        new Lazy<>(
            () -> {
              makes.incrementAndGet();
              return null;
            });
    boolean before = lazy.pending();

    String first = lazy.get();
    String second = lazy.get();

    assertTrue(before);
    assertNull(first);
    assertNull(second);
    assertEquals(1, makes.get());
    assertFalse(lazy.pending());
  }

  @Test
  void get_makerThrows_throwsAndStaysPending() {
    AtomicInteger makes = new AtomicInteger();
    Lazy<String> lazy =
        new Lazy<>(
            () -> {
              if (makes.incrementAndGet() == 1) {
                throw new IllegalStateException("first try fails");
              }
              return "made";
            });

    IllegalStateException e = assertThrows(IllegalStateException.class, lazy::get);
    boolean pendingAfterFailure = lazy.pending();
    String retried = lazy.get();

    assertEquals("first try fails", e.getMessage());
    assertTrue(pendingAfterFailure);
    assertEquals("made", retried);
    assertEquals(2, makes.get());
  }

  @Test
  void of_value_isMadeAlready() {
    Lazy<String> lazy = Lazy.of("x");

    boolean pending = lazy.pending();

    assertFalse(pending);
    assertEquals("x", lazy.get());
  }
}
