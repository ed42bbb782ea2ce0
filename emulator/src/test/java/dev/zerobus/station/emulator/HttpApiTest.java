package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.emulator.testing.Reading;
import io.grpc.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The token endpoint and the admin API over real HTTP. */
class HttpApiTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static ZerobusEmulator emulator;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder().table("main.admin.declared", "id BIGINT NOT NULL, tags ARRAY<STRING>").start();
    try (ZerobusSdk sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl())) {
      ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, "main.admin.readings", Reading.getDescriptor(),
          TestSdk.patient());
      for (int i = 0; i < 25; i++) {
        stream.ingestRecordOffset(TestSdk.reading(i));
      }
      stream.flush();
      stream.close();
    }
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  @Test
  void tokenEndpointIssuesBearerTokensForGoodCredentials() throws Exception {
    HttpResponse<String> ok = token(basic(emulator.clientId(), emulator.clientSecret()), "grant_type=client_credentials");
    assertEquals(200, ok.statusCode());
    JsonNode body = MAPPER.readTree(ok.body());
    assertEquals("Bearer", body.get("token_type").asText());
    assertTrue(body.get("access_token").asText().startsWith("emu-"));
    assertEquals(3600, body.get("expires_in").asInt());

    HttpResponse<String> formCredentials = token(null, "grant_type=client_credentials&client_id=" + emulator.clientId()
        + "&client_secret=" + emulator.clientSecret());
    assertEquals(200, formCredentials.statusCode(), formCredentials.body());
  }

  @Test
  void tokenEndpointRefusesWithOAuthErrors() throws Exception {
    HttpResponse<String> wrong = token(basic(emulator.clientId(), "nope"), "grant_type=client_credentials");
    assertEquals(401, wrong.statusCode());
    assertEquals("invalid_client", MAPPER.readTree(wrong.body()).get("error").asText());
    assertTrue(!wrong.body().contains("nope"), "the offered secret is not echoed");

    assertEquals(401, token(null, "grant_type=client_credentials").statusCode());
    HttpResponse<String> grant = token(basic(emulator.clientId(), emulator.clientSecret()), "grant_type=password");
    assertEquals(400, grant.statusCode());
    assertEquals("unsupported_grant_type", MAPPER.readTree(grant.body()).get("error").asText());

    HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.workspaceUrl() + "/oidc/v1/token"))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, get.statusCode());
  }

  @Test
  void adminListsTablesAndServesRows() throws Exception {
    JsonNode tables = get("/tables");
    assertEquals(2, tables.size());
    JsonNode declared = get("/tables/main.admin.declared");
    assertEquals("id BIGINT NOT NULL, tags ARRAY<STRING>", declared.get("columns").asText());
    assertEquals(true, declared.get("declared").asBoolean());

    JsonNode page = get("/tables/main.admin.readings/rows?from=20&limit=3");
    assertEquals(25, page.get("total").asLong());
    assertEquals(3, page.get("rows").size());
    assertEquals("sensor-20", page.get("rows").get(0).get("row").get("device_name").asText());
    assertEquals(20, page.get("rows").get(0).get("offset").asLong());

    HttpResponse<String> ndjson = send("GET", "/tables/main.admin.readings/rows?format=ndjson", null);
    assertEquals("application/x-ndjson", ndjson.headers().firstValue("Content-Type").orElse(""));
    assertEquals(25, ndjson.body().split("\n").length);

    assertEquals(404, send("GET", "/tables/main.admin.nothing", null).statusCode());
    assertEquals(400, send("GET", "/tables/main.admin.readings/rows?limit=-1", null).statusCode());
  }

  @Test
  void adminSetsListsAndClearsFaults() throws Exception {
    assertEquals(200, send("POST", "/faults/drop-stream", "{\"table\":\"main.admin.x\",\"after_records\":10}").statusCode());
    assertEquals(200, send("POST", "/faults/delay-acks", "{\"delay_ms\":50}").statusCode());
    assertEquals(200, send("POST", "/faults/refuse-streams", "{\"table\":\"main.admin.y\",\"code\":\"unavailable\",\"times\":2}").statusCode());
    assertEquals(200, send("POST", "/faults/fail-token", "{\"status\":503}").statusCode());
    JsonNode faults = get("/faults");
    assertEquals(10, faults.get("drop_stream_after_records").get("main.admin.x").asLong());
    assertEquals(50, faults.get("ack_delay_ms").get("*").asLong());
    assertEquals("UNAVAILABLE", faults.get("refuse_streams").get("main.admin.y").get("code").asText());
    assertEquals(503, faults.get("fail_token_requests").get("status").asInt());
    assertEquals(Status.UNAVAILABLE.getCode(), emulator.faults().refusal("main.admin.y").getCode());

    assertEquals(400, send("POST", "/faults/refuse-streams", "{\"code\":\"SOMETIMES\"}").statusCode());
    assertEquals(400, send("POST", "/faults/drop-stream", "{\"after_records\":\"ten\"}").statusCode());
    assertEquals(404, send("POST", "/faults/earthquake", "{}").statusCode());

    assertEquals(200, send("DELETE", "/faults", null).statusCode());
    faults = get("/faults");
    assertEquals(0, faults.get("drop_stream_after_records").size());
    assertTrue(faults.get("fail_token_requests").isNull());
  }

  @Test
  void adminSetsListsAndClearsRejectRecords() throws Exception {
    assertEquals(200, send("POST", "/faults/reject-records",
        "{\"table\":\"main.admin.declared\",\"field\":\"id\",\"value\":1000}").statusCode());
    assertEquals(200, send("POST", "/faults/reject-records",
        "{\"table\":\"main.admin.declared\",\"field\":\"tags\",\"value\":\"x\"}").statusCode());
    assertEquals(200, send("POST", "/faults/reject-records", "{\"every\":3}").statusCode());
    JsonNode rules = get("/faults").get("reject_records");
    assertEquals(MAPPER.readTree("[{\"field\":\"id\",\"value\":\"1000\"},{\"field\":\"tags\",\"value\":\"x\"}]"),
        rules.get("main.admin.declared"));
    assertEquals(MAPPER.readTree("[{\"every\":3,\"received\":0}]"), rules.get("*"));

    for (String bad : new String[] {"{}", "{\"field\":\"id\"}", "{\"value\":1}", "{\"every\":0}",
        "{\"field\":\"id\",\"value\":1,\"every\":2}", "{\"field\":\"id\",\"value\":[1]}"}) {
      HttpResponse<String> r = send("POST", "/faults/reject-records", bad);
      assertEquals(400, r.statusCode(), bad + " -> " + r.body());
    }

    assertEquals(200, send("DELETE", "/faults", null).statusCode());
    assertEquals(0, get("/faults").get("reject_records").size());
  }

  @Test
  void indexListsTheRoutes() throws Exception {
    JsonNode index = get("/");
    assertEquals(emulator.zerobusEndpoint(), index.get("zerobus_endpoint").asText());
    assertTrue(index.get("routes").toString().contains("POST /faults/close-signal"));
    assertTrue(index.get("routes").toString().contains("POST /faults/reject-records"));
    assertTrue(index.get("routes").toString().contains("POST /tables/{table}/columns"));
    assertEquals(404, send("GET", "/nowhere", null).statusCode());
  }

  @Test
  void restartKeepsTheDataAndThePort() throws Exception {
    int port = emulator.grpcPort();
    assertEquals(200, send("POST", "/faults/restart", "{\"downtime_ms\":10}").statusCode());
    assertEquals(port, emulator.grpcPort());
    assertEquals(25, emulator.rowCount("main.admin.readings"));
    emulator.restart(Duration.ZERO);
  }

  private static HttpResponse<String> token(String authorization, String form) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(emulator.workspaceUrl() + "/oidc/v1/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String id, String secret) {
    return "Basic " + Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode get(String path) throws Exception {
    HttpResponse<String> r = send("GET", path, null);
    assertEquals(200, r.statusCode(), r.body());
    return MAPPER.readTree(r.body());
  }

  private static HttpResponse<String> send(String method, String path, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + path))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
        .build(), HttpResponse.BodyHandlers.ofString());
  }
}
