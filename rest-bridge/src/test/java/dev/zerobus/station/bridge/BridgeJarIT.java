package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar rest-bridge/target/zerobus-station.jar --local}, run from the repository root as the README does. */
class BridgeJarIT {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path JAR = ROOT.resolve("rest-bridge/target/zerobus-station.jar");
  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir
  Path dataDir;

  @Test
  void localModeRunsTheSeedExamplesEndToEnd() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(java(), "-jar", JAR.toString(), "--local").directory(ROOT.toFile())
        .redirectErrorStream(true);
    // Free ports instead of the fixed defaults, so the test never collides with a running copy.
    pb.environment().putAll(Map.of("ZEROBUS_BRIDGE_PORT", "0", "ZEROBUS_EMULATOR_GRPC_PORT", "0",
        "ZEROBUS_EMULATOR_WORKSPACE_PORT", "0", "ZEROBUS_EMULATOR_ADMIN_PORT", "0",
        "ZEROBUS_EMULATOR_DATA_DIR", dataDir.toString()));
    Process process = pb.start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      List<String> lines = new ArrayList<>();
      String bridgeUrl = null;
      String rowsUrl = null;
      String line;
      Pattern listening = Pattern.compile("^Zerobus Station \\S+ on (http://\\S+)$");
      while ((line = out.readLine()) != null) {
        lines.add(line);
        Matcher m = listening.matcher(line);
        if (m.matches()) {
          bridgeUrl = m.group(1);
        }
        if (line.trim().startsWith("Landed rows: curl ")) {
          rowsUrl = line.trim().substring("Landed rows: curl ".length());
          break;
        }
      }
      assertTrue(bridgeUrl != null && rowsUrl != null, "banner printed: " + String.join("\n", lines));
      List<String> later = java.util.Collections.synchronizedList(new ArrayList<>());
      Thread drain = new Thread(() -> {
        try {
          out.lines().forEach(later::add);
        } catch (java.io.UncheckedIOException closed) {
          // the process is gone
        }
      });
      drain.setDaemon(true);
      drain.start();

      assertEquals(200, post(bridgeUrl + "/ingest/station_one",
          "{\"device_name\": \"sensor-001\", \"temp\": 25, \"humidity\": 60}").statusCode());
      assertEquals(200, post(bridgeUrl + "/ingest/station_one?wait_for_ack=true",
          "{\"device_name\": \"sensor-001\", \"temp\": 25, \"humidity\": 60}").statusCode());
      assertEquals(200, post(bridgeUrl + "/ingest/station_two?wait_for_ack=true",
          "{\"device_name\": \"sensor-002\", \"temp\": 22, \"humidity\": 55, \"description\": \"Main entrance\"}").statusCode());
      assertEquals(200, post(bridgeUrl + "/flush/station_one", "").statusCode());

      JsonNode rows = Json.MAPPER.readTree(get(rowsUrl).body());
      assertEquals(2, rows.get("total").asInt());
      assertEquals("sensor-001", rows.get("rows").get(0).get("row").get("device_name").asText());

