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
      Thread drain = new Thread(() -> {
        try {
          out.lines().forEach(l -> { });
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

      process.destroy();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stops on SIGTERM");
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
