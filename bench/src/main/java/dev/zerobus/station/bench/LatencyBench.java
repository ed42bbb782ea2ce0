package dev.zerobus.station.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code latency [rate] [seconds] [connections]}: single-record requests with wait_for_ack=true at a
 * fixed rate (an open-loop schedule: request k is due at start + k / rate), to the bridge jar against
 * the discard emulator. A request's latency counts from when it was due, not from when a busy
 * connection got to send it, so a stall shows in the percentiles instead of slowing the load
 * (no coordinated omission). A warm-up at the same rate runs first and is not counted.
 */
final class LatencyBench {
  private LatencyBench() {}

  private static final int WARM_UP_SECONDS = 30;

  /** Latencies (ns) of one run and the answers that were not 200. */
  record Result(long[] nanos, long failed, double achievedRate) {
    double percentileMillis(double p) {
      if (nanos.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.min(nanos.length - 1, Math.ceil(p / 100 * nanos.length) - 1);
      return nanos[Math.max(0, i)] / 1e6;
    }
  }

  static void run(int rate, int seconds, int connections) throws Exception {
    Path dir = Files.createTempDirectory("bench-latency");
    try (EmulatorProcess discard = EmulatorProcess.start(BenchMain.EMULATOR_JAR, true)) {
      BridgeBench.writeConfig(dir, discard);
      Process bridge = BridgeBench.startBridge(dir, discard, 1, BridgeBench.THROUGHPUT_JVM, Map.of());
      try {
        URI url = URI.create(BridgeBench.bridgeUrl(bridge));
        load(url, rate, WARM_UP_SECONDS, connections);
        Map<String, LongSupplier> processes = new LinkedHashMap<>();
        processes.put("bridge", Cpu.of(bridge));
        processes.put("emulator", Cpu.of(discard.process));
        Cpu.Meter meter = new Cpu.Meter(processes);
        Result r = load(url, rate, seconds, connections);
        Cpu.Usage cpu = meter.stop();
        System.out.printf("%nwait_for_ack=true, 1 record/request, at a fixed %,d requests/s over %d connections for %d s"
            + " (after %d s of warm-up), discard emulator%n%n", rate, connections, seconds, WARM_UP_SECONDS);
        System.out.println("| requests | achieved req/s | not 200 | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms"
            + " | bridge µs CPU/request |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        System.out.printf("| %,d | %,.0f | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f |%n", r.nanos().length,
            r.achievedRate(), r.failed(), r.percentileMillis(50), r.percentileMillis(90), r.percentileMillis(99),
            r.percentileMillis(99.9), r.percentileMillis(100), cpu.micros("bridge", r.nanos().length));
      } finally {
        BridgeBench.stop(bridge);
      }
    }
  }

  /** Sends {@code rate * seconds} requests on schedule over {@code connections} kept-alive connections. */
  static Result load(URI url, int rate, int seconds, int connections) throws Exception {
    OpenLoop.Run run = OpenLoop.run(url, "/ingest/station_one?wait_for_ack=true", rate, seconds, connections,
        k -> BridgeBench.RECORD);
    long[] all = run.answers().stream().mapToLong(OpenLoop.Answer::latencyNanos).sorted().toArray();
    long failed = run.answers().stream().filter(a -> a.status() != 200).count();
    return new Result(all, failed, all.length / ((run.endNanos() - run.startNanos()) / 1e9));
  }
}
