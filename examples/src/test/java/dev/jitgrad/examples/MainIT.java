package dev.jitgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the built {@code target/jitgrad.jar} (through Failsafe, after packaging). */
class MainIT {
  @Test
  void version_fromTheJar_isTheProjectVersion() throws Exception {
    String jar = System.getProperty("jitgrad.jar");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(java, "-jar", jar, "--version").redirectErrorStream(true).start();

    boolean exited = p.waitFor(60, TimeUnit.SECONDS);
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertTrue(exited, "no exit within 60 s");
    assertEquals(0, p.exitValue(), output);
    assertEquals("jitgrad " + System.getProperty("jitgrad.version"), output.strip());
  }
}
