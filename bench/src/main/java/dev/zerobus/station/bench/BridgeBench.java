package dev.zerobus.station.bench;

import com.databricks.zerobus.ZerobusSdk;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The REST bridge under load from wrk, beside its ceilings, in one run: the SDK driven directly
 * (against a landing and a discard emulator), and a raw Undertow server with the bridge's listener
 * settings under the same wrk load. The bridge and the raw server are child processes, as are the
 * emulators; wrk is a third; everything shares the machine's cores, which the tables say. Then
 * the bridge again with more streams per table, against the discard emulator.
 */
final class BridgeBench {
  static final Path BRIDGE_JAR = Path.of("rest-bridge/target/zerobus-station.jar");
  static final Path WRK = Path.of("/usr/bin/wrk");
  /** JVM options of the bridge and raw-server children in throughput runs. */
  static final List<String> THROUGHPUT_JVM = List.of("-Xmx1g");
  private static final String TABLE = "bench.bridge.station_one";
  static final String RECORD = "{\"device_name\": \"sensor-001\", \"temp\": 25, \"humidity\": 60}";

  private BridgeBench() {}

  record Scenario(String name, String path, String contentType, String body, int recordsPerRequest) {}

  record WrkResult(double requestsPerSecond, String p50, String p99, long requests, long errors, String output) {}

  /** One wrk run against one server, with the CPU each process used. */
  record Run(Scenario scenario, WrkResult wrk, Cpu.Usage cpu) {
    double recordsPerSecond() {
      return wrk.requestsPerSecond() * scenario.recordsPerRequest();
    }
  }

  static final List<Scenario> SCENARIOS = List.of(
      new Scenario("1 record/request, wait_for_ack=false", "/ingest/station_one", "application/json", RECORD, 1),
      new Scenario("1 record/request, wait_for_ack=true", "/ingest/station_one?wait_for_ack=true",
          "application/json", RECORD, 1),
      new Scenario("100 records/request (JSON array), wait_for_ack=false", "/ingest/station_one",
          "application/json", "[" + String.join(",", Collections.nCopies(100, RECORD)) + "]", 100),
      new Scenario("1000 records/request (NDJSON), wait_for_ack=true", "/ingest/station_one?wait_for_ack=true",
          "application/x-ndjson", String.join("\n", Collections.nCopies(1000, RECORD)) + "\n", 1000));

  /** The scenarios repeated for each further streams-per-table value: one single-record, one batch. */
  private static final List<Scenario> SCALING = List.of(SCENARIOS.get(0), SCENARIOS.get(2));

  static void requireWrk() {
    if (!Files.isExecutable(WRK)) {
      throw new IllegalStateException("wrk is needed: apt-get install wrk");
    }
  }

