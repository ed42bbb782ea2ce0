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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /tables/{table}/columns} on the admin API: its answers, the catalog after it, and what survives a restart. */
class AlterTableTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String TABLE = "main.alter.readings";
  private static final String COLUMNS = "device_name STRING, temp INT, humidity BIGINT";

  @TempDir
  Path dataDir;

  private ZerobusEmulator start(String declaredColumns) throws Exception {
    return ZerobusEmulator.builder().dataDir(dataDir).table(TABLE, declaredColumns).start();
  }

  @Test
  void addingColumnsAnswersTheColumnsAsTheCatalogShowsThem() throws Exception {
    try (ZerobusEmulator emulator = start(COLUMNS)) {
      HttpResponse<String> answer = alter(emulator, TABLE, "{\"add\": \"note STRING, score DOUBLE,"
          + " amount DECIMAL(10,2), tags ARRAY<STRING>, counts MAP<STRING, BIGINT>, loc STRUCT<lat: DOUBLE, lon: DOUBLE>\"}");

      assertEquals(200, answer.statusCode(), answer.body());
      JsonNode columns = MAPPER.readTree(answer.body()).get("columns");
      assertEquals(List.of("device_name", "temp", "humidity", "note", "score", "amount", "tags", "counts", "loc"),
          names(columns));
      for (int i = 0; i < columns.size(); i++) {
        assertEquals(i, columns.get(i).get("position").asInt());
        assertTrue(columns.get(i).get("nullable").asBoolean(), columns.get(i).toString());
      }
      assertEquals("decimal(10,2)", columns.get(5).get("type_text").asText());
      assertEquals(10, columns.get(5).get("type_precision").asInt());
      assertEquals("struct<lat:double,lon:double>", columns.get(8).get("type_text").asText());

      HttpResponse<String> catalog = catalog(emulator, TABLE);
      assertEquals(200, catalog.statusCode(), catalog.body());
      assertEquals(MAPPER.readTree(answer.body()), MAPPER.readTree(catalog.body()), "the answer is the catalog's table info");
      assertEquals(COLUMNS + ", note STRING, score DOUBLE, amount DECIMAL(10,2), tags ARRAY<STRING>,"
          + " counts MAP<STRING, BIGINT>, loc STRUCT<lat: DOUBLE, lon: DOUBLE>", emulator.columns(TABLE));
      assertEquals(emulator.columns(TABLE), admin(emulator, "GET", "/tables/" + TABLE, null).get("columns").asText());
    }
  }

  @Test
  void refusalsNameTheColumnAndChangeNothing() throws Exception {
    try (ZerobusEmulator emulator = start(COLUMNS)) {
      HttpResponse<String> notNull = alter(emulator, TABLE, "{\"add\": \"note STRING, id BIGINT NOT NULL\"}");
      assertEquals(400, notNull.statusCode(), notNull.body());
      assertTrue(description(notNull).startsWith("column 'id' is NOT NULL: columns are added as nullable"),
          notNull.body());

      HttpResponse<String> taken = alter(emulator, TABLE, "{\"add\": \"note STRING, Device_Name STRING\"}");
      assertEquals(409, taken.statusCode(), taken.body());
      assertEquals("conflict", MAPPER.readTree(taken.body()).get("error").asText());
      assertTrue(description(taken).startsWith("table main.alter.readings already has column 'device_name'"),
          taken.body());

      HttpResponse<String> unknown = alter(emulator, "main.alter.nothing", "{\"add\": \"note STRING\"}");
      assertEquals(404, unknown.statusCode(), unknown.body());
      assertEquals("no table main.alter.nothing", description(unknown));

      for (String bad : List.of("not json", "[]", "{}", "{\"add\": 5}", "{\"add\": \"  \"}",
          "{\"add\": \"note STRING\", \"drop\": \"temp\"}", "{\"columns\": \"note STRING\"}",
          "{\"add\": \"note STRANGE\"}", "{\"add\": \"note STRING,\"}", "{\"add\": \"note STRING, NOTE INT\"}",
          "{\"drop\": \"temp humidity\"}", "{\"drop\": \"loc.lat\"}")) {
        HttpResponse<String> r = alter(emulator, TABLE, bad);
        assertEquals(400, r.statusCode(), bad + " -> " + r.body());
        assertEquals("invalid_request", MAPPER.readTree(r.body()).get("error").asText(), bad);
      }
      assertTrue(description(alter(emulator, TABLE, "{\"add\": \"note STRANGE\"}"))
          .contains("unsupported column type STRANGE"));

      HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + "/tables/" + TABLE
          + "/columns")).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(405, get.statusCode(), get.body());
      assertEquals(COLUMNS, emulator.columns(TABLE), "no refused change touched the table");
    }
  }

  @Test
  void droppingColumns() throws Exception {
    try (ZerobusEmulator emulator = start(COLUMNS)) {
      HttpResponse<String> dropped = alter(emulator, TABLE, "{\"drop\": \"TEMP, `humidity`\"}");
      assertEquals(200, dropped.statusCode(), dropped.body());
      assertEquals(List.of("device_name"), names(MAPPER.readTree(dropped.body()).get("columns")));

      HttpResponse<String> missing = alter(emulator, TABLE, "{\"drop\": \"temp\"}");
      assertEquals(409, missing.statusCode(), missing.body());
      assertEquals("table main.alter.readings has no column 'temp' (columns: device_name)", description(missing));
      HttpResponse<String> last = alter(emulator, TABLE, "{\"drop\": \"device_name\"}");
      assertEquals(409, last.statusCode(), last.body());
      assertEquals("device_name STRING", emulator.columns(TABLE));
    }
  }

  /** A JSON stream's table takes any object until a descriptor gives it columns: there is nothing to alter yet. */
  @Test
  void aTableWithoutColumnsIsAConflict() throws Exception {
    try (ZerobusEmulator emulator = start(COLUMNS);
        ZerobusSdk sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl())) {
      var stream = TestSdk.jsonStream(sdk, emulator, "main.alter.json", TestSdk.patient());
      stream.ingestRecordOffset("{\"anything\": 1}");
      stream.flush();
      stream.close();
      HttpResponse<String> r = alter(emulator, "main.alter.json", "{\"add\": \"note STRING\"}");
      assertEquals(409, r.statusCode(), r.body());
      assertTrue(description(r).contains("has no columns yet"), r.body());
    }
  }

  @Test
  void theChangeSurvivesARestartWhileTheDeclarationStaysTheSame() throws Exception {
    String created = "main.alter.created";
    try (ZerobusEmulator emulator = start(COLUMNS);
        ZerobusSdk sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl())) {
      for (String table : List.of(TABLE, created)) {
        ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, table, Reading.getDescriptor(), TestSdk.patient());
        stream.ingestRecordOffset(TestSdk.reading(1));
        stream.flush();
        stream.close();
        assertEquals(200, alter(emulator, table, "{\"add\": \"note STRING, amount DECIMAL(12,3)\"}").statusCode());
      }
      assertEquals(200, alter(emulator, TABLE, "{\"drop\": \"temp\"}").statusCode());
    }
    String altered = "device_name STRING, humidity BIGINT, note STRING, amount DECIMAL(12,3)";
    assertEquals(List.of("-- declared: " + COLUMNS, altered), Files.readAllLines(dataDir.resolve(TABLE + ".schema.sql")));

    try (ZerobusEmulator emulator = start(COLUMNS)) {
      assertEquals(altered, emulator.columns(TABLE));
      assertEquals(COLUMNS + ", note STRING, amount DECIMAL(12,3)", emulator.columns(created));
      assertEquals(List.of("device_name", "humidity", "note", "amount"),
          names(MAPPER.readTree(catalog(emulator, TABLE).body()).get("columns")));
      assertEquals(1, emulator.rowCount(TABLE), "landed rows stay");
      assertEquals("{\"device_name\":\"sensor-1\",\"temp\":-9,\"humidity\":1000000000}",
          emulator.rowValues(TABLE).get(0).toString(), "a row landed before the change keeps what it had");
    }

    // A changed declaration wins over the changes made to the old one.
    try (ZerobusEmulator emulator = start(COLUMNS + ", extra STRING")) {
      assertEquals(COLUMNS + ", extra STRING", emulator.columns(TABLE));
      assertEquals(List.of(COLUMNS + ", extra STRING"), Files.readAllLines(dataDir.resolve(TABLE + ".schema.sql")));
    }
  }

  @Test
  void resetGivesADeclaredTableItsDeclaredColumnsAgain() throws Exception {
    try (ZerobusEmulator emulator = start(COLUMNS)) {
      assertEquals(200, alter(emulator, TABLE, "{\"add\": \"note STRING\"}").statusCode());
      assertEquals("reset", admin(emulator, "POST", "/reset", null).get("status").asText());
      assertEquals(COLUMNS, emulator.columns(TABLE));
      assertEquals(List.of(COLUMNS), Files.readAllLines(dataDir.resolve(TABLE + ".schema.sql")));
    }
  }

  private static List<String> names(JsonNode columns) {
    List<String> out = new ArrayList<>();
    columns.forEach(c -> out.add(c.get("name").asText()));
    return out;
  }

  private static String description(HttpResponse<String> answer) throws Exception {
    return MAPPER.readTree(answer.body()).get("error_description").asText();
  }

  static HttpResponse<String> alter(ZerobusEmulator emulator, String table, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + "/tables/" + table + "/columns"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode admin(ZerobusEmulator emulator, String method, String path, String body) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return MAPPER.readTree(r.body());
  }

  /** The Unity Catalog table info, with a token scoped to the table as a client's would be. */
  private static HttpResponse<String> catalog(ZerobusEmulator emulator, String table) throws Exception {
    String form = "grant_type=client_credentials&client_id=" + emulator.clientId() + "&client_secret="
        + emulator.clientSecret();
    HttpResponse<String> token = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.workspaceUrl() + "/oidc/v1/token"))
        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form))
        .build(), HttpResponse.BodyHandlers.ofString());
    String bearer = MAPPER.readTree(token.body()).get("access_token").asText();
    return HTTP.send(HttpRequest.newBuilder(URI.create(emulator.workspaceUrl() + CatalogApi.PATH
        + URLEncoder.encode(table, StandardCharsets.UTF_8))).header("Authorization", "Bearer " + bearer).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
