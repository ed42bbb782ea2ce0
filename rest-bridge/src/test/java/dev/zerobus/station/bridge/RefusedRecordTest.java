package dev.zerobus.station.bridge;

import static dev.zerobus.station.bridge.BridgeFixture.assertErrorBody;
import static dev.zerobus.station.bridge.BridgeFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record the service refuses at ingest (the table's temp is TINYINT, the bridge's config says
 * int32): only it fails, with 422 naming it; a load on the same table keeps landing.
 */
class RefusedRecordTest {
  @TempDir
  Path dir;

  private static HttpRequest post(BridgeFixture bridge, String path, String body) {
    return HttpRequest.newBuilder(URI.create(bridge.server.url() + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  @Test
  void aPoisonRecordGets422WhileALoadOnTheSameTableKeepsLanding() throws Exception {
    try (BridgeFixture bridge = new BridgeFixture(dir, BridgeFixture.FAST, s -> s, HttpClient.newHttpClient(),
        "device_name STRING, temp TINYINT, humidity BIGINT")) {
      assertEquals(200, bridge.get("/ready").statusCode());
      long opensBefore = bridge.manager.health("station_one").streamsOpened();
      List<CompletableFuture<HttpResponse<String>>> load = new ArrayList<>();
      int n = 600;
      for (int i = 0; i < n / 2; i++) {
        load.add(bridge.http.sendAsync(post(bridge, "/ingest/station_one?wait_for_ack=true",
            "{\"device_name\": \"load-" + i + "\", \"temp\": " + (i % 100) + ", \"humidity\": 1}"),
            HttpResponse.BodyHandlers.ofString()));
      }
      long started = System.nanoTime();
      HttpResponse<String> poison = bridge.postJson("/ingest/station_one?wait_for_ack=true",
          "{\"device_name\":\"p\",\"temp\":1000,\"humidity\":1}");
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      for (int i = n / 2; i < n; i++) {
        load.add(bridge.http.sendAsync(post(bridge, "/ingest/station_one?wait_for_ack=true",
            "{\"device_name\": \"load-" + i + "\", \"temp\": " + (i % 100) + ", \"humidity\": 1}"),
            HttpResponse.BodyHandlers.ofString()));
      }

      assertErrorBody(poison, 422);
      JsonNode body = json(poison);
      assertFalse(body.get("may_still_land").asBoolean());
      assertEquals(0, body.get("refused").get(0).get("index").asInt());
      String reason = body.get("refused").get(0).get("error").asText();
      assertTrue(reason.contains("temp") && reason.contains("TINYINT"), reason);
      assertTrue(body.get("error").asText().contains("station_one"), body.get("error").asText());

      Set<String> answered = new HashSet<>();
      for (int i = 0; i < load.size(); i++) {
        HttpResponse<String> r = load.get(i).get(60, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        answered.add("load-" + (i));
      }
      Set<String> landed = new HashSet<>();
      for (JsonNode row : bridge.emulator.rowValues("main.default.station_one")) {
        landed.add(row.get("device_name").asText());
      }
      assertTrue(landed.containsAll(answered), "every record answered 200 landed");
      assertFalse(landed.contains("p"), "the refused record never lands");
      long opened = bridge.manager.health("station_one").streamsOpened() - opensBefore;
      // The poison shares calls with the load: at most log2(max.batch.records)+2 new streams to find it.
      assertTrue(opened <= 12, "opened " + opened + " streams");
      System.out.println("POISON-RESULT bridge: 422 after " + elapsedMs + " ms, " + opened
          + " streams opened, " + n + " concurrent records all 200 and landed");
      // The table is healthy afterwards.
      assertEquals(200, bridge.postJson("/ingest/station_one?wait_for_ack=true",
          "{\"device_name\":\"after\",\"temp\":1,\"humidity\":1}").statusCode());
    }
  }

  @Test
  void oneRefusedRecordInABatchIsNamedAndTheOthersLand() throws Exception {
    try (BridgeFixture bridge = new BridgeFixture(dir, BridgeFixture.FAST, s -> s, HttpClient.newHttpClient(),
        "device_name STRING, temp TINYINT, humidity BIGINT")) {
      StringBuilder batch = new StringBuilder("[");
      for (int i = 0; i < 50; i++) {
        batch.append(i == 0 ? "" : ",").append("{\"device_name\":\"b-").append(i).append("\",\"temp\":")
            .append(i == 17 ? 300 : i).append("}");
      }
      HttpResponse<String> r = bridge.postJson("/ingest/station_one?wait_for_ack=true", batch.append("]").toString());
      assertErrorBody(r, 422);
      JsonNode body = json(r);
      assertEquals(17, body.get("refused").get(0).get("index").asInt());
      assertEquals(49, body.get("landed").asInt());
      assertEquals(49, bridge.emulator.rowValues("main.default.station_one").size());
    }
  }

  @Test
  void aRecordNoZerobusCallCanCarryGets413NamingIt() throws Exception {
    try (BridgeFixture bridge = new BridgeFixture(dir, BridgeFixture.FAST
        .with(dev.zerobus.station.core.config.Settings.Setting.MAX_BATCH_BYTES, 2048), s -> s)) {
      String big = "x".repeat(3000);
      HttpResponse<String> r = bridge.postJson("/ingest/station_one",
          "[{\"device_name\":\"small\"},{\"device_name\":\"" + big + "\"}]");
      assertErrorBody(r, 413);
      JsonNode body = json(r);
      assertEquals(1, body.get("index").asInt());
      assertTrue(body.get("error").asText().contains("record 1 is"), body.get("error").asText());
      assertEquals(0, bridge.emulator.rowValues("main.default.station_one").size(), "nothing was taken");
    }
  }
}
