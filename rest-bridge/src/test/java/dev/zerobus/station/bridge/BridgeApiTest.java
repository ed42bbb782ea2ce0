package dev.zerobus.station.bridge;

import static dev.zerobus.station.bridge.BridgeFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every endpoint and status over real HTTP, against the emulator. */
class BridgeApiTest {
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
  void theSeedReadmesCurlExamplesWorkAsWritten() throws Exception {
    // Quick Start step 5, and "Ingest Sample Data", byte for byte.
    HttpResponse<String> one = bridge.postJson("/ingest/station_one",
        "{\"device_name\": \"sensor-001\", \"temp\": 25, \"humidity\": 60}");
    HttpResponse<String> two = bridge.postJson("/ingest/station_two",
        "{\"device_name\": \"sensor-002\", \"temp\": 22, \"humidity\": 55, \"description\": \"Main entrance\"}");
    HttpResponse<String> durable = bridge.postJson("/ingest/station_one?wait_for_ack=true", """
        {
            "device_name": "sensor-001",
            "temp": 25,
            "humidity": 60
          }""");
    for (HttpResponse<String> r : List.of(one, two, durable)) {
      assertEquals(200, r.statusCode(), r.body());
      JsonNode body = json(r);
      assertEquals("success", body.get("status").asText());
      assertEquals("Record ingested successfully", body.get("message").asText());
    }
    assertEquals("station_two", json(two).get("table").asText());
    // A single record's answer is written by hand on the hot path: the same fields, in the same order, as a batch's.
    List<String> fields = new ArrayList<>();
    json(one).fieldNames().forEachRemaining(fields::add);
    assertEquals(List.of("status", "table", "message", "wait_for_ack", "records", "offset", "durable"), fields);
    assertEquals(1, json(one).get("records").asInt());
    assertTrue(json(one).get("offset").asLong() >= 0, one.body());
    assertFalse(json(one).get("wait_for_ack").asBoolean());
    assertTrue(json(durable).get("wait_for_ack").asBoolean());
    assertTrue(json(durable).get("durable").asBoolean(), "wait_for_ack=true answers once durable");

    JsonNode health = json(bridge.get("/health"));
    assertEquals("healthy", health.get("status").asText());
    assertEquals(Set.of("station_one", "station_two"), names(health.get("active_streams")));
    JsonNode tableHealth = json(bridge.get("/health/station_one"));
    assertEquals("station_one", tableHealth.get("table").asText());
    assertEquals("main.default.station_one", tableHealth.get("table_name").asText());
    assertTrue(tableHealth.get("stream_active").asBoolean());
    assertEquals("healthy", tableHealth.get("status").asText());

    HttpResponse<String> flush = bridge.post("/flush/station_one", null, "");
    assertEquals(200, flush.statusCode());
    assertEquals("success", json(flush).get("status").asText());
    JsonNode root = json(bridge.get("/"));
    assertEquals("/ingest/station_one", root.get("endpoints").get("station_one").get("ingest").asText());
    assertEquals("/health/station_one", root.get("endpoints").get("station_one").get("health").asText());
    assertTrue(names(root.get("tables")).containsAll(Set.of("station_one", "station_two")));

    // station_two's record was sent without wait_for_ack: flushing it is what says it landed.
    assertEquals(200, bridge.post("/flush/station_two", null, "").statusCode());
    List<JsonNode> rows = bridge.emulator.rowValues("main.default.station_two");
    assertEquals(Json.MAPPER.readTree("{\"device_name\": \"sensor-002\", \"temp\": 22, \"humidity\": 55,"
        + " \"description\": \"Main entrance\"}"), rows.get(rows.size() - 1));
  }

