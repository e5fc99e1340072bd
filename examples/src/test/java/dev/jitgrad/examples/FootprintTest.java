package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jitgrad.nn.MLP;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FootprintTest {
  @ParameterizedTest
  @ValueSource(strings = {"1", "16,16", "3,5,7,2"})
  void parameters_layerSizes_countsTheModelsParameters(String hidden) {
    String[] parts = hidden.split(",");
    int[] sizes = new int[parts.length + 1];
    for (int i = 0; i < parts.length; i++) {
      sizes[i] = Integer.parseInt(parts[i]);
    }
    sizes[parts.length] = 1;

    long count = Footprint.parameters(sizes);

    assertEquals(new MLP(2, sizes).parameters().size(), count);
  }

  @Test
  void parameters_layersBeyondIntRange_countsWithoutOverflow() {
    long count = Footprint.parameters(new int[] {100_000, 100_000, 1});

    assertEquals(3L * 100_000 + 100_001L * 100_000 + 100_001, count);
  }

  @Test
  void training_hugeSizes_saturatesInsteadOfOverflowing() {
    Settings settings =
        new Settings(1, Integer.MAX_VALUE, new int[] {Integer.MAX_VALUE}, Integer.MAX_VALUE);

    long bytes = Footprint.training(settings, EngineKind.INTERPRETER);

    assertEquals(Long.MAX_VALUE, bytes);
  }

  @Test
  void check_moreThanTheHeap_throwsWithBothNumbers() {
    long needed = Runtime.getRuntime().maxMemory() + 1;

    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> Footprint.check(needed, "this job"));

    assertTrue(e.getMessage().startsWith("this job needs an estimated "), e.getMessage());
    assertTrue(e.getMessage().contains(String.format("(%,d > ", needed)), e.getMessage());
  }

  @Test
  void bytes_sizes_useDecimalUnits() {
    assertEquals("999 bytes", Footprint.bytes(999));
    assertEquals("1.5 kB", Footprint.bytes(1_500));
    assertEquals("256.8 MB", Footprint.bytes(256_835_276));
    assertEquals("9.2 EB", Footprint.bytes(Long.MAX_VALUE));
  }
}
