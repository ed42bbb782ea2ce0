package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Collects what a class-loading failure would leave behind while the plugin runs from plugin.path:
 * log lines (target/connect-tests.log), anything printed on stderr, and exceptions that escape on
 * any thread (the JVM reports one thrown on a native thread when that thread detaches).
 */
final class ClassLoadingWatch implements AutoCloseable {
  private static final Path LOG = Path.of("target/connect-tests.log");

  private final List<Throwable> uncaught = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private final Thread.UncaughtExceptionHandler previousHandler = Thread.getDefaultUncaughtExceptionHandler();
  private final PrintStream previousErr = System.err;
  private final long logStart;
  private boolean closed;

  ClassLoadingWatch() throws IOException {
    logStart = Files.exists(LOG) ? Files.size(LOG) : 0;
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
      uncaught.add(e);
      System.err.println("uncaught in " + t.getName() + ": " + e);
    });
    System.setErr(new PrintStream(new Tee(previousErr, stderr), true, StandardCharsets.UTF_8));
  }

  /** Stops watching and fails if a class could not be loaded or an exception escaped. */
  void assertClean() throws IOException {
    close();
    String logged = "";
    if (Files.exists(LOG)) {
      byte[] all = Files.readAllBytes(LOG);
      int from = (int) Math.min(logStart, all.length);
      logged = new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }
    for (String text : List.of(logged, stderr.toString(StandardCharsets.UTF_8), uncaught.toString())) {
      assertTrue(!text.contains("NoClassDefFoundError") && !text.contains("ClassNotFoundException"),
          "a class-loading error was logged:\n" + excerpt(text));
    }
    assertTrue(uncaught.isEmpty(), "exceptions escaped on some thread: " + uncaught);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      System.setErr(previousErr);
      Thread.setDefaultUncaughtExceptionHandler(previousHandler);
    }
  }

  private static String excerpt(String text) {
    int i = Math.max(text.indexOf("NoClassDefFoundError"), text.indexOf("ClassNotFoundException"));
    return text.substring(Math.max(0, i - 2_000), Math.min(text.length(), i + 2_000));
  }

  /** Writes to both streams. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override
    public void flush() throws IOException {
      a.flush();
      b.flush();
    }
  }
}
