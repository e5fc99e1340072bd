package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import org.junit.jupiter.api.Test;

class DigitsTest {
  @Test
  void load_shippedData_is1797DigitsOfEveryClass() {
    Digits d = Digits.load();

    int[] perClass = new int[Digits.CLASSES];
    for (int i = 0; i < d.size(); i++) {
      perClass[d.label(i)]++;
    }
    assertEquals(1797, d.size());
    for (int c = 0; c < Digits.CLASSES; c++) {
      // The UCI test split has between 174 and 183 images of each digit.
      assertEquals(178.5, perClass[c], 4.6, "digit " + c);
    }
    // The first image of the CSV, a 0: its first row of pixels is 0,0,5,13,9,1,0,0.
    assertEquals(0, d.label(0));
    assertEquals(13, d.pixel(0, 3));
  }

  @Test
  void parse_shortLine_namesSourceAndLine() {
    String csv = row(0) + "\n" + "1,2,3\n";

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(csv));

    assertEquals("test.csv line 2: expected 65 comma-separated numbers, got 3", e.getMessage());
  }

  @Test
  void parse_badPixel_namesPixelAndLine() {
    String csv = row(3).replaceFirst("^0,", "x,") + "\n";

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(csv));

    assertEquals("test.csv line 1: pixel 0 is 'x', expected a number", e.getMessage());
  }

  @Test
  void parse_labelOutOfRange_namesLabel() {
    String csv = row(0) + "\n\n" + row(10) + "\n";

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(csv));

    assertEquals(
        "test.csv line 3: the label is 10, expected a whole number in [0, 9]", e.getMessage());
  }

  @Test
  void parse_empty_saysNoDigits() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(""));

    assertEquals("test.csv holds no digits", e.getMessage());
  }

  @Test
  void parse_twoRows_keepsPixelsAndLabels() throws Exception {
    Digits d = parse(row(7) + "\n" + row(2).replaceFirst("^0,", "16,") + "\n");

    assertEquals(2, d.size());
    assertEquals(7, d.label(0));
    assertEquals(2, d.label(1));
    assertEquals(16, d.pixel(1, 0));
    assertEquals(0, d.pixel(1, 63));
  }

  private static String row(int label) {
    return String.join(",", Collections.nCopies(Digits.PIXELS, "0")) + "," + label;
  }

  private static Digits parse(String csv) throws Exception {
    return Digits.parse(new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)), "test.csv");
  }
}
