package dev.zerobus.station.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * CPU time of processes from /proc/&lt;pid&gt;/stat (utime + stime), and of this process's children
 * that have exited and been waited for (cutime + cstime of this process): that is how wrk, which
 * ends with its run, is measured.
 */
final class Cpu {
  /** Clock ticks per second of /proc/&lt;pid&gt;/stat (USER_HZ, 100 on Linux unless told otherwise). */
  private static final long TICKS = ticks();

  private Cpu() {}

  static LongSupplier self() {
    return () -> stat(ProcessHandle.current().pid(), 14) + stat(ProcessHandle.current().pid(), 15);
  }

  static LongSupplier of(Process p) {
    long pid = p.pid();
    return () -> stat(pid, 14) + stat(pid, 15);
  }

  /** Children of this process that ended and were reaped (Process.waitFor), e.g. a finished wrk. */
  static LongSupplier reapedChildren() {
    return () -> stat(ProcessHandle.current().pid(), 16) + stat(ProcessHandle.current().pid(), 17);
  }

  /** Field {@code field} of /proc/pid/stat as proc(5) numbers them (14 utime ... 17 cstime), in nanoseconds. */
  private static long stat(long pid, int field) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" "); // from field 3, after "pid (comm) "
      return Long.parseLong(f[field - 3]) * 1_000_000_000L / TICKS;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CPU time of process " + pid, e);
    }
  }

  private static long ticks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      return p.waitFor() == 0 ? Long.parseLong(out) : 100;
    } catch (IOException | NumberFormatException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }

  /** CPU time of named processes over one run, and the run's wall time. */
  static final class Meter {
    private final Map<String, LongSupplier> processes;
    private final Map<String, Long> start = new LinkedHashMap<>();
    private final long startNanos;

    Meter(Map<String, LongSupplier> processes) {
      this.processes = new LinkedHashMap<>(processes);
      this.processes.forEach((name, cpu) -> start.put(name, cpu.getAsLong()));
      this.startNanos = System.nanoTime();
    }

    Usage stop() {
      long wall = System.nanoTime() - startNanos;
      Map<String, Long> used = new LinkedHashMap<>();
      processes.forEach((name, cpu) -> used.put(name, cpu.getAsLong() - start.get(name)));
      return new Usage(wall, used);
    }
  }

  /** Wall time and CPU nanoseconds per process name. */
  record Usage(long wallNanos, Map<String, Long> cpuNanos) {
    double seconds() {
      return wallNanos / 1e9;
    }

    double cores(String process) {
      return cpuNanos.getOrDefault(process, 0L) / (double) wallNanos;
    }

    /** Microseconds of the process's CPU per unit (request or record). */
    double micros(String process, long units) {
      return units == 0 ? Double.NaN : cpuNanos.getOrDefault(process, 0L) / 1e3 / units;
    }

    /** "name 1.23 cores, 4.5 µs" for each process, per unit. */
    String describe(long units, String unit) {
      StringBuilder out = new StringBuilder();
      cpuNanos.forEach((name, nanos) -> {
        if (out.length() > 0) {
          out.append("; ");
        }
        out.append(String.format("%s %.2f cores, %.1f µs/%s", name, cores(name), micros(name, units), unit));
      });
      return out.toString();
    }
  }
}
