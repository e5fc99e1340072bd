package dev.jitgrad.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClassPreloaderTest {
  @Test
  void everyNamedClassExists_soTheListCannotRotSilently() {
    List<String> missing = new ArrayList<>();
    for (String[] names : List.of(ClassPreloader.COMPILER, ClassPreloader.ASM)) {
      for (String name : names) {
        try {
          Class.forName(name, false, ClassPreloaderTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
          missing.add(name);
        }
      }
    }

    assertEquals(List.of(), missing);
  }

  @Test
  void namesAreDistinct() {
    Set<String> seen = new HashSet<>();
    for (String[] names : List.of(ClassPreloader.COMPILER, ClassPreloader.ASM)) {
      for (String name : names) {
        assertTrue(seen.add(name), name + " is listed twice");
      }
    }
  }
}