  @Test
  void rowsLandExactlyAsPosted() throws Exception {
    HttpResponse<String> r = bridge.postJson("/ingest/events?wait_for_ack=true",
        "{\"id\": \"e1\", \"at\": \"2024-05-01T12:00:00.5Z\", \"tags\": [\"a\", \"ü\"], \"score\": -0.5}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode row = bridge.emulator.rowValues("main.default.events").get(0);
    assertEquals(Json.MAPPER.readTree("{\"id\": \"e1\", \"at\": 1714564800500000, \"tags\": [\"a\", \"ü\"], \"score\": -0.5}"), row);
  }

  @Test
  void aJsonArrayIsOneBatchAndNdjsonToo() throws Exception {
    HttpResponse<String> array = bridge.postJson("/ingest/station_two?wait_for_ack=true",
        "[{\"device_name\": \"b-1\"}, {\"device_name\": \"b-2\"}, {\"device_name\": \"b-3\"}]");
    assertEquals(200, array.statusCode(), array.body());
    JsonNode body = json(array);
    assertEquals(3, body.get("records").asInt());
    assertEquals("3 records ingested successfully", body.get("message").asText());
    assertEquals(0, body.get("rejected").size());

    HttpResponse<String> ndjson = bridge.post("/ingest/station_two?wait_for_ack=true", "application/x-ndjson",
        "{\"device_name\": \"n-1\"}\n{\"device_name\": \"n-2\"}\n");
    assertEquals(200, ndjson.statusCode(), ndjson.body());
    assertEquals(2, json(ndjson).get("records").asInt());
    List<String> offsets = new ArrayList<>();
    for (JsonNode r : bridge.emulator.rows("main.default.station_two")) {
      if (r.get("row").path("device_name").asText().startsWith("b-")) {
        offsets.add(r.get("offset").asText());
      }
    }
    assertEquals(3, offsets.size());
    assertEquals(1, new TreeSet<>(offsets).size(), "one request, one SDK batch, one Zerobus offset");
  }

  @Test
  void aBatchWithAnInvalidRecordIsRefusedWholeUnlessPartialIsAsked() throws Exception {
    String batch = "[{\"device_name\": \"p-1\"}, {\"device_name\": \"p-2\", \"temp\": \"warm\"}, {\"device_name\": \"p-3\"}]";
    HttpResponse<String> whole = bridge.postJson("/ingest/station_one?wait_for_ack=true", batch);
    assertEquals(400, whole.statusCode());
    JsonNode error = json(whole);
    assertEquals(400, error.get("status_code").asInt());
    assertTrue(error.get("error").asText().startsWith("Validation error: 1 of 3 records are invalid, so none were ingested"),
        error.get("error").asText());
    assertEquals(1, error.get("rejected").get(0).get("index").asInt());
    assertEquals("temp", error.get("rejected").get(0).get("field").asText());

    HttpResponse<String> partial = bridge.postJson("/ingest/station_one?wait_for_ack=true&accept_partial=true", batch);
    assertEquals(200, partial.statusCode(), partial.body());
    assertEquals("partial", json(partial).get("status").asText());
    assertEquals(2, json(partial).get("records").asInt());
    Set<String> landed = new TreeSet<>();
    bridge.emulator.rowValues("main.default.station_one").forEach(r -> landed.add(r.path("device_name").asText()));
    assertTrue(landed.containsAll(Set.of("p-1", "p-3")) && !landed.contains("p-2"), landed.toString());
  }

  @Test
  void badRequestsGetTheRightStatusAndNameTheField() throws Exception {
    assertError(bridge.postJson("/ingest/station_one", "{\"temp\": \"hot\"}"), 400,
        "Validation error: table station_one, field 'temp': expected an integer, got string \"hot\"");
    assertEquals("temp", json(bridge.postJson("/ingest/station_one", "{\"temp\": \"hot\"}")).get("field").asText());
    assertError(bridge.postJson("/ingest/station_one", "{\"colour\": \"red\"}"), 400, "field 'colour': is not a field of the table");
    assertError(bridge.postJson("/ingest/station_one", "{\"temp\": 1"), 400, "malformed JSON");
    assertError(bridge.postJson("/ingest/station_one", ""), 400, "the body must be a JSON object or an array of objects, got nothing");
    assertError(bridge.postJson("/ingest/events", "{\"tags\": []}"), 400, "field 'id': is required but missing");
    assertError(bridge.postJson("/ingest/station_one?wait_for_ack=maybe", "{}"), 400, "wait_for_ack must be true or false");
    assertError(bridge.postJson("/ingest/nowhere", "{}"), 404, "Table 'nowhere' not found (configured: station_one, station_two, events)");
    assertError(bridge.get("/health/nowhere"), 404, "Table 'nowhere' not found");
    assertError(bridge.post("/flush/nowhere", null, ""), 404, "Table 'nowhere' not found");
    assertError(bridge.get("/no/such/path"), 404, "No route for GET /no/such/path");
    assertError(bridge.get("/ingest/station_one"), 405, "Method GET is not allowed");
    assertError(bridge.post("/ingest/station_one", "text/plain", "{}"), 415, "Unsupported Content-Type 'text/plain'");
    assertError(bridge.post("/ingest/station_one", "application/x-www-form-urlencoded", "{}"), 415,
        "curl -d sends form encoding unless you add -H 'Content-Type: application/json'");
    String big = "[" + "{\"device_name\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},".repeat(200_000) + "{}]";
    assertError(bridge.postJson("/ingest/station_one", big), 413, "Request body too large for table station_one");
  }

  /** A body without a JSON type is what any web page can send cross-site without a preflight: refused, as FastAPI does. */
  @Test
  void aMissingContentTypeIsRefused() throws Exception {
    HttpResponse<String> r = bridge.post("/ingest/station_one", null, "{\"device_name\": \"no-type\"}");
    assertError(r, 415, "No Content-Type for table station_one");
  }

  @Test
  void largeBatchesAreEncodedOffTheIoThreadAndLand() throws Exception {
    StringBuilder ndjson = new StringBuilder();
    for (int i = 0; i < 5_000; i++) {
      ndjson.append("{\"device_name\": \"big-").append(i).append("\", \"temp\": ").append(i % 40).append("}\n");
    }
    HttpResponse<String> r = bridge.post("/ingest/station_one?wait_for_ack=true", "application/x-ndjson", ndjson.toString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(5_000, json(r).get("records").asInt());
    long landed = bridge.emulator.rowValues("main.default.station_one").stream()
        .filter(row -> row.path("device_name").asText().startsWith("big-")).count();
    assertEquals(5_000, landed);
  }

  @Test
  void readinessOpensAStreamForEveryTable() throws Exception {
    HttpResponse<String> ready = bridge.get("/ready");
    assertEquals(200, ready.statusCode(), ready.body());
    assertEquals("ready", json(ready).get("tables").get("events").asText());
  }

  @Test
  void metricsArePrometheusText() throws Exception {
    bridge.postJson("/ingest/station_one?wait_for_ack=true", "{\"device_name\": \"m-1\"}");
    bridge.postJson("/ingest/station_one", "{\"temp\": \"bad\"}");
    HttpResponse<String> metrics = bridge.get("/metrics");
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    String text = metrics.body();
    assertTrue(text.contains("zerobus_bridge_requests_total{endpoint=\"ingest\",status=\"200\",table=\"station_one\"}"), text);
    assertTrue(text.contains("zerobus_bridge_requests_total{endpoint=\"ingest\",status=\"400\",table=\"station_one\"}"), text);
    assertTrue(text.contains("zerobus_bridge_records_rejected_total{table=\"station_one\"}"), text);
    assertTrue(text.contains("zerobus_bridge_ack_latency_seconds_bucket{table=\"station_one\",le=\"0.005\"}"), text);
    assertTrue(text.contains("zerobus_bridge_inflight_records{table=\"station_one\"} 0"), text);
    assertTrue(text.contains("zerobus_bridge_stream_open{table=\"station_one\"} 1"), text);
  }

  @Test
  void openApiDescribesEveryTableAndTheDocsPageServesIt() throws Exception {
    JsonNode api = json(bridge.get("/openapi.json"));
    assertEquals("3.0.3", api.get("openapi").asText());
    JsonNode schema = api.get("components").get("schemas").get("events");
    assertEquals("string", schema.get("properties").get("id").get("type").asText());
    assertEquals("array", schema.get("properties").get("tags").get("type").asText());
    assertEquals("date-time", schema.get("properties").get("at").get("oneOf").get(1).get("format").asText());
    assertEquals("id", schema.get("required").get(0).asText());
    assertTrue(api.get("paths").has("/ingest/station_one"));
    assertTrue(api.get("paths").get("/ingest/station_one").get("post").get("responses").has("429"));

    HttpResponse<String> docs = bridge.get("/docs");
    assertEquals(200, docs.statusCode());
    assertTrue(docs.body().contains("SwaggerUIBundle({url: '/openapi.json'"));
    HttpResponse<String> bundle = bridge.get("/docs/assets/swagger-ui-bundle.js");
    assertEquals(200, bundle.statusCode());
    assertTrue(bundle.body().length() > 100_000);
  }

  @Test
  void flushOfATableNeverWrittenSaysSo() throws Exception {
    try (BridgeFixture fresh = BridgeFixture.start(dir.resolve("fresh"))) {
      HttpResponse<String> r = fresh.post("/flush/station_two", null, "");
      assertEquals(200, r.statusCode());
      assertEquals("no_active_stream", json(r).get("status").asText());
    }
  }

  private static void assertError(HttpResponse<String> r, int status, String text) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode body = json(r);
    assertEquals(status, body.get("status_code").asInt());
    assertTrue(body.get("error").asText().contains(text), body.get("error").asText());
  }

  private static Set<String> names(JsonNode array) {
    Set<String> out = new TreeSet<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
