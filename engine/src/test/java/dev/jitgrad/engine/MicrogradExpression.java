package dev.jitgrad.engine;

/** The expression of micrograd's README, whose published numbers are an external oracle. */
public final class MicrogradExpression {
  private MicrogradExpression() {}

  /** Returns g(a, b), written op for op as micrograd's README writes it. */
  public static Value build(Value a, Value b) {
    Value c = a.add(b);
    Value d = a.mul(b).add(b.pow(3));
    c = c.add(c.add(1));
    c = c.add(Value.of(1).add(c).add(a.neg()));
    d = d.add(d.mul(2).add(b.add(a).relu()));
    d = d.add(d.mul(3).add(b.sub(a).relu()));
    Value e = c.sub(d);
    Value f = e.pow(2);
    Value g = f.div(2.0);
    return g.add(Value.of(10.0).div(f));
  }
}
