package dev.jitgrad.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;

/**
 * One Spark in {@code local[2]} for every test class of this JVM; Spark's shutdown hook stops it.
 */
public final class LocalSpark {
  private static SparkSession session;

  private LocalSpark() {}

  /** Returns the shared session, or skips the calling test where Spark cannot start at all. */
  public static synchronized SparkSession session() {
    if (session == null) {
      try {
        session =
            SparkSession.builder()
                .master("local[2]")
                .appName("jitgrad tests")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
      } catch (UnsupportedOperationException e) {
        // Hadoop before 3.4.2 calls Subject.getSubject, which JDK 23+ no longer supports.
        if (!String.valueOf(e.getMessage()).contains("getSubject")) {
          throw e;
        }
        String reason =
            "Spark cannot start on JDK " + Runtime.version().feature() + ": " + e.getMessage();
        System.err.println("skipping the Spark tests: " + reason);
        Assumptions.abort(reason);
      }
    }
    return session;
  }

  /** Returns the shared session's context, or skips the calling test as {@link #session}. */
  public static JavaSparkContext context() {
    return JavaSparkContext.fromSparkContext(session().sparkContext());
  }
}
