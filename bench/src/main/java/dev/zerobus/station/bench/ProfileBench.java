package dev.zerobus.station.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where the bridge's CPU goes on the single-record path: the bridge (a child process, as the
 * bridge bench runs it) under async-profiler's CPU sampling (itimer, so native frames, syscalls and
 * the SDK's Rust threads count too) against the discard emulator, under wrk, after a warm-up.
 * Prints the samples by part of the request's life, the top frames, and the CPU per request.
 *
 * <pre>java -jar bench/target/zerobus-bench.jar profile [seconds, default 30] [wait_for_ack, default false]</pre>
 */
final class ProfileBench {
  private ProfileBench() {}

  /** The profiler writes one file per this many seconds; only files wholly inside the measured run count. */
  private static final int SLICE_SECONDS = 10;

  /** Parts of a request's life, by a frame on the stack; the first that matches counts a sample. */
  private static final Map<String, List<String>> PARTS = parts();

  private static Map<String, List<String>> parts() {
    Map<String, List<String>> p = new LinkedHashMap<>();
    p.put("access log (line and appender)", List.of("AccessLogHandler$AccessLogCompletionListener"));
    p.put("other logging", List.of("ch/qos/logback"));
    p.put("JIT compiler", List.of("CompileBroker", "C2Compiler", "Compile::"));
    p.put("garbage collector", List.of("GCTaskThread", "G1", "WorkerThread::run", "ConcurrentGCThread"));
    p.put("SDK: its Rust runtime (gRPC, acks)", List.of("tokio", "h2::", "tonic", "mio::"));
    p.put("SDK: the ingest call", List.of("com/databricks/zerobus"));
    p.put("response: write and complete", List.of("AsyncSenderImpl", "HttpServerExchange.endExchange"));
    p.put("response: JSON body", List.of("bridge/Json.send"));
    p.put("metrics", List.of("io/prometheus"));
    p.put("encoder", List.of("RecordEncoder"));
    p.put("delivery: the lane, its strand and ledger", List.of("station/core/delivery/"));
    p.put("request body read", List.of("BodyReader"));
    p.put("ingest handler, other", List.of("IngestHandler"));
    p.put("edge (request id, in-flight, metrics)", List.of("bridge/Edge"));
    p.put("HTTP parsing and routing (Undertow)", List.of("io/undertow"));
    p.put("I/O thread: select, wake-ups", List.of("org/xnio", "epoll"));
    return p;
  }

  static void run(int seconds, boolean waitForAck) throws Exception {
    BridgeBench.requireWrk();
    Path dir = Files.createTempDirectory("bench-profile");
    Path library = extractProfiler(dir);
    int connections = 64;
    BridgeBench.Scenario scenario = BridgeBench.SCENARIOS.get(waitForAck ? 1 : 0);
    try (EmulatorProcess discard = EmulatorProcess.start(BenchMain.EMULATOR_JAR, true)) {
      BridgeBench.writeConfig(dir, discard);
      String agent = "-agentpath:" + library + "=start,event=itimer,interval=1ms,collapsed,loop=" + SLICE_SECONDS
          + "s,file=" + dir.resolve("slice-%n{6}.collapsed");
      List<String> jvm = new ArrayList<>(BridgeBench.THROUGHPUT_JVM);
      jvm.add(agent);
      Process bridge = BridgeBench.startBridge(dir, discard, 1, jvm, Map.of("ZEROBUS_MAX_QUEUED_RECORDS", "100000"));
      BridgeBench.Run run;
      long from;
      long to;
      try {
        String url = BridgeBench.bridgeUrl(bridge);
        BridgeBench.wrk(dir, url, scenario, 30, connections); // JIT warm-up
        from = System.currentTimeMillis();
        Map<String, LongSupplier> processes = new LinkedHashMap<>();
        processes.put("bridge", Cpu.of(bridge));
        processes.put("emulator", Cpu.of(discard.process));
        run = BridgeBench.measured(dir, url, scenario, seconds, connections, processes);
        to = System.currentTimeMillis();
      } finally {
        BridgeBench.stop(bridge);
      }
      List<Path> slices;
      try (Stream<Path> files = Files.list(dir)) {
        slices = files.filter(p -> p.getFileName().toString().startsWith("slice-")).filter(p -> {
          long written = p.toFile().lastModified();
          return written >= from + SLICE_SECONDS * 1000L && written <= to + 1000;
        }).sorted().collect(Collectors.toList());
      }
      if (slices.isEmpty()) {
        throw new IllegalStateException("no profile slice lies inside the measured " + seconds + " s; run longer than "
            + 2 * SLICE_SECONDS + " s");
      }
      print(scenario, run, slices, connections);
    }
  }

