package dev.zerobus.station.bridge;

import static dev.zerobus.station.bridge.BridgeFixture.assertErrorBody;
import static dev.zerobus.station.bridge.BridgeFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.core.config.Settings.Setting;
import io.grpc.Status;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected in the emulator, and what callers see: every record answered 200 with
 * wait_for_ack=true is in the table; overload and outages get 429/503 with Retry-After; a missing
 * ack gets 504 saying the records may still land.
 */
class BridgeFaultTest {
  @TempDir
  Path dir;

  @Test
  void aDroppedStreamLosesNothingThatWasAnsweredDurable() throws Exception {
    try (BridgeFixture bridge = BridgeFixture.start(dir)) {
      bridge.emulator.faults().dropStreamAfter("main.default.station_one", 150);
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        calls.add(bridge.http.sendAsync(request(bridge, "/ingest/station_one?wait_for_ack=true",
            "{\"device_name\": \"d-" + i + "\"}"), HttpResponse.BodyHandlers.ofString()));
      }
      Set<String> answeredDurable = new HashSet<>();
      for (int i = 0; i < calls.size(); i++) {
        HttpResponse<String> r = calls.get(i).get(60, TimeUnit.SECONDS);
        if (r.statusCode() == 200) {
          answeredDurable.add("d-" + i);
        } else {
          assertTrue(r.statusCode() == 503 || r.statusCode() == 429, r.statusCode() + " " + r.body());
        }
      }
      Set<String> landed = landed(bridge, "main.default.station_one");
      assertTrue(landed.containsAll(answeredDurable), "every 200 landed");
      assertTrue(answeredDurable.size() >= 300, "the SDK recovered; " + answeredDurable.size() + " of 400 answered 200");
      assertTrue(bridge.emulator.faults().describe().get("drop_stream_after_records").toString().equals("{}"), "the drop fired");
    }
  }

  @Test
  void withheldAcksGive504SayingTheRecordsMayStillLand() throws Exception {
    try (BridgeFixture bridge = new BridgeFixture(dir, BridgeFixture.FAST.with(Setting.ACK_TIMEOUT_MS, 30_000),
        s -> s.withLimits(Duration.ofSeconds(1), BridgeSettings.DEFAULT_MAX_BODY_BYTES, false))) {
      assertEquals(200, bridge.get("/ready").statusCode());
      bridge.emulator.faults().withholdAcks("main.default.station_one");
      HttpResponse<String> r = bridge.postJson("/ingest/station_one?wait_for_ack=true", "{\"device_name\": \"late\"}");
      assertErrorBody(r, 504);
      JsonNode body = json(r);
      assertTrue(body.get("may_still_land").asBoolean());
      assertTrue(body.get("error").asText().contains("may still land"), body.get("error").asText());

      HttpResponse<String> flush = bridge.post("/flush/station_one", null, "");
      assertErrorBody(flush, 504);

      bridge.emulator.faults().releaseAcks("main.default.station_one");
      assertEquals(200, bridge.post("/flush/station_one", null, "").statusCode());
      assertTrue(landed(bridge, "main.default.station_one").contains("late"), "it landed after all");
    }
  }

  @Test
  void aFullQueueGives429WithRetryAfter() throws Exception {
    try (BridgeFixture bridge = new BridgeFixture(dir, BridgeFixture.FAST.with(Setting.MAX_INFLIGHT_RECORDS, 20).with(Setting.MAX_QUEUED_RECORDS, 20), s -> s)) {
      assertEquals(200, bridge.get("/ready").statusCode());
      bridge.emulator.faults().withholdAcks("main.default.station_two");
      String twenty = "[" + "{\"device_name\": \"q\"},".repeat(19) + "{\"device_name\": \"q\"}]";
      assertEquals(200, bridge.postJson("/ingest/station_two", twenty).statusCode(), "fills the in-flight window");
      waitFor(() -> bridge.manager.health("station_two").inflightRecords() == 20);
      CompletableFuture<HttpResponse<String>> queued = bridge.http.sendAsync(
          request(bridge, "/ingest/station_two", twenty), HttpResponse.BodyHandlers.ofString());
      waitFor(() -> bridge.manager.health("station_two").queuedRecords() == 20);
      HttpResponse<String> full = bridge.postJson("/ingest/station_two", "{\"device_name\": \"one too many\"}");
      assertErrorBody(full, 429);
      assertEquals("1", full.headers().firstValue("Retry-After").orElse(""));
      assertTrue(json(full).get("error").asText().contains("records are waiting for Zerobus"));
      bridge.emulator.faults().releaseAcks("main.default.station_two");
      assertEquals(200, queued.get(10, TimeUnit.SECONDS).statusCode(), "the queued request went through");
    }
  }

  @Test
  void aNonRetryableStreamErrorGives503NamingTheCauseUntilTheCooldownEnds() throws Exception {
    try (BridgeFixture bridge = BridgeFixture.start(dir)) {
      bridge.emulator.faults().refuseStreams("main.default.station_two", Status.Code.PERMISSION_DENIED,
          "no MODIFY on main.default.station_two", 0);
      HttpResponse<String> first = bridge.postJson("/ingest/station_two", "{\"device_name\": \"x\"}");
      assertErrorBody(first, 503);
      assertTrue(json(first).get("error").asText().contains("PERMISSION_DENIED: no MODIFY"), first.body());
      assertTrue(!json(first).get("may_still_land").asBoolean());

      HttpResponse<String> next = bridge.postJson("/ingest/station_two", "{\"device_name\": \"y\"}");
      assertErrorBody(next, 503);
      assertTrue(Integer.parseInt(next.headers().firstValue("Retry-After").orElse("0")) >= 1);
      HttpResponse<String> ready = bridge.get("/ready");
      assertErrorBody(ready, 503);
      assertTrue(json(ready).get("tables").get("station_two").asText().contains("no MODIFY"), ready.body());
      assertEquals("unhealthy", json(bridge.get("/health/station_two")).get("status").asText());
      JsonNode health = json(bridge.get("/health"));
      assertEquals("unhealthy", health.get("status").asText(), "liveness names the failed table");
      assertTrue(health.get("failing_tables").get("station_two").get("last_error").asText().contains("no MODIFY"),
          health.toString());

      bridge.emulator.faults().clear();
      // 503 until the cooldown ends, then a new stream is tried and works.
      waitFor(() -> {
        try {
          return bridge.postJson("/ingest/station_two?wait_for_ack=true", "{\"device_name\": \"z\"}").statusCode() == 200;
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
    }
  }

  @Test
  void aServerRestartLosesNothingThatWasAnsweredDurable() throws Exception {
    try (BridgeFixture bridge = BridgeFixture.start(dir)) {
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        calls.add(bridge.http.sendAsync(request(bridge, "/ingest/station_one?wait_for_ack=true",
            "{\"device_name\": \"r-" + i + "\"}"), HttpResponse.BodyHandlers.ofString()));
        if (i == 100) {
          bridge.emulator.faults().withholdAcks("main.default.station_one");
        }
        if (i == 200) {
          bridge.emulator.restart(Duration.ofMillis(500));
          bridge.emulator.faults().clear();
        }
      }
      Set<String> answeredDurable = new HashSet<>();
      int retryLater = 0;
      for (int i = 0; i < calls.size(); i++) {
        HttpResponse<String> r = calls.get(i).get(60, TimeUnit.SECONDS);
        if (r.statusCode() == 200) {
          answeredDurable.add("r-" + i);
        } else {
          assertTrue(r.statusCode() == 503 || r.statusCode() == 429, r.statusCode() + " " + r.body());
          retryLater++;
        }
      }
      assertTrue(landed(bridge, "main.default.station_one").containsAll(answeredDurable), "every 200 landed");
      assertEquals(300, answeredDurable.size() + retryLater);
    }
  }

  @Test
  void shutdownAnswersInFlightRequestsAndRefusesNewOnes() throws Exception {
    BridgeFixture bridge = BridgeFixture.start(dir);
    try {
      assertEquals(200, bridge.get("/ready").statusCode());
      bridge.emulator.faults().delayAcks("main.default.station_one", Duration.ofMillis(700));
      CompletableFuture<HttpResponse<String>> inFlight = bridge.http.sendAsync(
          request(bridge, "/ingest/station_one?wait_for_ack=true", "{\"device_name\": \"in-flight\"}"),
          HttpResponse.BodyHandlers.ofString());
      waitFor(() -> bridge.manager.health("station_one").inflightRecords() == 1); // sent, its ack delayed
      CompletableFuture<Void> shutdown = CompletableFuture.runAsync(bridge.server::shutdown);
      waitFor(() -> {
        try {
          return bridge.postJson("/ingest/station_one", "{\"device_name\": \"too late\"}").statusCode() == 503;
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      HttpResponse<String> answered = inFlight.get(10, TimeUnit.SECONDS);
      assertEquals(200, answered.statusCode(), answered.body());
      shutdown.get(30, TimeUnit.SECONDS);
      assertTrue(landed(bridge, "main.default.station_one").contains("in-flight"));
    } finally {
      bridge.close();
    }
  }

  private static HttpRequest request(BridgeFixture bridge, String path, String json) {
    return HttpRequest.newBuilder(URI.create(bridge.server.url() + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build();
  }

  private static Set<String> landed(BridgeFixture bridge, String table) {
    Set<String> out = new HashSet<>();
    bridge.emulator.rowValues(table).forEach(r -> out.add(r.path("device_name").asText()));
    return out;
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting");
      }
      Thread.sleep(10);
    }
  }
}
