package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.emulator.testing.Reading;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar emulator/target/zerobus-emulator.jar}, as the README runs it. */
class EmulatorJarIT {
  private static final Path JAR = Path.of("target/zerobus-emulator.jar");

  @TempDir
  Path dataDir;

  @Test
  void theJarPrintsWhatAClientNeedsAndKeepsTablesAcrossRestarts() throws Exception {
    Files.writeString(dataDir.resolve("tables.json"),
        "{\"tables\": {\"main.jar.readings\": \"device_name STRING, temp INT, humidity BIGINT\"}}");
    Running first = start();
    try (ZerobusSdk sdk = new ZerobusSdk(first.settings.get("ZEROBUS_SERVER_ENDPOINT"),
        first.settings.get("DATABRICKS_WORKSPACE_URL"))) {
      ZerobusProtoStream stream = TestSdk.unwrap(() -> sdk.createProtoStream("main.jar.readings",
          Reading.getDescriptor().toProto(), first.settings.get("DATABRICKS_CLIENT_ID"),
          first.settings.get("DATABRICKS_CLIENT_SECRET"), TestSdk.patient()).get(60, TimeUnit.SECONDS));
      for (int i = 0; i < 100; i++) {
        stream.ingestRecordOffset(TestSdk.reading(i));
      }
      stream.flush();
      stream.close();
    }
    JsonNode table = get(first.admin + "/tables/main.jar.readings");
    assertEquals(100, table.get("rows").asLong());
    assertEquals(true, table.get("declared").asBoolean());
    stop(first);

    Running second = start();
    try {
      assertEquals(100, get(second.admin + "/tables/main.jar.readings").get("rows").asLong(), "rows survive a restart");
      assertEquals("sensor-99",
          get(second.admin + "/tables/main.jar.readings/rows?from=99").get("rows").get(0).get("row").get("device_name").asText());
    } finally {
      stop(second);
    }
  }

  @Test
  void discardAcksEveryRecordAndLandsNone() throws Exception {
    Files.writeString(dataDir.resolve("tables.json"),
        "{\"tables\": {\"main.jar.readings\": \"device_name STRING, temp INT, humidity BIGINT\"}}");
    Running emulator = start("--discard");
    try (ZerobusSdk sdk = new ZerobusSdk(emulator.settings.get("ZEROBUS_SERVER_ENDPOINT"),
        emulator.settings.get("DATABRICKS_WORKSPACE_URL"))) {
      assertTrue(emulator.banner().stream().anyMatch(l -> l.startsWith("Discard mode")), emulator.banner().toString());
      ZerobusProtoStream stream = TestSdk.unwrap(() -> sdk.createProtoStream("main.jar.readings",
          Reading.getDescriptor().toProto(), emulator.settings.get("DATABRICKS_CLIENT_ID"),
          emulator.settings.get("DATABRICKS_CLIENT_SECRET"), TestSdk.patient()).get(60, TimeUnit.SECONDS));
      for (int i = 0; i < 100; i++) {
        stream.ingestRecordOffset(TestSdk.reading(i));
      }
      stream.flush();
      stream.close();
      JsonNode table = get(emulator.admin + "/tables/main.jar.readings");
      assertEquals(0, table.get("rows").asLong());
      assertEquals(100, table.get("discarded_records").asLong());
    } finally {
      stop(emulator);
    }
  }

  private record Running(Process process, Map<String, String> settings, String admin, List<String> banner) {}

  private Running start(String... flags) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-jar", JAR.toString(), "--grpc-port", "0",
        "--workspace-port", "0", "--admin-port", "0", "--data-dir", dataDir.toString(),
        "--config", dataDir.resolve("tables.json").toString()));
    command.addAll(List.of(flags));
    Process p = withoutEmulatorSettings(new ProcessBuilder(command)).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Map<String, String> settings = new HashMap<>();
    List<String> banner = new ArrayList<>();
    String admin = null;
    String line;
    while ((line = out.readLine()) != null) {
      banner.add(line);
      if (line.startsWith("  ") && line.contains("=")) {
        settings.put(line.substring(0, line.indexOf('=')).trim(), line.substring(line.indexOf('=') + 1).trim());
      }
      if (line.startsWith("Admin API: ")) {
        admin = line.substring("Admin API: ".length()).split("\\s+")[0];
      }
      if (line.startsWith("Tables land in")) {
        break;
      }
    }
    assertTrue(line != null, "the emulator printed its settings: " + banner);
    assertTrue(banner.get(0).contains("local emulator — not for production"), banner.get(0));
    assertEquals(ZerobusEmulator.DEFAULT_CLIENT_SECRET, settings.get("DATABRICKS_CLIENT_SECRET"));
    assertTrue(settings.get("ZEROBUS_SERVER_ENDPOINT").startsWith("http://127.0.0.1:"), banner.toString());
    Thread drain = new Thread(() -> out.lines().forEach(l -> { }));
    drain.setDaemon(true);
    drain.start();
    return new Running(p, settings, admin, banner);
  }

  @Test
  void aConfigDeclaringAPathExitsWithOneLineAndTouchesNothing() throws Exception {
    Path config = Files.writeString(dataDir.resolve("tables.json"), "{\"tables\": {\"../../x\": \"a STRING\"}}");
    // landing/../../x.jsonl would be <dataDir>/a/x.jsonl
    Path landing = dataDir.resolve("a/b/landing");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = withoutEmulatorSettings(new ProcessBuilder(java, "-jar", JAR.toString(), "--grpc-port", "0",
        "--workspace-port", "0", "--admin-port", "0", "--data-dir", landing.toString(), "--config", config.toString()))
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), output);
    assertEquals(2, p.exitValue(), output);
    assertEquals(List.of("zerobus-emulator: " + config + ": table name \"../../x\" is not catalog.schema.table"
        + " (ASCII letters, digits, _)"), output.lines().toList());
    try (var files = Files.walk(dataDir)) {
      assertEquals(List.of(config), files.filter(Files::isRegularFile).toList(), "no file created");
    }
  }

  /** The child runs on the flags given here alone, whatever ZEROBUS_EMULATOR_* the test runner has set. */
  private static ProcessBuilder withoutEmulatorSettings(ProcessBuilder pb) {
    pb.environment().keySet().removeIf(name -> name.startsWith("ZEROBUS_EMULATOR_"));
    return pb;
  }

  private static void stop(Running r) throws Exception {
    r.process().destroy();
    assertTrue(r.process().waitFor(60, TimeUnit.SECONDS), "the emulator stops on SIGTERM");
  }

  private static JsonNode get(String url) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new ObjectMapper().readTree(r.body());
  }
}
