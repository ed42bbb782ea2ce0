package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics has what operators need from the start, promtool accepts it, and the Grafana dashboard only asks for metrics that exist. */
class BridgeMetricsTest {
  static final Path DASHBOARD = Path.of("..", "config", "grafana", "zerobus-station-dashboard.json");
  private static final Pattern METRIC = Pattern.compile("\\b((?:zerobus|jvm|process)_[a-zA-Z0-9_]+)");

  @TempDir
  static Path dir;
  static BridgeFixture bridge;

  @BeforeAll
  static void start() throws Exception {
    bridge = BridgeFixture.start(dir);
  }

  @AfterAll
  static void stop() {
    bridge.close();
  }

  @Test
  void everyTablesSeriesExistFromTheStartAtZero() throws Exception {
    String text;
    try (BridgeFixture fresh = BridgeFixture.start(dir.resolve("fresh"))) {
      text = fresh.get("/metrics").body();
    }
    for (String table : List.of("station_one", "station_two", "events")) {
      for (String counter : List.of("records_failed", "records_rejected", "records_ingested", "records_acked",
          "records_replayed", "streams_opened")) {
        assertEquals(0.0, value(text, "zerobus_bridge_" + counter + "_total{table=\"" + table + "\"}"), counter);
      }
      assertEquals(1.0, value(text, "zerobus_bridge_stream_state{state=\"idle\",table=\"" + table + "\"}"));
      assertEquals(0.0, value(text, "zerobus_bridge_stream_state{state=\"failed\",table=\"" + table + "\"}"));
    }
    assertTrue(text.contains("zerobus_bridge_build_info{java_version=\""), text);
    assertEquals(1.0, value(text, "zerobus_bridge_http_requests_in_flight"), "the scrape itself is in flight");
    assertTrue(text.contains("jvm_memory_used_bytes{area=\"heap\"}"), text);
    assertTrue(text.contains("process_resident_memory_bytes"), text);
  }

  @Test
  void requestDurationIsByEndpointAndStatusAndStreamStateFollowsTheStream() throws Exception {
    assertEquals(200, bridge.postJson("/ingest/station_one?wait_for_ack=true", "{\"device_name\": \"m\"}").statusCode());
    assertEquals(400, bridge.postJson("/ingest/station_one", "{\"temp\": \"x\"}").statusCode());
    String text = bridge.get("/metrics").body();
    assertTrue(text.contains("zerobus_bridge_request_duration_seconds_count{endpoint=\"ingest\",status=\"200\"}"), text);
    assertTrue(text.contains("zerobus_bridge_request_duration_seconds_count{endpoint=\"ingest\",status=\"400\"}"), text);
    assertEquals(1.0, value(text, "zerobus_bridge_stream_state{state=\"open\",table=\"station_one\"}"));
    assertEquals(1.0, value(text, "zerobus_bridge_streams_opened_total{table=\"station_one\"}"));
  }

  @Test
  void promtoolAcceptsTheMetrics() throws Exception {
    File promtool = promtool();
    assumeTrue(promtool != null, "promtool is not installed (Debian: apt-get install prometheus)");
    bridge.postJson("/ingest/station_one", "{\"device_name\": \"p\"}");
    Path scraped = Files.writeString(dir.resolve("metrics.txt"), bridge.get("/metrics").body());
    Process p = new ProcessBuilder(promtool.getPath(), "check", "metrics").redirectInput(scraped.toFile())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "promtool check metrics:\n" + out);
    assertTrue(out.isBlank(), "promtool check metrics:\n" + out);
  }

  @Test
  void theGrafanaDashboardAsksOnlyForMetricsThatExist() throws Exception {
    bridge.postJson("/ingest/station_one?wait_for_ack=true", "{\"device_name\": \"d\"}");
    Set<String> exposed = new TreeSet<>();
    for (String line : bridge.get("/metrics").body().split("\n")) {
      if (!line.startsWith("#") && !line.isBlank()) {
        exposed.add(line.split("[{ ]", 2)[0]);
      }
    }
    JsonNode dashboard = Json.MAPPER.readTree(DASHBOARD.toFile());
    List<String> exprs = new ArrayList<>();
    dashboard.get("panels").forEach(panel -> panel.path("targets").forEach(t -> exprs.add(t.get("expr").asText())));
    assertTrue(exprs.size() >= 10, "panels with queries: " + exprs.size());
    Set<String> asked = new TreeSet<>();
    for (String expr : exprs) {
      Matcher m = METRIC.matcher(expr);
      while (m.find()) {
        asked.add(m.group(1));
      }
    }
    Set<String> missing = new TreeSet<>(asked);
    missing.removeAll(exposed);
    assertTrue(missing.isEmpty(), "the dashboard asks for metrics /metrics does not have: " + missing);
    assertTrue(asked.contains("zerobus_bridge_stream_state") && asked.contains("jvm_memory_used_bytes"), asked.toString());
  }

  /** The sample's value; fails when the series is not there. */
  static double value(String text, String series) {
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no series " + series + " in\n" + text);
  }

  private static File promtool() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(d, "promtool");
      if (f.canExecute()) {
        return f;
      }
    }
    return null;
  }
}