  static void run(int sdkRecords, int seconds, int connections, List<Integer> streamsPerTable) throws Exception {
    requireWrk();
    try (EmulatorProcess landing = EmulatorProcess.start(BenchMain.EMULATOR_JAR);
        EmulatorProcess discard = EmulatorProcess.start(BenchMain.EMULATOR_JAR, true)) {
      List<byte[]> rows = BenchMain.stationOneRows(sdkRecords);
      List<Measure.Result> sdk = new ArrayList<>();
      for (EmulatorProcess emulator : List.of(landing, discard)) {
        try (ZerobusSdk client = new ZerobusSdk(emulator.endpoint(), emulator.workspaceUrl())) {
          BenchMain.single(client, emulator, "sdk.warm_for_bridge", rows.subList(0, Math.min(50_000, rows.size())));
          BenchMain.batched(client, emulator, "sdk.warm_batch_for_bridge",
              rows.subList(0, Math.min(100_000, rows.size())), 1000);
          sdk.add(BenchMain.single(client, emulator, "sdk.single_for_bridge", rows));
          sdk.add(BenchMain.batched(client, emulator, "sdk.batch_for_bridge", rows, 1000));
        }
      }
      Measure.Result ceilingSingle = sdk.get(2);
      Measure.Result ceilingBatch = sdk.get(3);

      Path dir = Files.createTempDirectory("bench-bridge");
      writeConfig(dir, discard);

      // The HTTP ceiling: the same wrk load on raw Undertow.
      List<Run> raw = new ArrayList<>();
      Process rawServer = startJava(THROUGHPUT_JVM, List.of("-cp", System.getProperty("java.class.path"),
          RawUndertow.class.getName()), Map.of());
      try {
        String url = listening(rawServer, Pattern.compile("^Raw Undertow on (http://\\S+)$"), "the raw Undertow server");
        wrk(dir, url, SCENARIOS.get(0), 15, connections); // JIT warm-up
        for (Scenario s : SCENARIOS) {
          raw.add(measured(dir, url, s, seconds, connections, Map.of("raw Undertow", Cpu.of(rawServer))));
        }
      } finally {
        stop(rawServer);
      }

      Map<Integer, List<Run>> bridge = new LinkedHashMap<>();
      long before = discard.rowCount(TABLE);
      for (int n : streamsPerTable) {
        List<Scenario> scenarios = bridge.isEmpty() ? SCENARIOS : SCALING;
        Process process = startBridge(dir, discard, n, THROUGHPUT_JVM, Map.of("ZEROBUS_MAX_QUEUED_RECORDS", "100000"));
        List<Run> runs = new ArrayList<>();
        try {
          String url = bridgeUrl(process);
          // JIT warm-up: on 2 cores shared with wrk the compiler is still busy after 10 s of single records.
          wrk(dir, url, SCENARIOS.get(0), 30, connections);
          wrk(dir, url, SCENARIOS.get(2), 10, connections); // and the batch path
          for (Scenario s : scenarios) {
            Map<String, LongSupplier> processes = new LinkedHashMap<>();
            processes.put("bridge", Cpu.of(process));
            processes.put("emulator", Cpu.of(discard.process));
            Run r = measured(dir, url, s, seconds, connections, processes);
            runs.add(r);
          }
        } finally {
          stop(process); // a graceful stop flushes what the bridge accepted
        }
        bridge.put(n, runs);
      }
      long landed = discard.rowCount(TABLE) - before;

      int cores = Runtime.getRuntime().availableProcessors();
      System.out.printf("%nSDK 1.0.1 directly, %,d pre-encoded station_one records per run, %d cores; client = this JVM%n",
          rows.size(), cores);
      System.out.println(Measure.Result.header());
      sdk.forEach(r -> System.out.println(r.row()));

      System.out.printf("%nREST bridge and raw Undertow under wrk (%d connections, 2 threads, %d s per run), the bridge"
          + " (%s, --streams-per-table %d) against the discard emulator; JVM options of both servers: %s; %d cores"
          + " shared by all processes%n", connections, seconds, BRIDGE_JAR, streamsPerTable.get(0),
          String.join(" ", jvmOptions(THROUGHPUT_JVM)), cores);
      System.out.println("| run | server | requests/s | records/s | p50 | p99 | non-2xx | bridge / raw requests/s"
          + " | records/s / SDK (discard) | server µs CPU/request | server cores | emulator cores | wrk cores |");
      System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      List<Run> first = bridge.values().iterator().next();
      for (int i = 0; i < SCENARIOS.size(); i++) {
        Run r = raw.get(i);
        Run b = first.get(i);
        Measure.Result ceiling = b.scenario().recordsPerRequest() == 1 ? ceilingSingle : ceilingBatch;
        System.out.println(row(r, "raw Undertow", "raw Undertow", "", ""));
        System.out.println(row(b, "bridge", "bridge",
            String.format("%.2f", b.wrk().requestsPerSecond() / r.wrk().requestsPerSecond()),
            String.format("%.2f", b.recordsPerSecond() / ceiling.recordsPerSecond())));
      }
      System.out.printf("SDK (discard) = %s; single-record requests are compared with %,.0f records/s, batches with"
          + " %,.0f%n", ceilingSingle.name(), ceilingSingle.recordsPerSecond(), ceilingBatch.recordsPerSecond());

      System.out.printf("%nStreams per table: the bridge against the discard emulator, %d s per run%n", seconds);
      System.out.println("| streams per table | run | requests/s | records/s | vs 1 stream | bridge µs CPU/request"
          + " | bridge cores | emulator cores | wrk cores | non-2xx |");
      System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (Scenario s : SCALING) {
        double base = Double.NaN;
        for (Map.Entry<Integer, List<Run>> e : bridge.entrySet()) {
          Run r = e.getValue().stream().filter(x -> x.scenario() == s).findFirst().orElseThrow();
          if (Double.isNaN(base)) {
            base = r.recordsPerSecond();
          }
          System.out.printf("| %d | %s | %,.0f | %,.0f | %.2f | %.1f | %.2f | %.2f | %.2f | %d |%n", e.getKey(),
              s.name(), r.wrk().requestsPerSecond(), r.recordsPerSecond(), r.recordsPerSecond() / base,
              r.cpu().micros("bridge", r.wrk().requests()), r.cpu().cores("bridge"), r.cpu().cores("emulator"),
              r.cpu().cores("wrk"), r.wrk().errors());
        }
      }
      long expected = expectedRecords(bridge);
      System.out.printf("%nRecords from 2xx answers of the measured runs: %,d; records the discard emulator acknowledged"
          + " (warm-ups included): %,d%n", expected, landed);
      if (landed < expected) {
        throw new IllegalStateException("records were lost: " + landed + " < " + expected);
      }
    }
  }

