package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.sdk.SdkZerobusClient;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ALTER TABLE … ADD COLUMNS while the bridge runs, against the emulator's catalog: a record with the
 * new column lands without a restart, and a running load loses and repeats nothing across the change.
 */
class SchemaEvolutionTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path dir;
  ZerobusEmulator emulator;
  BridgeServer server;

  @BeforeEach
  void start() throws Exception {
    emulator = ZerobusEmulator.builder().table("main.default.evo", "id STRING, v INT").start();
    Path config = Files.writeString(dir.resolve("config.json"), "{\"databricks\": {\"server_endpoint\": \""
        + emulator.zerobusEndpoint() + "\", \"workspace_id\": \"1\", \"workspace_url\": \"" + emulator.workspaceUrl()
        + "\"}, \"tables\": {\"evo\": {\"table_name\": \"main.default.evo\"}}}");
    Files.createDirectories(dir.resolve("tables"));
    TableRegistry registry = TableRegistry.load(StationConfig.load(config, Env.of(Map.of())), EncoderOptions.STRICT,
        Env.of(Map.of(Credentials.CLIENT_ID, emulator.clientId(), Credentials.CLIENT_SECRET, emulator.clientSecret())));
    StreamManager manager = SdkZerobusClient.streamManager(registry, new Credentials(emulator.clientId(),
        emulator.clientSecret()), BridgeFixture.FAST);
    server = new BridgeServer(registry, manager, BridgeSettings.defaults("127.0.0.1", 0)
        .withLimits(Duration.ofSeconds(10), BridgeSettings.DEFAULT_MAX_BODY_BYTES, false)).start();
  }

  @AfterEach
  void stop() {
    server.shutdown();
    emulator.close();
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private void alter(String add) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl()
        + "/tables/main.default.evo/columns")).POST(HttpRequest.BodyPublishers.ofString("{\"add\": \"" + add + "\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  private static void await(String what, BooleanSupplier done) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  @Test
  void aColumnAddedInTheCatalogIsTakenWithoutARestart() throws Exception {
    HttpResponse<String> before = post("/ingest/evo", "{\"id\":\"1\",\"v\":1,\"note\":\"x\"}");
    assertEquals(400, before.statusCode(), before.body());
    assertEquals("note", Json.MAPPER.readTree(before.body()).path("field").asText(), before.body());

    alter("note STRING");
    // The first 400 read the columns just now; a record within the next few seconds gets its answer without
    // another read, so a client retrying sees 400 until the next read is due.
    await("a record with the new column to land", () -> {
      try {
        return post("/ingest/evo?wait_for_ack=true", "{\"id\":\"2\",\"v\":2,\"note\":\"x\"}").statusCode() == 200;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    List<String> rows = emulator.rowValues("main.default.evo").stream().map(JsonNode::toString).toList();
    assertEquals(List.of("{\"id\":\"2\",\"v\":2,\"note\":\"x\"}"), rows);
    JsonNode health = Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/health/evo"))
        .build(), HttpResponse.BodyHandlers.ofString()).body());
    assertEquals(2, health.path("schema_version").asInt(), health.toString());
    assertEquals("column added: note STRING", health.at("/schema_change/change").asText(), health.toString());
    assertTrue(health.at("/schema_change/adopted").asBoolean(), health.toString());
    JsonNode openApi = Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(server.url()
        + "/openapi.json")).build(), HttpResponse.BodyHandlers.ofString()).body());
    assertTrue(openApi.toString().contains("\"note\""), "the OpenAPI document shows the new column");
  }

  @Test
  void aRunningLoadLosesAndRepeatsNothingWhileTheTableMovesToItsNewColumns() throws Exception {
    Map<String, Integer> answered = new ConcurrentHashMap<>();
    AtomicBoolean altered = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    Set<String> withNote = ConcurrentHashMap.newKeySet();
    List<Thread> clients = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      int client = c;
      Thread t = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          String id = client + "-" + i;
          boolean note = altered.get();
          String body = "{\"id\":\"" + id + "\",\"v\":" + i + (note ? ",\"note\":\"n" + id + "\"" : "") + "}";
          try {
            int status = post("/ingest/evo?wait_for_ack=true", body).statusCode();
            answered.put(id, status);
            if (status == 200 && note) {
              withNote.add(id);
            }
          } catch (Exception e) {
            answered.put(id, -1);
          }
        }
      }, "load-" + c);
      clients.add(t);
      t.start();
    }
    await("records before the change", () -> emulator.rowCount("main.default.evo") >= 200);
    alter("note STRING");
    altered.set(true);
    await("records with the new column", () -> withNote.size() >= 200);
    stop.set(true);
    for (Thread t : clients) {
      t.join(TimeUnit.SECONDS.toMillis(30));
    }

    Map<String, Integer> landed = new HashMap<>();
    Map<String, String> notes = new HashMap<>();
    for (JsonNode row : emulator.rowValues("main.default.evo")) {
      landed.merge(row.path("id").asText(), 1, Integer::sum);
      if (row.hasNonNull("note")) {
        notes.put(row.path("id").asText(), row.path("note").asText());
      }
    }
    List<String> twice = landed.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    assertEquals(List.of(), twice, "records that landed more than once");
    List<String> lost = answered.entrySet().stream().filter(e -> e.getValue() == 200 && !landed.containsKey(e.getKey()))
        .map(Map.Entry::getKey).toList();
    assertEquals(List.of(), lost, "records answered 200 that did not land");
    for (String id : withNote) {
      assertEquals("n" + id, notes.get(id), "record " + id + " landed with its note");
    }
  }
}
