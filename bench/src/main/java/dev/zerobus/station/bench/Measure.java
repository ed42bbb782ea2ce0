package dev.zerobus.station.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/** Wall time and CPU time (this process, and the emulator) over one measured run. */
final class Measure {
  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private final EmulatorProcess emulator;
  private final long startNanos;
  private final long startSelfCpu;
  private final Duration startEmulatorCpu;

  Measure(EmulatorProcess emulator) {
    this.emulator = emulator;
    this.startEmulatorCpu = emulator.cpu();
    this.startSelfCpu = OS.getProcessCpuTime();
    this.startNanos = System.nanoTime();
  }

  Result stop(String name, long records) {
    long wall = System.nanoTime() - startNanos;
    long self = OS.getProcessCpuTime() - startSelfCpu;
    long emu = emulator.cpu().minus(startEmulatorCpu).toNanos();
    return new Result(name, records, wall, self, emu);
  }

  record Result(String name, long records, long wallNanos, long clientCpuNanos, long emulatorCpuNanos) {
    double seconds() {
      return wallNanos / 1e9;
    }

    double recordsPerSecond() {
      return records / seconds();
    }

    /** Cores the emulator kept busy on average. */
    double emulatorCores() {
      return emulatorCpuNanos / (double) wallNanos;
    }

    double clientCores() {
      return clientCpuNanos / (double) wallNanos;
    }

    /** The emulator's part of all CPU both processes used. */
    double emulatorShare() {
      return emulatorCpuNanos / (double) (emulatorCpuNanos + clientCpuNanos);
    }

    /** Microseconds of CPU per record: the client process (this JVM), the emulator. */
    double clientMicrosPerRecord() {
      return clientCpuNanos / 1e3 / records;
    }

    double emulatorMicrosPerRecord() {
      return emulatorCpuNanos / 1e3 / records;
    }

    String row() {
      return String.format("| %-38s | %,10d | %7.2f | %,12.0f | %5.2f | %5.2f | %5.2f | %5.2f | %4.0f%% |", name, records,
          seconds(), recordsPerSecond(), clientCores(), clientMicrosPerRecord(), emulatorCores(),
          emulatorMicrosPerRecord(), 100 * emulatorShare());
    }

    static String header() {
      return "| run                                    |    records | seconds |    records/s | client cores | client µs/record"
          + " | emulator cores | emulator µs/record | emulator share |\n"
          + "|---|---:|---:|---:|---:|---:|---:|---:|---:|";
    }
  }
}