  private static long expectedRecords(Map<Integer, List<Run>> bridge) {
    long expected = 0;
    for (List<Run> runs : bridge.values()) {
      for (Run r : runs) {
        expected += (r.wrk().requests() - r.wrk().errors()) * r.scenario().recordsPerRequest();
      }
    }
    return expected;
  }

  private static String row(Run r, String server, String cpuOf, String vsRaw, String vsSdk) {
    return String.format("| %s | %s | %,.0f | %,.0f | %s | %s | %d | %s | %s | %.1f | %.2f | %s | %.2f |",
        r.scenario().name(), server, r.wrk().requestsPerSecond(), r.recordsPerSecond(), r.wrk().p50(), r.wrk().p99(),
        r.wrk().errors(), vsRaw, vsSdk, r.cpu().micros(cpuOf, r.wrk().requests()), r.cpu().cores(cpuOf),
        r.cpu().cpuNanos().containsKey("emulator") ? String.format("%.2f", r.cpu().cores("emulator")) : "",
        r.cpu().cores("wrk"));
  }

  /** A wrk run with the CPU time of the given processes, and of wrk itself, over it. */
  static Run measured(Path dir, String url, Scenario s, int seconds, int connections,
      Map<String, LongSupplier> processes) throws Exception {
    Map<String, LongSupplier> all = new LinkedHashMap<>(processes);
    all.put("wrk", Cpu.reapedChildren());
    Cpu.Meter meter = new Cpu.Meter(all);
    WrkResult r = wrk(dir, url, s, seconds, connections);
    return new Run(s, r, meter.stop());
  }

  static void writeConfig(Path dir, EmulatorProcess emulator) throws IOException {
    Files.writeString(dir.resolve("config.json"), """
        {"databricks": {"server_endpoint": "%s", "workspace_id": "bench", "workspace_url": "%s"},
         "tables": {"station_one": {"table_name": "%s", "message_name": "StationOne",
           "fields": [{"name": "device_name", "type": "string", "field_num": 1},
                      {"name": "temp", "type": "int32", "field_num": 2},
                      {"name": "humidity", "type": "int64", "field_num": 3}]}}}
        """.formatted(emulator.endpoint(), emulator.workspaceUrl(), TABLE));
  }

  /** The JVM options a child gets: the given ones, then -Dbench.bridgeJvmArgs (e.g. a JFR recording). */
  static List<String> jvmOptions(List<String> base) {
    List<String> out = new ArrayList<>(base);
    String extra = System.getProperty("bench.bridgeJvmArgs", "").trim();
    if (!extra.isEmpty()) {
      out.addAll(List.of(extra.split("\\s+")));
    }
    return out;
  }

