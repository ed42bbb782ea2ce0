package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.emulator.testing.Reading;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Unity Catalog's table-info endpoint for declared and stream-created tables, with the ingest endpoint's token checks. */
class CatalogApiTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String WIDE = IntStream.range(0, 2000).mapToObj(i -> "c" + i + (i % 2 == 0 ? " BIGINT" : " STRING"))
      .collect(Collectors.joining(", "));
  static final String DEEP = "d " + "STRUCT<n: ".repeat(40) + "INT" + ">".repeat(40);
  private static ZerobusEmulator emulator;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder()
        .table("main.uc.every", "id BIGINT NOT NULL, tiny TINYINT, small SMALLINT, i INT, f FLOAT, d DOUBLE,"
            + " b BOOLEAN, s STRING, bin BINARY, day DATE, at TIMESTAMP, local TIMESTAMP_NTZ, v VARIANT,"
            + " tags ARRAY<STRING>, counts MAP<STRING, BIGINT>, loc STRUCT<lat: DOUBLE, lon: DOUBLE NOT NULL>,"
            + " amount DECIMAL(10,2), rates ARRAY<DECIMAL(5,4)>")
        .table("main.uc.wide", WIDE)
        .table("main.uc.deep", DEEP)
        .start();
    try (ZerobusSdk sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl())) {
      ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, "main.uc.created", Reading.getDescriptor(),
          TestSdk.fastRecovery());
      stream.ingestRecordOffset(TestSdk.reading(1));
      stream.flush();
      stream.close();
    }
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  @Test
  void describesDeclaredTablesColumnByColumn() throws Exception {
    HttpResponse<String> answer = get("main.uc.every", token(null));
    assertEquals(200, answer.statusCode(), answer.body());
    JsonNode info = MAPPER.readTree(answer.body());
    assertEquals("main.uc.every", info.get("full_name").asText());
    JsonNode columns = info.get("columns");
    assertEquals(18, columns.size());
    JsonNode id = columns.get(0);
    assertEquals("id", id.get("name").asText());
    assertEquals("LONG", id.get("type_name").asText());
    assertEquals("bigint", id.get("type_text").asText());
    assertEquals(false, id.get("nullable").asBoolean());
    assertEquals(0, id.get("position").asInt());
    assertEquals("long", MAPPER.readTree(id.get("type_json").asText()).get("type").asText());
    JsonNode loc = columns.get(15);
    assertEquals("STRUCT", loc.get("type_name").asText());
    assertEquals("struct<lat:double,lon:double not null>", loc.get("type_text").asText());
    JsonNode locType = MAPPER.readTree(loc.get("type_json").asText()).get("type");
    assertEquals("struct", locType.get("type").asText());
    assertEquals(false, locType.get("fields").get(1).get("nullable").asBoolean());
    JsonNode counts = MAPPER.readTree(columns.get(14).get("type_json").asText()).get("type");
    assertEquals("map", counts.get("type").asText());
    assertEquals("long", counts.get("valueType").asText());
    assertEquals(0, id.get("type_precision").asInt());
    JsonNode amount = columns.get(16);
    assertEquals("DECIMAL", amount.get("type_name").asText());
    assertEquals("decimal(10,2)", amount.get("type_text").asText());
    assertEquals("decimal(10,2)", MAPPER.readTree(amount.get("type_json").asText()).get("type").asText());
    assertEquals(10, amount.get("type_precision").asInt());
    assertEquals(2, amount.get("type_scale").asInt());
    JsonNode rates = columns.get(17);
    assertEquals("array<decimal(5,4)>", rates.get("type_text").asText());
    assertEquals("decimal(5,4)", MAPPER.readTree(rates.get("type_json").asText()).get("type").get("elementType").asText());
  }

  @Test
  void describesTablesStreamsCreated() throws Exception {
    HttpResponse<String> answer = get("main.uc.created", token(null));
    assertEquals(200, answer.statusCode(), answer.body());
    assertTrue(MAPPER.readTree(answer.body()).get("columns").size() > 0);
  }

  @Test
  void wideAndDeepTables() throws Exception {
    JsonNode wide = MAPPER.readTree(get("main.uc.wide", token(null)).body());
    assertEquals(2000, wide.get("columns").size());
    assertEquals("c1999", wide.get("columns").get(1999).get("name").asText());
    assertEquals(1999, wide.get("columns").get(1999).get("position").asInt());
    JsonNode deep = MAPPER.readTree(MAPPER.readTree(get("main.uc.deep", token(null)).body())
        .get("columns").get(0).get("type_json").asText()).get("type");
    int depth = 0;
    while (deep.isObject()) {
      deep = deep.get("fields").get(0).get("type");
      depth++;
    }
    assertEquals(40, depth);
    assertEquals("integer", deep.asText());
  }

  @Test
  void checksTokensAsTheIngestEndpointDoes() throws Exception {
    assertEquals(401, get("main.uc.every", null).statusCode());
    HttpResponse<String> unknown = get("main.uc.every", "emu-not-a-token");
    assertEquals(401, unknown.statusCode());
    assertEquals("UNAUTHENTICATED", MAPPER.readTree(unknown.body()).get("error").asText());
    HttpResponse<String> otherTable = get("main.uc.every", token("main.uc.wide"));
    assertEquals(403, otherTable.statusCode());
    assertEquals(200, get("main.uc.every", token("main.uc.every")).statusCode());
    HttpResponse<String> missing = get("main.uc.nothing", token(null));
    assertEquals(404, missing.statusCode());
    assertEquals("TABLE_DOES_NOT_EXIST", MAPPER.readTree(missing.body()).get("error").asText());
  }

  private static HttpResponse<String> get(String table, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(emulator.workspaceUrl()
        + "/api/2.1/unity-catalog/tables/" + URLEncoder.encode(table, StandardCharsets.UTF_8)));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A token as the SDK's generator asks for one (scope all-apis), or scoped to one table as the SDK's streams are. */
  static String token(String table) throws Exception {
    String form = "grant_type=client_credentials&scope=all-apis" + (table == null ? ""
        : "&authorization_details=" + URLEncoder.encode("[{\"type\": \"unity_catalog_privileges\", \"privileges\":"
            + " [\"USE CATALOG\"], \"object_type\": \"TABLE\", \"object_full_path\": \"" + table + "\"}]",
            StandardCharsets.UTF_8));
    String basic = Base64.getEncoder().encodeToString((emulator.clientId() + ":" + emulator.clientSecret())
        .getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.workspaceUrl() + "/oidc/v1/token"))
        .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    return MAPPER.readTree(answer.body()).get("access_token").asText();
  }
}