      // SIGTERM through the handle: Process.destroy() also closes our end of the output pipe, which
      // drops whatever the bridge writes while it stops (the access log's last block among it).
      process.toHandle().destroy();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stops on SIGTERM");
      drain.join(10_000);
      // The access log is written in blocks; the last requests' lines are written at shutdown too.
      List<String> access = later.stream().filter(l -> l.contains(" d.z.s.access ")).toList();
      assertEquals(1, access.stream().filter(l -> l.contains("\"POST /ingest/station_two?wait_for_ack=true HTTP/1.1\" 200 "))
          .count(), "one access line per request: " + access);
      assertEquals(1, access.stream().filter(l -> l.contains("\"POST /flush/station_one HTTP/1.1\" 200 ")).count(),
          "the last request's line: " + access);
      assertTrue(later.stream().anyMatch(l -> l.contains("shutdown: no accepted record was left unacknowledged")),
          "the shutdown's own summary is logged: " + later.subList(Math.max(0, later.size() - 10), later.size()));
      try {
        get(rowsUrl);
        throw new AssertionError("the emulator is still running after the bridge stopped");
      } catch (ConnectException expected) {
        // stopped with the bridge
      }
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void aMissingConfigIsExplainedAndExitsWithTwo() throws Exception {
    Process p = new ProcessBuilder(java(), "-jar", JAR.toString(), "--config", "no-such.json")
        .directory(ROOT.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(2, p.waitFor());
    assertTrue(output.contains("cannot read config file no-such.json"), output);
  }

  @Test
  void settingsAreReadFromTheEnvironmentUnderTheirOwnNamesAndTheOlderOnes() throws Exception {
    // Settings are checked before the config is read, so a bad one is what the process exits on.
    Path config = dataDir.resolve("not-read.json");
    for (Map.Entry<String, String> bad : Map.of("ZEROBUS_UNKNOWN_FIELDS", "drop", "ZEROBUS_IGNORE_UNKNOWN_FIELDS",
        "maybe", "ZEROBUS_STRING_MAX_LENGTH", "-1", "ZEROBUS_MAX_STRING_LENGTH", "long").entrySet()) {
      Exit exit = runToExit(config, Map.of(bad.getKey(), bad.getValue()));
      assertEquals(2, exit.code(), exit.output());
      assertTrue(failureLine(exit).startsWith("zerobus-station: " + bad.getKey() + " must be"), exit.output());
    }
    // A setting's own variable wins, so the older one is not even read.
    Exit own = runToExit(config, Map.of("ZEROBUS_UNKNOWN_FIELDS", "ignore", "ZEROBUS_IGNORE_UNKNOWN_FIELDS", "maybe"));
    assertTrue(failureLine(own).contains("not-read.json"), own.output());
  }

  /** Runs the jar to its exit (it must exit: start-up fails), returning the exit code and what it printed. */
  private record Exit(int code, String output, long millis) {}

  private Exit runToExit(Path config, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(java(), "-jar", JAR.toString(), "--config", config.toString(),
        "--env-file", dataDir.resolve("no.env").toString(), "--port", "0"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    long started = System.nanoTime();
    Process p = pb.start();
    try {
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits: " + output);
      return new Exit(p.exitValue(), output, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    } finally {
      p.destroyForcibly();
    }
  }

  /** The one line the process prints for a failed start. */
  private static String failureLine(Exit exit) {
    return exit.output().lines().filter(l -> l.startsWith("zerobus-station: ")).findFirst()
        .orElseThrow(() -> new AssertionError("no failure line in: " + exit.output()));
  }

  @Test
  void theExampleConfigUnchangedExitsNamingEveryPlaceholder() throws Exception {
    Exit exit = runToExit(ROOT.resolve("config/config.example.json"), Map.of(
        "DATABRICKS_CLIENT_ID", "your-service-principal-id", "DATABRICKS_CLIENT_SECRET", "your-service-principal-secret"));
    assertEquals(2, exit.code(), exit.output());
    String line = failureLine(exit);
    assertTrue(line.contains("placeholder") && line.contains("databricks.server_endpoint")
        && line.contains("tables.station_one.table_name = 'YOUR_CATALOG.YOUR_SCHEMA.station_one'")
        && line.contains("DATABRICKS_CLIENT_ID") && !line.contains("your-service-principal-secret"), line);
    System.out.println("FAIL-FAST placeholders: exit " + exit.code() + " after " + exit.millis() + " ms: " + line);
  }

  @Test
  void anUnreachableZerobusExitsNamingTableEndpointAndCause() throws Exception {
    Path config = Files.writeString(dataDir.resolve("unreachable.json"), """
        {"databricks": {"server_endpoint": "http://127.0.0.1:9", "workspace_id": "1",
                        "workspace_url": "http://127.0.0.1:9"},
         "tables": {"station_one": {"table_name": "main.default.station_one", "proto_package": "station_one",
           "message_name": "StationOne", "fields": [{"name": "device_name", "type": "string", "field_num": 1}]}}}
        """);
    Exit exit = runToExit(config, Map.of("DATABRICKS_CLIENT_ID", "id", "DATABRICKS_CLIENT_SECRET", "secret"),
        "--start-timeout-seconds", "3");
    assertEquals(1, exit.code(), exit.output());
    String line = failureLine(exit);
    assertTrue(line.contains("table station_one (main.default.station_one) on http://127.0.0.1:9")
        && line.contains("127.0.0.1:9 does not accept connections"), line);
    assertTrue(!exit.output().contains("MetadataMap") && !exit.output().contains("details: []"), exit.output());
    System.out.println("FAIL-FAST unreachable: exit " + exit.code() + " after " + exit.millis() + " ms: " + line);
  }

  @Test
  void aWrongSecretOrASchemaMismatchExitsAtOnceWithTheServiceReason() throws Exception {
    try (ZerobusEmulator emulator = ZerobusEmulator.builder()
        .table("main.default.station_one", "device_name STRING, temp INT").start()) {
      Path config = Files.writeString(dataDir.resolve("emulated.json"), """
          {"databricks": {"server_endpoint": "%s", "workspace_id": "1", "workspace_url": "%s"},
           "tables": {"station_one": {"table_name": "main.default.station_one", "proto_package": "station_one",
             "message_name": "StationOne", "fields": [
               {"name": "device_name", "type": "string", "field_num": 1},
               {"name": "humidity", "type": "int64", "field_num": 3}]}}}
          """.formatted(emulator.zerobusEndpoint(), emulator.workspaceUrl()));
      Exit badSecret = runToExit(config, Map.of("DATABRICKS_CLIENT_ID", emulator.clientId(),
          "DATABRICKS_CLIENT_SECRET", "not-the-secret"));
      assertEquals(1, badSecret.code(), badSecret.output());
      String line = failureLine(badSecret);
      assertTrue(line.contains("HTTP 401") && line.contains("DATABRICKS_CLIENT_SECRET")
          && !badSecret.output().contains("not-the-secret"), line);
      System.out.println("FAIL-FAST bad secret: exit " + badSecret.code() + " after " + badSecret.millis() + " ms: "
          + line);

      // By default the drift from the catalog is caught before any stream: a configuration error with the diff.
      Exit drift = runToExit(config, Map.of("DATABRICKS_CLIENT_ID", emulator.clientId(),
          "DATABRICKS_CLIENT_SECRET", emulator.clientSecret()));
      assertEquals(2, drift.code(), drift.output());
      assertTrue(drift.output().contains("missing column: field 'humidity' (optional int64) has no column humidity"),
          drift.output());
      System.out.println("FAIL-FAST schema drift: exit " + drift.code() + " after " + drift.millis() + " ms");

      // Without the catalog check, the stream itself is refused, with the service's reason.
      Exit mismatch = runToExit(config, Map.of("DATABRICKS_CLIENT_ID", emulator.clientId(),
          "DATABRICKS_CLIENT_SECRET", emulator.clientSecret(), "ZEROBUS_SCHEMA_DRIFT", "off"));
      assertEquals(1, mismatch.code(), mismatch.output());
      String why = failureLine(mismatch);
      assertTrue(why.contains("INVALID_ARGUMENT") && why.contains("humidity"), why);
      System.out.println("FAIL-FAST schema mismatch: exit " + mismatch.code() + " after " + mismatch.millis()
          + " ms: " + why);
    }
  }

  private HttpResponse<String> post(String url, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }
}