  /**
   * The bridge jar as a child process ({@code java [options] -jar zerobus-station.jar ...}), the
   * emulator's credentials in its environment; -Dbench.bridgeArgs adds bridge options.
   */
  static Process startBridge(Path dir, EmulatorProcess emulator, int streamsPerTable, List<String> jvm,
      Map<String, String> env) throws IOException {
    if (!Files.exists(BRIDGE_JAR)) {
      throw new IllegalStateException(BRIDGE_JAR + " is missing: run mvn -B -Pbench -DskipTests package first");
    }
    List<String> args = new ArrayList<>(List.of("-jar", BRIDGE_JAR.toString(),
        "--config", dir.resolve("config.json").toString(), "--port", "0",
        "--env-file", dir.resolve("none.env").toString(), "--streams-per-table", String.valueOf(streamsPerTable)));
    String extra = System.getProperty("bench.bridgeArgs", "").trim();
    if (!extra.isEmpty()) {
      args.addAll(List.of(extra.split("\\s+")));
    }
    Map<String, String> environment = new LinkedHashMap<>(Map.of("DATABRICKS_CLIENT_ID", emulator.clientId(),
        "DATABRICKS_CLIENT_SECRET", emulator.clientSecret(), "ZEROBUS_LINGER_MS", System.getProperty("bench.lingerMs", "0")));
    environment.putAll(env);
    return startJava(jvm, args, environment);
  }

  static Process startJava(List<String> jvm, List<String> args, Map<String, String> env) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmOptions(jvm));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    return pb.start();
  }

  /** Stops a child gracefully (SIGTERM: the bridge flushes what it accepted) and waits for it. */
  static void stop(Process p) throws InterruptedException {
    p.destroy();
    p.waitFor();
  }

  static String bridgeUrl(Process bridge) throws IOException {
    return listening(bridge, Pattern.compile("^Zerobus Station \\S+ on (http://\\S+)$"), "the bridge");
  }

  /** Reads the child's output until the line giving its URL, then drains the rest in the background. */
  private static String listening(Process process, Pattern listening, String what) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> seen = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      Matcher m = listening.matcher(line);
      if (m.matches()) {
        Thread drain = new Thread(() -> {
          try {
            out.lines().forEach(l -> { });
          } catch (java.io.UncheckedIOException closed) {
            // the process stopped
          }
        });
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
      seen.add(line);
    }
    throw new IllegalStateException(what + " exited before it listened:\n" + String.join("\n", seen));
  }

  static WrkResult wrk(Path dir, String url, Scenario s, int seconds, int connections) throws Exception {
    return wrk(dir, url, s, seconds, connections, "");
  }

  /** Runs wrk with a POST script ({@code extraLua} appended: e.g. response counting) and parses its report. */
  static WrkResult wrk(Path dir, String url, Scenario s, int seconds, int connections, String extraLua)
      throws Exception {
    Path body = dir.resolve("body-" + s.recordsPerRequest() + ".txt");
    Files.writeString(body, s.body());
    Path script = dir.resolve("post.lua");
    Files.writeString(script, """
        local f = assert(io.open("%s", "rb"))
        wrk.method = "POST"
        wrk.body = f:read("*a")
        f:close()
        wrk.headers["Content-Type"] = "%s"
        """.formatted(body.toAbsolutePath(), s.contentType()) + extraLua);
    Process p = new ProcessBuilder(WRK.toString(), "-t2", "-c" + connections, "-d" + seconds + "s", "--latency",
        "-s", script.toString(), url + s.path()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("wrk failed:\n" + out);
    }
    double rps = Double.parseDouble(find(out, "Requests/sec:\\s+([\\d.]+)"));
    long requests = Long.parseLong(find(out, "(\\d+) requests in"));
    String errors = findOrNull(out, "Non-2xx or 3xx responses: (\\d+)");
    return new WrkResult(rps, find(out, "\\s50%\\s+(\\S+)"), find(out, "\\s99%\\s+(\\S+)"), requests,
        errors == null ? 0 : Long.parseLong(errors), out);
  }

  static String find(String text, String regex) {
    String v = findOrNull(text, regex);
    if (v == null) {
      throw new IllegalStateException("no " + regex + " in wrk output:\n" + text);
    }
    return v;
  }

  static String findOrNull(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? m.group(1) : null;
  }
}
