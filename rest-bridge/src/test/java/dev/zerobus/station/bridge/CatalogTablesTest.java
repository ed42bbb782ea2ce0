package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.schema.DecimalType;
import dev.zerobus.station.core.schema.DeltaType;
import dev.zerobus.station.core.sdk.SdkZerobusClient;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.emulator.ColumnType;
import dev.zerobus.station.emulator.TableSchema;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Tables whose schema lives only in Unity Catalog (the emulator's): the column-type table checked
 * against every consumer, ingest through the bridge, and {@code tables pull}.
 */
class CatalogTablesTest {
  /** One column of every scalar type, then the complex ones. */
  static final Map<DeltaType, String> SQL = new LinkedHashMap<>();

  @TempDir
  static Path dir;
  static ZerobusEmulator emulator;

  @BeforeAll
  static void start() throws Exception {
    ZerobusEmulator.Builder b = ZerobusEmulator.builder();
    for (DeltaType t : DeltaType.values()) {
      String sql = switch (t) {
        case ARRAY -> "ARRAY<INT>";
        case MAP -> "MAP<STRING, BIGINT>";
        case STRUCT -> "STRUCT<a: INT, b: STRUCT<c: DATE>>";
        case DECIMAL -> "DECIMAL(10,2)";
        default -> t.sql();
      };
      SQL.put(t, sql);
      b.table("main.types." + t.name().toLowerCase(), "v " + sql);
    }
    b.table("main.types.readings", "device STRING NOT NULL, temp SMALLINT, at TIMESTAMP, tags ARRAY<STRING>");
    b.table("main.default.ledger", "id STRING NOT NULL, amount DECIMAL(10,2), note STRING");
    emulator = b.start();
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  @Test
  void everyConsumerAgreesWithTheTypeTable() throws Exception {
    String tables = SQL.keySet().stream().map(t -> "\"" + t.name().toLowerCase() + "\": {\"table_name\": \"main.types."
        + t.name().toLowerCase() + "\"}").collect(Collectors.joining(", ", "{", "}"));
    TableRegistry registry = TableRegistry.load(StationConfig.load(config("types", tables), Env.of(Map.of())),
        EncoderOptions.STRICT, credentials());
    ObjectNode openApi = OpenApi.document(registry.tables(), "test", false, true);
    var validated = new io.swagger.parser.OpenAPIParser().readContents(openApi.toString(), null, null);
    assertTrue(validated.getMessages() == null || validated.getMessages().isEmpty(), "every type's schema is valid OpenAPI: "
        + validated.getMessages());
    for (DeltaType t : DeltaType.values()) {
      TableDefinition table = registry.find(t.name().toLowerCase()).orElseThrow();
      FieldDescriptor v = table.descriptor().findFieldByName("v");
      // The emulator: its own copy of the table, and it takes the descriptor core built from its catalog answer.
      assertNull(TableSchema.parse("v " + SQL.get(t)).mismatch("main.types.x", table.descriptor()), t.name());
      if (t.scalar()) {
        if (t == DeltaType.DECIMAL) {
          // The emulator's DECIMAL is a type of its own, carrying precision and scale as the catalog reports them.
          assertEquals(new ColumnType.DecimalOf(10, 2), TableSchema.parse("v " + SQL.get(t)).column("v").type());
          assertEquals(new DecimalType(10, 2), table.decimal(v));
        } else {
          ColumnType.Primitive p = ColumnType.Primitive.valueOf(t.name());
          assertEquals(t.protoName(), p.protoType, t.name());
          assertEquals(t.sparkName(), p.sparkName, t.name());
        }
        assertEquals(t.proto(), v.toProto().getType(), t.name());
        assertEquals(t, table.columnType(v), t.name());
        // OpenAPI: the field's schema is the table's (a DECIMAL's with its precision and scale).
        JsonNode schema = openApi.at("/components/schemas/" + t.name().toLowerCase() + "/properties/v");
        assertEquals(t == DeltaType.DECIMAL ? table.decimal(v).openApi() : t.openApi(), schema, t.name());
      } else {
        assertEquals(t == DeltaType.MAP, v.isMapField(), t.name());
        assertEquals(t != DeltaType.STRUCT, v.isRepeated(), t.name());
        JsonNode schema = openApi.at("/components/schemas/" + t.name().toLowerCase() + "/properties/v");
        assertEquals(t.openApi().get("type"), schema.get("type"), t.name());
      }
      // The encoder: what the table says it takes is taken, and the range is enforced.
      for (String ok : accepted(t)) {
        table.encoder().encode(("{\"v\": " + ok + "}").getBytes(StandardCharsets.UTF_8));
      }
      for (String bad : refused(t)) {
        assertThrows(EncodeException.class, () -> table.encoder().encode(("{\"v\": " + bad + "}")
            .getBytes(StandardCharsets.UTF_8)), t.name() + " " + bad);
      }
    }
    // Nothing the emulator writes is missing from the table.
    for (ColumnType.Primitive p : ColumnType.Primitive.values()) {
      assertNotNull(DeltaType.named(p.name()), p.name());
    }
  }

  private static List<String> accepted(DeltaType t) {
    return switch (t.value()) {
      case INTEGER -> t == DeltaType.BIGINT ? List.of("-9223372036854775808", "\"9223372036854775807\"", "1e3")
          : List.of(Long.toString(t.min()), Long.toString(t.max()), "1e1");
      case DATE -> List.of("19753", "\"2024-01-31\"");
      case TIMESTAMP -> List.of("1706696130123456", "\"2024-01-31T10:15:30.123456Z\"", "\"2024-01-31 10:15:30\"");
      case FLOATING -> List.of("1.5", "-2", "\"NaN\"", "\"-Infinity\"");
      case BOOL -> List.of("true", "false");
      case STRING -> List.of("\"x\"", "\"{\\\"a\\\": 1}\"");
      case BYTES -> List.of("\"AQI=\"", "\"_-8=\"");
      case DECIMAL -> List.of("12.34", "\"-0.5\"", "1e3", "\"99999999.99\"");
      case NONE -> t == DeltaType.ARRAY ? List.of("[1, 2]", "[]") : t == DeltaType.MAP ? List.of("{\"k\": 1}")
          : List.of("{\"a\": 1, \"b\": {\"c\": \"2024-01-31\"}}");
    };
  }

  private static List<String> refused(DeltaType t) {
    return switch (t.value()) {
      case INTEGER -> t == DeltaType.BIGINT ? List.of("9223372036854775808", "1.5", "\"x\"", "1e1000000")
          : List.of(Long.toString(t.min() - 1), Long.toString(t.max() + 1), "1.5", "\"1\"", "9e999999999");
      case DATE -> List.of("2147483648", "\"+999999999-12-31\"", "\"31/01/2024\"");
      case TIMESTAMP -> List.of("\"yesterday\"", "9223372036854775808", "true");
      case FLOATING -> t == DeltaType.FLOAT ? List.of("1e39", "\"x\"", "true") : List.of("1e400", "\"x\"", "true");
      case BOOL -> List.of("1", "\"true\"");
      case STRING -> List.of("1", "{}");
      case BYTES -> List.of("\"@@\"", "1");
      case DECIMAL -> List.of("12.345", "123456789", "\"x\"", "true", "1e1000000");
      case NONE -> t == DeltaType.ARRAY ? List.of("[null]", "[\"x\"]", "1") : t == DeltaType.MAP
          ? List.of("{\"k\": null}", "[1]") : List.of("{\"z\": 1}", "{\"b\": {\"c\": \"+999999999-12-31\"}}");
    };
  }

  @Test
  void aTableDeclaredOnlyInTheCatalogIsIngestedThroughTheBridge() throws Exception {
    BridgeServer server = bridge("bridge", "{\"readings\": {\"table_name\": \"main.types.readings\"}}");
    try {
      HttpResponse<String> ok = post(server, "/ingest/readings?wait_for_ack=true",
          "{\"device\": \"d1\", \"temp\": 21, \"at\": \"2024-01-31T10:15:30Z\", \"tags\": [\"a\"]}");
      assertEquals(200, ok.statusCode(), ok.body());
      HttpResponse<String> tooWarm = post(server, "/ingest/readings", "{\"device\": \"d1\", \"temp\": 40000}");
      assertEquals(400, tooWarm.statusCode(), tooWarm.body());
      assertTrue(tooWarm.body().contains("out of range for SMALLINT"), tooWarm.body());
      JsonNode row = emulator.rowValues("main.types.readings").get(0);
      assertEquals("d1", row.get("device").asText());
      assertEquals(21, row.get("temp").asInt());
    } finally {
      server.shutdown();
    }
  }

  @Test
  void aDecimalColumnLandsAsExactTextAndAValueThatWouldNeedRoundingIsRefused() throws Exception {
    BridgeServer server = bridge("ledger", "{\"ledger\": {\"table_name\": \"main.default.ledger\"}}");
    try {
      HttpResponse<String> ok = post(server, "/ingest/ledger?wait_for_ack=true", "{\"id\":\"a\",\"amount\":\"12345678.91\"}");
      assertEquals(200, ok.statusCode(), ok.body());
      HttpResponse<String> rounded = post(server, "/ingest/ledger", "{\"id\":\"b\",\"amount\":12.345}");
      assertEquals(400, rounded.statusCode(), rounded.body());
      JsonNode error = Json.MAPPER.readTree(rounded.body());
      assertEquals("amount", error.path("field").asText(), rounded.body());
      assertTrue(error.path("error").asText().contains("12.345 needs 3 digits after the point, DECIMAL(10,2) keeps 2"),
          rounded.body());
      List<JsonNode> rows = emulator.rowValues("main.default.ledger");
      assertEquals(List.of("{\"id\":\"a\",\"amount\":\"12345678.91\"}"), rows.stream().map(JsonNode::toString).toList(),
          "the exact text landed, and nothing of the refused record");
    } finally {
      server.shutdown();
    }
  }

  /** A bridge on tables whose schemas it reads from the emulator's catalog. */
  private static BridgeServer bridge(String name, String tablesJson) throws Exception {
    TableRegistry registry = TableRegistry.load(StationConfig.load(config(name, tablesJson), Env.of(Map.of())),
        EncoderOptions.STRICT, credentials());
    StreamManager manager = SdkZerobusClient.streamManager(registry, new Credentials(emulator.clientId(),
        emulator.clientSecret()), BridgeFixture.FAST);
    return new BridgeServer(registry, manager, BridgeSettings.defaults("127.0.0.1", 0)
        .withLimits(Duration.ofSeconds(10), BridgeSettings.DEFAULT_MAX_BODY_BYTES, false)).start();
  }

  private static HttpResponse<String> post(BridgeServer server, String path, String json) throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(server.url() + path))
        .header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void tablesPullWritesTheProtoAndTheConfigAndRoundTrips() throws Exception {
    Path config = config("pull", "{\"other\": {\"table_name\": \"main.types.int\", \"fields\": "
        + "[{\"name\": \"v\", \"type\": \"int\", \"field_num\": 1}]}}");
    Path envFile = Files.writeString(dir.resolve("pull.env"), Credentials.CLIENT_ID + "=" + emulator.clientId() + "\n"
        + Credentials.CLIENT_SECRET + "=" + emulator.clientSecret() + "\n");
    int code = new CommandLine(new BridgeMain()).execute("tables", "pull", "main.types.readings", "--key", "readings",
        "--config", config.toString(), "--env-file", envFile.toString());
    assertEquals(0, code);
    Path proto = config.getParent().resolve("tables/readings/schema.proto");
    String text = Files.readString(proto);
    assertTrue(text.contains("required string device = 1; // STRING NOT NULL"), text);
    assertTrue(text.contains("optional int32 temp = 2; // SMALLINT"), text);
    assertTrue(text.contains("repeated string tags = 4; // ARRAY<STRING>"), text);
    JsonNode written = Json.MAPPER.readTree(Files.readString(config));
    assertEquals("main.types.readings", written.at("/tables/readings/table_name").asText());
    assertEquals("main.types.int", written.at("/tables/other/table_name").asText(), "other tables stay");
    // Round trip: the pulled table loads, agrees with the catalog, and takes its column types from it.
    TableRegistry registry = TableRegistry.load(StationConfig.load(config, Env.of(Map.of())), EncoderOptions.STRICT,
        credentials());
    TableDefinition readings = registry.find("readings").orElseThrow();
    assertEquals(proto.toString(), readings.source());
    assertEquals(DeltaType.SMALLINT, readings.columnType(readings.descriptor().findFieldByName("temp")));
    assertNull(TableSchema.parse("device STRING NOT NULL, temp SMALLINT, at TIMESTAMP, tags ARRAY<STRING>")
        .mismatch("main.types.readings", readings.descriptor()));

    String before = Files.readString(config);
    CommandLine cli = new CommandLine(new BridgeMain());
    java.io.StringWriter err = new java.io.StringWriter();
    cli.setErr(new java.io.PrintWriter(err));
    int taken = cli.execute("tables", "pull", "main.types.readings", "--key", "other",
        "--config", config.toString(), "--env-file", envFile.toString());
    assertTrue(taken != 0, "a key taken by another table is refused");
    assertTrue(err.toString().contains("table key 'other' is already main.types.int"), err.toString());
    assertEquals(before, Files.readString(config));
  }

  private static Path config(String name, String tablesJson) throws Exception {
    Path d = dir.resolve(name);
    Files.createDirectories(d.resolve("tables"));
    return Files.writeString(d.resolve("config.json"), "{\"databricks\": {\"server_endpoint\": \""
        + emulator.zerobusEndpoint() + "\", \"workspace_id\": \"1\", \"workspace_url\": \"" + emulator.workspaceUrl()
        + "\"}, \"tables\": " + tablesJson + "}");
  }

  private static Env credentials() {
    return Env.of(Map.of(Credentials.CLIENT_ID, emulator.clientId(), Credentials.CLIENT_SECRET, emulator.clientSecret()));
  }
}
