package dev.jitgrad.spark.examples;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The main class of {@code jitgrad-spark-examples.jar}: runs {@link SparkDemo} with the jars of the
 * {@code lib} folder beside the jar (Spark, copied there by the build) on its class path, since a
 * manifest's {@code Class-Path} cannot name them as Maven builds it. Under {@code spark-submit},
 * name {@code SparkDemo} as the class instead: the cluster brings Spark.
 */
public final class Launcher {
  private Launcher() {}

  /** Runs {@link SparkDemo#main} in a class loader over this jar and {@code lib/*.jar}. */
  public static void main(String[] args) throws Exception {
    Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path lib = jar.resolveSibling("lib");
    List<URL> urls = new ArrayList<>();
    urls.add(jar.toUri().toURL());
    try (Stream<Path> files = Files.list(lib)) {
      for (Path file : (Iterable<Path>) files.sorted()::iterator) {
        if (file.toString().endsWith(".jar")) {
          urls.add(file.toUri().toURL());
        }
      }
    } catch (IOException e) {
      System.err.println("jitgrad-spark: cannot list Spark's jars in " + lib + ": " + e);
      System.exit(1);
    }
    ClassLoader loader =
        new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
    Thread.currentThread().setContextClassLoader(loader);
    try {
      Class.forName(SparkDemo.class.getName(), true, loader)
          .getMethod("main", String[].class)
          .invoke(null, (Object) args);
    } catch (InvocationTargetException e) {
      throw (Exception) e.getCause();
    }
  }
}
