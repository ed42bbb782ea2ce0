package dev.zerobus.station.bench;

import com.databricks.zerobus.ZerobusSdk;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The REST bridge under load from wrk, against the SDK driven directly, all against one emulator
 * in one run. Processes: the emulator and the bridge are children of this one; wrk is a third.
 * Everything shares the machine's cores, which the table says.
 */
final class BridgeBench {
  static final Path BRIDGE_JAR = Path.of("rest-bridge/target/zerobus-station.jar");

  private BridgeBench() {}

  record Scenario(String name, String path, String contentType, String body, int recordsPerRequest) {}

  record WrkResult(double requestsPerSecond, String p50, String p99, long requests, long errors) {}

  static void run(int sdkRecords, int seconds, int connections) throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/wrk"))) {
      throw new IllegalStateException("wrk is needed: apt-get install wrk");
    }
    try (EmulatorProcess emulator = EmulatorProcess.start(BenchMain.EMULATOR_JAR)) {
      List<byte[]> rows = BenchMain.stationOneRows(sdkRecords);
      Measure.Result sdkSingle;
      Measure.Result sdkBatch;
      try (ZerobusSdk sdk = new ZerobusSdk(emulator.endpoint(), emulator.workspaceUrl())) {
        BenchMain.single(sdk, emulator, "sdk.warm_for_bridge", rows.subList(0, Math.min(50_000, rows.size())));
        BenchMain.batched(sdk, emulator, "sdk.warm_batch_for_bridge", rows.subList(0, Math.min(100_000, rows.size())), 1000);
        sdkSingle = BenchMain.single(sdk, emulator, "sdk.single_for_bridge", rows);
        sdkBatch = BenchMain.batched(sdk, emulator, "sdk.batch_for_bridge", rows, 1000);
      }
      Path dir = Files.createTempDirectory("bench-bridge");
      Files.writeString(dir.resolve("config.json"), """
          {"databricks": {"server_endpoint": "%s", "workspace_id": "bench", "workspace_url": "%s"},
           "tables": {"station_one": {"table_name": "bench.bridge.station_one", "message_name": "StationOne",
             "fields": [{"name": "device_name", "type": "string", "field_num": 1},
                        {"name": "temp", "type": "int32", "field_num": 2},
                        {"name": "humidity", "type": "int64", "field_num": 3}]}}}
          """.formatted(emulator.endpoint(), emulator.workspaceUrl()));
      String record = "{\"device_name\": \"sensor-001\", \"temp\": 25, \"humidity\": 60}";
      String hundred = "[" + String.join(",", java.util.Collections.nCopies(100, record)) + "]";
      String thousandLines = String.join("\n", java.util.Collections.nCopies(1000, record)) + "\n";
      List<Scenario> scenarios = List.of(
          new Scenario("1 record/request, wait_for_ack=false", "/ingest/station_one", "application/json", record, 1),
          new Scenario("1 record/request, wait_for_ack=true", "/ingest/station_one?wait_for_ack=true",
              "application/json", record, 1),
          new Scenario("100 records/request (JSON array), wait_for_ack=false", "/ingest/station_one",
              "application/json", hundred, 100),
          new Scenario("1000 records/request (NDJSON), wait_for_ack=true", "/ingest/station_one?wait_for_ack=true",
              "application/x-ndjson", thousandLines, 1000));

      Process bridge = startBridge(dir, emulator);
      try {
        String url = bridgeUrl(bridge);
        wrk(dir, url, scenarios.get(0), 10, connections); // warm-up (JIT) of the single-record path
        wrk(dir, url, scenarios.get(2), 5, connections); // and of the batch path
        Thread.sleep(2000);
        List<WrkResult> results = new ArrayList<>();
        long before = emulator.rowCount("bench.bridge.station_one");
        long expected = 0;
        for (Scenario s : scenarios) {
          WrkResult r = wrk(dir, url, s, seconds, connections);
          results.add(r);
          expected += (r.requests() - r.errors()) * s.recordsPerRequest();
        }
        Thread.sleep(2000);
        long landed = emulator.rowCount("bench.bridge.station_one") - before;

        System.out.printf("REST bridge under wrk (%d connections, 2 threads, %d s per run) vs the SDK directly, against"
            + " the emulator; %d cores shared by all processes%n", connections, seconds,
            Runtime.getRuntime().availableProcessors());
        System.out.println("| run | requests/s | records/s | p50 | p99 | non-2xx | records/s vs SDK direct |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        System.out.printf("| SDK direct, ingestRecordOffset (1 record/call, %,d records) | | %,.0f | | | | 1.00 |%n",
            rows.size(), sdkSingle.recordsPerSecond());
        System.out.printf("| SDK direct, ingestRecordsOffset (1000 records/call, %,d records) | | %,.0f | | | | 1.00 |%n",
            rows.size(), sdkBatch.recordsPerSecond());
        for (int i = 0; i < scenarios.size(); i++) {
          Scenario s = scenarios.get(i);
          WrkResult r = results.get(i);
          double recordsPerSecond = r.requestsPerSecond() * s.recordsPerRequest();
          Measure.Result baseline = s.recordsPerRequest() == 1 ? sdkSingle : sdkBatch;
          System.out.printf("| bridge, %s | %,.0f | %,.0f | %s | %s | %d | %.2f |%n", s.name(), r.requestsPerSecond(),
              recordsPerSecond, r.p50(), r.p99(), r.errors(), recordsPerSecond / baseline.recordsPerSecond());
        }
        System.out.printf("Rows landed from 2xx answers: %,d expected, %,d in the table%n", expected, landed);
        if (landed < expected) {
          throw new IllegalStateException("rows were lost: " + landed + " < " + expected);
        }
      } finally {
        bridge.destroy();
        bridge.waitFor();
      }
    }
  }

  private static Process startBridge(Path dir, EmulatorProcess emulator) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx1g", "-jar", BRIDGE_JAR.toString(),
        "--config", dir.resolve("config.json").toString(), "--port", "0", "--env-file", dir.resolve("none.env").toString())
        .redirectErrorStream(true);
    pb.environment().putAll(Map.of("DATABRICKS_CLIENT_ID", emulator.clientId(),
        "DATABRICKS_CLIENT_SECRET", emulator.clientSecret(), "ZEROBUS_MAX_QUEUED_RECORDS", "100000",
        "ZEROBUS_LINGER_MS", System.getProperty("bench.lingerMs", "0")));
    return pb.start();
  }

  private static String bridgeUrl(Process bridge) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(bridge.getInputStream(), StandardCharsets.UTF_8));
    Pattern listening = Pattern.compile("^Zerobus Station \\S+ on (http://\\S+)$");
    String line;
    while ((line = out.readLine()) != null) {
      Matcher m = listening.matcher(line);
      if (m.matches()) {
        Thread drain = new Thread(() -> {
          try {
            out.lines().forEach(l -> { });
          } catch (java.io.UncheckedIOException closed) {
            // the bridge stopped
          }
        });
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
    }
    throw new IllegalStateException("the bridge exited before it listened");
  }

  private static WrkResult wrk(Path dir, String url, Scenario s, int seconds, int connections) throws Exception {
    Path body = dir.resolve("body-" + s.recordsPerRequest() + ".txt");
    Files.writeString(body, s.body());
    Path script = dir.resolve("post.lua");
    Files.writeString(script, """
        local f = assert(io.open("%s", "rb"))
        wrk.method = "POST"
        wrk.body = f:read("*a")
        f:close()
        wrk.headers["Content-Type"] = "%s"
        """.formatted(body.toAbsolutePath(), s.contentType()));
    Process p = new ProcessBuilder("/usr/bin/wrk", "-t2", "-c" + connections, "-d" + seconds + "s", "--latency",
        "-s", script.toString(), url + s.path()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("wrk failed:\n" + out);
    }
    double rps = Double.parseDouble(find(out, "Requests/sec:\\s+([\\d.]+)"));
    long requests = Long.parseLong(find(out, "(\\d+) requests in"));
    String errors = findOrNull(out, "Non-2xx or 3xx responses: (\\d+)");
    return new WrkResult(rps, find(out, "\\s50%\\s+(\\S+)"), find(out, "\\s99%\\s+(\\S+)"), requests,
        errors == null ? 0 : Long.parseLong(errors));
  }

  private static String find(String text, String regex) {
    String v = findOrNull(text, regex);
    if (v == null) {
      throw new IllegalStateException("no " + regex + " in wrk output:\n" + text);
    }
    return v;
  }

  private static String findOrNull(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? m.group(1) : null;
  }
}
