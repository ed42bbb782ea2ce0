package dev.zerobus.station.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.config.Settings.Setting;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.sdk.SdkZerobusClient;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;

/** An emulator, the seed's two tables (plus a typed one), and a bridge on a free port, talked to over real HTTP. */
final class BridgeFixture implements AutoCloseable {
  static final String CONFIG = """
      {"databricks": {"server_endpoint": "%s", "workspace_id": "1", "workspace_url": "%s"},
       "tables": {
         "station_one": {"table_name": "main.default.station_one", "proto_package": "station_one",
           "message_name": "StationOne", "fields": [
             {"name": "device_name", "type": "string", "proto_type": "optional string", "field_num": 1},
             {"name": "temp", "type": "int32", "proto_type": "optional int32", "field_num": 2},
             {"name": "humidity", "type": "int64", "proto_type": "optional int64", "field_num": 3}]},
         "station_two": {"table_name": "main.default.station_two", "proto_package": "station_two",
           "message_name": "StationTwo", "fields": [
             {"name": "device_name", "type": "string", "proto_type": "optional string", "field_num": 1},
             {"name": "temp", "type": "int32", "proto_type": "optional int32", "field_num": 2},
             {"name": "humidity", "type": "int64", "proto_type": "optional int64", "field_num": 3},
             {"name": "description", "type": "string", "proto_type": "optional string", "field_num": 4}]},
         "events": {"table_name": "main.default.events", "proto_package": "events", "message_name": "Event",
           "fields": [
             {"name": "id", "type": "string", "proto_type": "required string", "field_num": 1},
             {"name": "at", "type": "timestamp", "proto_type": "optional int64", "field_num": 2},
             {"name": "tags", "type": "string", "proto_type": "repeated string", "field_num": 3},
             {"name": "score", "type": "double", "proto_type": "optional double", "field_num": 4}]}}}
      """;
  /** Quick to give up and to come back, so failure paths run in seconds. */
  static final StreamSettings FAST = StreamSettings.DEFAULTS.with(Setting.RECOVERY_RETRIES, 1)
      .with(Setting.RECOVERY_BACKOFF_MS, 100).with(Setting.RECOVERY_TIMEOUT_MS, 1000)
      .with(Setting.ACK_TIMEOUT_MS, 2000).with(Setting.REOPEN_BACKOFF_MAX_MS, 500)
      .with(Setting.FAILED_COOLDOWN_MS, 2000);

  final ZerobusEmulator emulator;
  final TableRegistry registry;
  final StreamManager manager;
  final BridgeServer server;
  final HttpClient http;

  BridgeFixture(Path dir, StreamSettings streams, UnaryOperator<BridgeSettings> customize) throws IOException {
    this(dir, streams, customize, HttpClient.newHttpClient());
  }

  BridgeFixture(Path dir, StreamSettings streams, UnaryOperator<BridgeSettings> customize, HttpClient http)
      throws IOException {
    this(dir, streams, customize, http, "device_name STRING, temp INT, humidity BIGINT");
  }

  /** @param stationOneColumns the columns the emulator's station_one really has (the config says temp is INT) */
  BridgeFixture(Path dir, StreamSettings streams, UnaryOperator<BridgeSettings> customize, HttpClient http,
      String stationOneColumns) throws IOException {
    this(dir, CONFIG, streams, customize, http, stationOneColumns);
  }

  /** @param configTemplate config.json, a format string taking the emulator's endpoint and workspace URL */
  BridgeFixture(Path dir, String configTemplate, StreamSettings streams, UnaryOperator<BridgeSettings> customize,
      HttpClient http, String stationOneColumns) throws IOException {
    emulator = ZerobusEmulator.builder()
        .table("main.default.station_one", stationOneColumns)
        .table("main.default.station_two", "device_name STRING, temp INT, humidity BIGINT, description STRING")
        .start();
    Files.createDirectories(dir);
    Path config = Files.writeString(dir.resolve("config.json"),
        configTemplate.formatted(emulator.zerobusEndpoint(), emulator.workspaceUrl()));
    registry = TableRegistry.build(StationConfig.load(config, Env.of(Map.of())), EncoderOptions.STRICT);
    manager = SdkZerobusClient.streamManager(registry, new Credentials(emulator.clientId(), emulator.clientSecret()), streams);
    BridgeSettings settings = customize.apply(BridgeSettings.defaults("127.0.0.1", 0)
        .withLimits(Duration.ofSeconds(10), BridgeSettings.DEFAULT_MAX_BODY_BYTES, false));
    server = new BridgeServer(registry, manager, settings).start();
    this.http = http;
  }

  static BridgeFixture start(Path dir) throws IOException {
    return new BridgeFixture(dir, FAST, s -> s);
  }

  HttpResponse<String> post(String path, String contentType, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> postJson(String path, String body) throws IOException, InterruptedException {
    return post(path, "application/json", body);
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> response) throws IOException {
    return Json.MAPPER.readTree(response.body());
  }

  /** The documented error body: application/json, {"error": non-blank text, "status_code": status}. */
  static void assertErrorBody(HttpResponse<String> r, int status) throws IOException {
    org.junit.jupiter.api.Assertions.assertEquals(status, r.statusCode(), r.body());
    org.junit.jupiter.api.Assertions.assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
    JsonNode body = json(r);
    org.junit.jupiter.api.Assertions.assertEquals(status, body.get("status_code").asInt(), r.body());
    org.junit.jupiter.api.Assertions.assertTrue(body.get("error").isTextual() && !body.get("error").asText().isBlank(), r.body());
  }

  @Override
  public void close() {
    server.shutdown();
    emulator.close();
  }
}
