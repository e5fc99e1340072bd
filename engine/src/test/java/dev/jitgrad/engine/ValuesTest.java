package dev.jitgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ValuesTest {
  private final List<Value> values = List.of(Value.of(1.0), Value.of(-2.5), Value.of(7.0));

  @Test
  void data_ofValues_copiesInListOrder() {
    double[] data = Values.data(values);

    assertArrayEquals(new double[] {1.0, -2.5, 7.0}, data, 0.0);
  }

  @Test
  void setData_thenData_roundTrips() {
    double[] source = {0.5, 1e-300, -Double.MAX_VALUE};

    Values.setData(values, source);

    assertArrayEquals(source, Values.data(values), 0.0);
  }

  @Test
  void copyData_intoTarget_fillsIt() {
    double[] target = new double[3];

    Values.copyData(values, target);

    assertArrayEquals(new double[] {1.0, -2.5, 7.0}, target, 0.0);
  }

  @Test
  void setGrads_thenGrads_roundTripsAndZeroGradClears() {
    double[] source = {3.0, -4.0, 0.25};

    Values.setGrads(values, source);
    double[] grads = Values.grads(values);
    Values.zeroGrad(values);

    assertArrayEquals(source, grads, 0.0);
    assertArrayEquals(new double[3], Values.grads(values), 0.0);
  }

  @Test
  void bridgeMethods_wrongLength_throwNamingBothLengths() {
    double[] five = new double[5];
    List<Executable> calls =
        List.of(
            () -> Values.setData(values, five),
            () -> Values.copyData(values, five),
            () -> Values.setGrads(values, five));

    for (Executable call : calls) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);

      assertTrue(e.getMessage().contains("5") && e.getMessage().contains("3"), e.getMessage());
    }
  }

  @Test
  void bridgeMethods_nullArgument_throwNullPointerNamingIt() {
    double[] three = new double[3];
    List<NamedCall> calls =
        List.of(
            new NamedCall("values", () -> Values.data(null)),
            new NamedCall("values", () -> Values.grads(null)),
            new NamedCall("values", () -> Values.zeroGrad(null)),
            new NamedCall("values", () -> Values.copyData(null, three)),
            new NamedCall("target", () -> Values.copyData(values, null)),
            new NamedCall("values", () -> Values.setData(null, three)),
            new NamedCall("source", () -> Values.setData(values, null)),
            new NamedCall("source", () -> Values.setGrads(values, null)));

    for (NamedCall call : calls) {
      NullPointerException e = assertThrows(NullPointerException.class, call.call());

      assertEquals(call.argument(), e.getMessage());
    }
  }

  private record NamedCall(String argument, Executable call) {}

  @Test
  void setData_computedNode_throwsIllegalState() {
    List<Value> mixed = List.of(Value.of(1.0), Value.of(1.0).mul(2.0));

    assertThrows(IllegalStateException.class, () -> Values.setData(mixed, new double[] {3, 4}));
  }

  @Test
  void setData_wrongLength_leavesValuesUnchanged() {
    assertThrows(IllegalArgumentException.class, () -> Values.setData(values, new double[2]));

    assertEquals(1.0, values.get(0).data());
  }
}
