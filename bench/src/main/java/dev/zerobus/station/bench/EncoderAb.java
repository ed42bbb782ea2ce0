package dev.zerobus.station.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * This encoder against another build's (an older bench jar), in one JVM, in alternating rounds: on
 * a shared, noisy machine both sides then see the same load, which back-to-back JMH runs cannot
 * promise, and rates are per second of the thread's CPU time, so time spent descheduled does not
 * count. Each side is loaded in its own class loader and called the same way.
 *
 * <pre>java -jar bench/target/zerobus-bench.jar encoder-ab /path/to/older-zerobus-bench.jar [rounds]</pre>
 */
final class EncoderAb {
  private EncoderAb() {}

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** One build's encoder for one table shape, and that build's records for it. */
  private record Side(String name, Object encoder, Method encode, List<byte[]> records) {
    /**
     * Records encoded per second of this thread's CPU time, over about {@code nanos} of wall time: on a
     * shared machine the thread is often descheduled, and CPU time leaves those pauses out.
     */
    double opsIn(long nanos) throws Exception {
      long cpu0 = THREADS.getCurrentThreadCpuTime();
      long end = System.nanoTime() + nanos;
      long ops = 0;
      int i = 0;
      int n = records.size();
      while (System.nanoTime() < end) {
        for (int k = 0; k < 256; k++) {
          encode.invoke(encoder, records.get(i));
          i = (i + 1) % n;
        }
        ops += 256;
      }
      return ops / ((THREADS.getCurrentThreadCpuTime() - cpu0) / 1e9);
    }
  }

  static void run(Path otherJar, int rounds) throws Exception {
    Path thisJar = Path.of(EncoderAb.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    System.out.printf("A = %s (this build), B = %s; %d alternating 1 s rounds per shape after 5 warm-up rounds%n%n",
        thisJar.getFileName(), otherJar, rounds);
    System.out.println("| shape | A records per CPU-second (median) | B records per CPU-second (median) |"
        + " A / B (median of per-round ratios) |");
    System.out.println("|---|---:|---:|---:|");
    for (String shape : List.of("station_one", "wide_30")) {
      Side a = side("A", thisJar, shape);
      Side b = side("B", otherJar, shape);
      for (int w = 0; w < 5; w++) {
        a.opsIn(1_000_000_000L);
        b.opsIn(1_000_000_000L);
      }
      double[] as = new double[rounds];
      double[] bs = new double[rounds];
      double[] ratios = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        // Alternate which side goes first, so neither always follows the other.
        if (r % 2 == 0) {
          as[r] = a.opsIn(1_000_000_000L);
          bs[r] = b.opsIn(1_000_000_000L);
        } else {
          bs[r] = b.opsIn(1_000_000_000L);
          as[r] = a.opsIn(1_000_000_000L);
        }
        ratios[r] = as[r] / bs[r];
      }
      System.out.printf("| %s | %,.0f | %,.0f | %.2f |%n", shape, median(as), median(bs), median(ratios));
    }
  }

  private static Side side(String name, Path jar, String shape) throws Exception {
    URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
    Class<?> bench = loader.loadClass(EncoderBench.class.getName());
    Method tables = bench.getDeclaredMethod("tables");
    Method records = bench.getDeclaredMethod("records", String.class, int.class);
    tables.setAccessible(true);
    records.setAccessible(true);
    Object registry = tables.invoke(null);
    Object table = ((Optional<?>) registry.getClass().getMethod("find", String.class).invoke(registry, shape)).orElseThrow();
    Object encoder = table.getClass().getMethod("encoder").invoke(table);
    Method encode = encoder.getClass().getMethod("encode", byte[].class);
    @SuppressWarnings("unchecked")
    List<byte[]> rows = new ArrayList<>((List<byte[]>) records.invoke(null, shape, 1024));
    return new Side(name, encoder, encode, rows);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