  private static void print(BridgeBench.Scenario scenario, BridgeBench.Run run, List<Path> slices, int connections)
      throws IOException {
    Map<String, Long> byPart = new LinkedHashMap<>();
    PARTS.keySet().forEach(k -> byPart.put(k, 0L));
    Map<String, Long> self = new LinkedHashMap<>();
    long total = 0;
    for (Path slice : slices) {
      for (String line : Files.readAllLines(slice)) {
        int space = line.lastIndexOf(' ');
        if (space < 0) {
          continue;
        }
        String stack = line.substring(0, space);
        long n = Long.parseLong(line.substring(space + 1));
        total += n;
        String part = "other";
        for (Map.Entry<String, List<String>> e : PARTS.entrySet()) {
          if (e.getValue().stream().anyMatch(stack::contains)) {
            part = e.getKey();
            break;
          }
        }
        byPart.merge(part, n, Long::sum);
        self.merge(stack.substring(stack.lastIndexOf(';') + 1), n, Long::sum);
      }
    }
    long requests = run.wrk().requests();
    double bridgeMicros = run.cpu().cpuNanos().get("bridge") / 1e3 / requests;
    System.out.printf("%nProfile of the bridge: %s, wrk %d connections, %d s (%d s of it profiled in %d-s slices),"
        + " discard emulator; async-profiler itimer, 1 ms%n", scenario.name(), connections,
        Math.round(run.cpu().wallNanos() / 1e9), slices.size() * SLICE_SECONDS,
        SLICE_SECONDS);
    System.out.printf("%,.0f requests/s; bridge %.1f µs CPU per request (%.2f cores), emulator %.1f µs, wrk %.1f µs%n%n",
        run.wrk().requestsPerSecond(), bridgeMicros, run.cpu().cpuNanos().get("bridge") / (double) run.cpu().wallNanos(),
        run.cpu().cpuNanos().get("emulator") / 1e3 / requests, run.cpu().cpuNanos().get("wrk") / 1e3 / requests);
    System.out.println("| part of the request's life | share of the bridge's samples | ≈ µs CPU per request |");
    System.out.println("|---|---:|---:|");
    final long all = total;
    byPart.entrySet().stream().filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
        .forEach(e -> System.out.printf("| %s | %.1f%% | %.1f |%n", e.getKey(), 100.0 * e.getValue() / all,
            bridgeMicros * e.getValue() / all));
    System.out.println();
    System.out.println("| top frames (self) | share |");
    System.out.println("|---|---:|");
    self.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())).limit(15)
        .forEach(e -> System.out.printf("| `%s` | %.1f%% |%n", e.getKey(), 100.0 * e.getValue() / all));
  }

  /** The profiler's Linux x64 library from the bench jar's classpath (async-profiler on Maven Central). */
  private static Path extractProfiler(Path dir) throws IOException {
    Path out = dir.resolve("libasyncProfiler.so");
    try (InputStream in = ProfileBench.class.getResourceAsStream("/linux-x64/libasyncProfiler.so")) {
      if (in == null) {
        throw new IllegalStateException("linux-x64/libasyncProfiler.so is not on the classpath");
      }
      Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
    }
    return out;
  }
}
