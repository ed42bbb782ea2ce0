package dev.zerobus.station.bridge;

import static dev.zerobus.station.bridge.BridgeFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.table.TableRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tables with the request-id and record-index columns get them filled, so retried requests can be deduplicated. */
class BridgeIdempotencyTest {
  static final String READINGS = """
      "readings": {"table_name": "main.default.readings", "proto_package": "readings", "message_name": "Reading",
        "fields": [
          {"name": "device_name", "type": "string", "proto_type": "optional string", "field_num": 1},
          {"name": "temp", "type": "int32", "proto_type": "optional int32", "field_num": 2},
          {"name": "_request_id", "type": "string", "proto_type": "optional string", "field_num": 3},
          {"name": "_record_index", "type": "int64", "proto_type": "optional int64", "field_num": 4}]},
      """;

  @TempDir
  Path dir;

  @Test
  void theRequestIdAndEachRecordsIndexLandInTheTablesThatHaveTheColumns() throws Exception {
    String config = BridgeFixture.CONFIG.replace("\"tables\": {", "\"tables\": {" + READINGS);
    try (BridgeFixture bridge = new BridgeFixture(dir, config, BridgeFixture.FAST, s -> s, HttpClient.newHttpClient(),
        "device_name STRING, temp INT, humidity BIGINT")) {
      HttpResponse<String> keyed = post(bridge, "/ingest/readings?wait_for_ack=true&accept_partial=true",
          "[{\"device_name\": \"a\"}, {\"temp\": \"bad\"}, {\"device_name\": \"c\", \"_request_id\": \"forged\"}]",
          "Idempotency-Key", "order-42");
      assertEquals(200, keyed.statusCode(), keyed.body());
      HttpResponse<String> traced = post(bridge, "/ingest/readings?wait_for_ack=true", "{\"device_name\": \"d\"}",
          "X-Request-Id", "trace-7");
      assertEquals("trace-7", traced.headers().firstValue("X-Request-Id").orElse(""));
      HttpResponse<String> plain = post(bridge, "/ingest/readings?wait_for_ack=true", "{\"device_name\": \"e\"}");
      String generated = plain.headers().firstValue("X-Request-Id").orElse("");
      assertFalse(generated.isEmpty());

      List<String> rows = new ArrayList<>();
      for (JsonNode r : bridge.emulator.rowValues("main.default.readings")) {
        rows.add(r.path("device_name").asText() + " " + r.path("_request_id").asText() + " "
            + r.path("_record_index").asText());
      }
      assertEquals(List.of("a order-42 0", "c order-42 2", "d trace-7 0", "e " + generated + " 0"), rows);

      // A table without the columns is written as before.
      assertEquals(200, post(bridge, "/ingest/station_one?wait_for_ack=true", "{\"device_name\": \"s\"}").statusCode());
      assertFalse(bridge.emulator.rowValues("main.default.station_one").get(0).has("_request_id"));

      HttpResponse<String> tooLong = post(bridge, "/ingest/readings", "{}", "Idempotency-Key", "k".repeat(300));
      assertEquals(400, tooLong.statusCode());
      assertTrue(json(tooLong).get("error").asText().contains("Idempotency-Key"), tooLong.body());
    }
  }

  @Test
  void aColumnOfTheWrongTypeIsAConfigError() throws Exception {
    String config = BridgeFixture.CONFIG.replace("\"tables\": {", "\"tables\": {" + READINGS
        .replace("\"_record_index\", \"type\": \"int64\", \"proto_type\": \"optional int64\"",
            "\"_record_index\", \"type\": \"string\", \"proto_type\": \"optional string\""));
    Path file = Files.writeString(dir.resolve("config.json"), config.formatted("http://127.0.0.1:1", "http://127.0.0.1:1"));
    TableRegistry registry = TableRegistry.build(StationConfig.load(file, Env.of(Map.of())), EncoderOptions.STRICT);
    ConfigException e = assertThrows(ConfigException.class, () -> new IdempotencyColumns(registry, EdgeSettings.DEFAULTS));
    assertTrue(e.getMessage().contains("table readings: column _record_index"), e.getMessage());
  }

  private static HttpResponse<String> post(BridgeFixture bridge, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(bridge.server.url() + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return bridge.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
