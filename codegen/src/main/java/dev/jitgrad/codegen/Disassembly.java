package dev.jitgrad.codegen;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.Textifier;
import org.objectweb.asm.util.TraceClassVisitor;

/**
 * Generated classes as text, for {@code bytecode()}. Kept out of the classes that compile: the JVM
 * loads the types a method passes around when it verifies the method's class, so a compile would
 * otherwise load ASM's printers (and open their jar) without ever printing.
 */
final class Disassembly {
  private Disassembly() {}

  /** Returns {@code classes} as text, with ASM's {@code Textifier}. */
  static String text(List<byte[]> classes) {
    StringWriter text = new StringWriter();
    PrintWriter out = new PrintWriter(text);
    for (byte[] c : classes) {
      new ClassReader(c).accept(new TraceClassVisitor(null, new Textifier(), out), 0);
    }
    out.flush();
    return text.toString();
  }
}
