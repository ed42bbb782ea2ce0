package dev.zerobus.station.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bridge's memory under overload: the bridge jar with its default JVM options (as the
 * Dockerfile runs it: {@code java -jar}, no heap setting) and default settings, against the
 * discard emulator with every ack delayed (1 s unless told), under wrk sending single records with
 * wait_for_ack=false for the whole run. Samples the bridge's RSS every 5 s.
 */
final class OverloadBench {
  private static final int SAMPLE_SECONDS = 5;

  private OverloadBench() {}

  /** Counts answers by status in each wrk thread and prints the sums when wrk is done. */
  private static final String COUNT_STATUSES = """
      c200, c429, c503, cother = 0, 0, 0, 0
      response = function(status, headers, body)
        if status == 200 then c200 = c200 + 1
        elseif status == 429 then c429 = c429 + 1
        elseif status == 503 then c503 = c503 + 1
        else cother = cother + 1 end
      end
      local threads = {}
      setup = function(thread) table.insert(threads, thread) end
      done = function(summary, latency, requests)
        local s = {0, 0, 0, 0}
        for _, t in ipairs(threads) do
          s[1] = s[1] + t:get("c200"); s[2] = s[2] + t:get("c429")
          s[3] = s[3] + t:get("c503"); s[4] = s[4] + t:get("cother")
        end
        io.write(string.format("STATUSES 200=%d 429=%d 503=%d other=%d\\n", s[1], s[2], s[3], s[4]))
      end
      """;

  static void run(int seconds, long ackDelayMs, int connections) throws Exception {
    BridgeBench.requireWrk();
    try (EmulatorProcess emulator = EmulatorProcess.start(BenchMain.EMULATOR_JAR, true)) {
      emulator.delayAcks("*", ackDelayMs);
      Path dir = Files.createTempDirectory("bench-overload");
      BridgeBench.writeConfig(dir, emulator);
      List<String> jvm = BridgeBench.jvmOptions(List.of());
      Process bridge = BridgeBench.startBridge(dir, emulator, 1, List.of(), Map.of());
      List<long[]> samples = Collections.synchronizedList(new ArrayList<>()); // {seconds, RSS kB}
      List<Map<String, Double>> metrics = new ArrayList<>();
      BridgeBench.WrkResult wrk;
      try {
        String url = BridgeBench.bridgeUrl(bridge);
        long start = System.nanoTime();
        CompletableFuture<BridgeBench.WrkResult> load = CompletableFuture.supplyAsync(() -> {
          try {
            return BridgeBench.wrk(dir, url, BridgeBench.SCENARIOS.get(0), seconds, connections, COUNT_STATUSES);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        while (!load.isDone()) {
          long elapsed = (System.nanoTime() - start) / 1_000_000_000L;
          samples.add(new long[] {elapsed, rssKb(bridge)});
          Map<String, Double> m = metrics(url);
          metrics.add(m);
          System.out.printf("  %3d s  bridge RSS %,d kB, heap used %,.0f MB of %,.0f MB committed, records in flight"
              + " %,.0f, queued %,.0f%n", elapsed, samples.get(samples.size() - 1)[1], m.get("heap_used") / MB,
              m.get("heap_committed") / MB, m.get("inflight"), m.get("queued"));
          System.out.flush();
          long next = start + (elapsed / SAMPLE_SECONDS + 1) * SAMPLE_SECONDS * 1_000_000_000L;
          while (!load.isDone() && System.nanoTime() < next) {
            Thread.sleep(100);
          }
        }
        wrk = load.join();
        samples.add(new long[] {(System.nanoTime() - start) / 1_000_000_000L, rssKb(bridge)});
      } finally {
        BridgeBench.stop(bridge);
      }

      long min = samples.stream().mapToLong(s -> s[1]).min().orElseThrow();
      long max = samples.stream().mapToLong(s -> s[1]).max().orElseThrow();
      long last = samples.get(samples.size() - 1)[1];
      // The tail: the second half of the run, after the queues filled.
      List<long[]> tail = samples.subList(samples.size() / 2, samples.size());
      long tailMin = tail.stream().mapToLong(s -> s[1]).min().orElseThrow();
      long tailMax = tail.stream().mapToLong(s -> s[1]).max().orElseThrow();
      boolean flat = tailMax - tailMin <= tailMax / 10;
      Matcher statuses = Pattern.compile("STATUSES 200=(\\d+) 429=(\\d+) 503=(\\d+) other=(\\d+)").matcher(wrk.output());
      if (!statuses.find()) {
        throw new IllegalStateException("no status counts in wrk output:\n" + wrk.output());
      }

      System.out.printf("%nOverload: the bridge (java %s-jar %s: %s, default settings, 1 stream per table) against the"
          + " discard emulator with acks delayed %d ms; wrk %d connections, 1 record/request, wait_for_ack=false, %d s;"
          + " %d cores%n", jvm.isEmpty() ? "" : String.join(" ", jvm) + " ", BridgeBench.BRIDGE_JAR,
          jvm.isEmpty() ? "no JVM options, so the JVM's default heap (a quarter of RAM)" : "the options given", ackDelayMs,
          connections, seconds, Runtime.getRuntime().availableProcessors());
      double heapMax = metrics.stream().mapToDouble(m -> m.get("heap_used")).max().orElse(Double.NaN);
      double queuedMax = metrics.stream().mapToDouble(m -> m.get("queued")).max().orElse(Double.NaN);
      System.out.println("| samples | RSS min | RSS max | RSS last | second half min–max | flat (second half within 10%)"
          + " | heap used max | queued records max | requests | 200 | 429 | 503 | other | requests/s |");
      System.out.println("|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
      System.out.printf("| %d | %,d MB | %,d MB | %,d MB | %,d–%,d MB | %s | %,.0f MB | %,.0f | %,d | %,d | %,d | %,d | %,d"
          + " | %,.0f |%n",
          samples.size(), min / 1024, max / 1024, last / 1024, tailMin / 1024, tailMax / 1024, flat ? "yes" : "no",
          heapMax / MB, queuedMax,
          wrk.requests(), Long.parseLong(statuses.group(1)), Long.parseLong(statuses.group(2)),
          Long.parseLong(statuses.group(3)), Long.parseLong(statuses.group(4)), wrk.requestsPerSecond());
    }
  }

  private static final double MB = 1 << 20;
  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

  /**
   * From the bridge's /metrics: heap used and committed (bytes), records in flight and queued
   * (summed over tables and streams); NaN where the answer lacks them.
   */
  private static Map<String, Double> metrics(String url) {
    Map<String, Double> out = new java.util.HashMap<>(Map.of("heap_used", Double.NaN, "heap_committed", Double.NaN,
        "inflight", Double.NaN, "queued", Double.NaN));
    try {
      String text = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/metrics"))
          .timeout(java.time.Duration.ofSeconds(4)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      for (String line : text.split("\n")) {
        String key = line.startsWith("jvm_memory_used_bytes{area=\"heap\"") ? "heap_used"
            : line.startsWith("jvm_memory_committed_bytes{area=\"heap\"") ? "heap_committed"
            : line.startsWith("zerobus_bridge_inflight_records{") ? "inflight"
            : line.startsWith("zerobus_bridge_queued_records{") ? "queued" : null;
        if (key != null) {
          double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          out.merge(key, v, (a, b) -> Double.isNaN(a) ? b : a + b);
        }
      }
    } catch (Exception e) {
      // a slow or missing answer leaves NaN: the RSS sample is what counts
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
    return out;
  }

  /** VmRSS of a live process, in kB. */
  private static long rssKb(Process p) throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for process " + p.pid());
  }
}
