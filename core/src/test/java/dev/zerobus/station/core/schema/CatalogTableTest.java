package dev.zerobus.station.core.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.schema.CatalogTable;
import dev.zerobus.station.core.schema.DeltaType;
import dev.zerobus.station.core.schema.LogicalType;
import dev.zerobus.station.core.schema.UnityCatalog;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.Fixtures;
import dev.zerobus.station.emulator.TableSchema;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schemas from Unity Catalog (the emulator's) at start-up: tables without a local schema, drift, an absent catalog. */
class CatalogTableTest {
  static final String EVERY = "id BIGINT NOT NULL, tiny TINYINT, small SMALLINT, i INT, f FLOAT, d DOUBLE,"
      + " b BOOLEAN, s STRING, bin BINARY, day DATE, at TIMESTAMP, local TIMESTAMP_NTZ, v VARIANT,"
      + " tags ARRAY<STRING>, counts MAP<STRING, BIGINT>, loc STRUCT<lat: DOUBLE, lon: DOUBLE NOT NULL>,"
      + " stops ARRAY<STRUCT<name: STRING, at: TIMESTAMP>>, by_day MAP<INT, STRUCT<n: BIGINT>>";
  static final String STATION = "device_name STRING NOT NULL, temp INT, humidity BIGINT";
  static final String WIDE = IntStream.range(0, 2000).mapToObj(i -> "c" + i + (i % 2 == 0 ? " BIGINT" : " STRING"))
      .collect(Collectors.joining(", "));
  static final String DEEP = "d " + "STRUCT<n: ".repeat(40) + "DATE" + ">".repeat(40);

  @TempDir
  static Path dir;
  static ZerobusEmulator emulator;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder()
        .table("main.uc.every", EVERY)
        .table("main.uc.station", STATION)
        .table("main.uc.wide", WIDE)
        .table("main.uc.deep", DEEP)
        .start();
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  @Test
  void aTableWithNoLocalSchemaGetsItFromTheCatalog() throws Exception {
    TableRegistry registry = load("nolocal", "{\"every\": {\"table_name\": \"main.uc.every\"}}", Map.of());
    TableDefinition every = registry.find("every").orElseThrow();
    assertTrue(every.source().contains("Unity Catalog"), every.source());
    Descriptor d = every.descriptor();
    assertNull(TableSchema.parse(EVERY).mismatch("main.uc.every", d), "the emulator takes the descriptor");
    assertEquals(DeltaType.TINYINT, every.columnType(d.findFieldByName("tiny")));
    assertEquals(LogicalType.DATE, every.logicalType("day"));
    assertEquals(DeltaType.TIMESTAMP, every.columnType(d.findFieldByName("stops").getMessageType().findFieldByName("at")));
    byte[] row = every.encoder().encode(("{\"id\": 1, \"tiny\": -5, \"day\": \"2024-01-31\", \"at\": \"1970-01-01T00:00:01Z\","
        + " \"v\": \"{}\", \"tags\": [\"a\"], \"counts\": {\"k\": 2}, \"loc\": {\"lon\": 1.5},"
        + " \"stops\": [{\"name\": \"x\", \"at\": \"1970-01-01T00:00:02Z\"}], \"by_day\": {\"3\": {\"n\": 4}}}")
        .getBytes(StandardCharsets.UTF_8));
    Message m = DynamicMessage.parseFrom(d, row);
    assertEquals(19753, m.getField(d.findFieldByName("day")));
    EncodeException e = assertThrows(EncodeException.class,
        () -> every.encoder().encode("{\"id\": 1, \"tiny\": 200}".getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.reason().contains("out of range for TINYINT"), e.getMessage());
    assertThrows(EncodeException.class, () -> every.encoder().encode("{\"tiny\": 1}".getBytes(StandardCharsets.UTF_8)),
        "id is NOT NULL, so required");
  }

  @Test
  void wideAndDeepTablesFromTheCatalog() throws Exception {
    TableRegistry registry = load("widedeep", "{\"wide\": {\"table_name\": \"main.uc.wide\"},"
        + " \"deep\": {\"table_name\": \"main.uc.deep\"}}", Map.of());
    TableDefinition wide = registry.find("wide").orElseThrow();
    assertEquals(2000, wide.descriptor().getFields().size());
    assertNull(TableSchema.parse(WIDE).mismatch("main.uc.wide", wide.descriptor()));
    Message m = DynamicMessage.parseFrom(wide.descriptor(),
        wide.encoder().encode("{\"c0\": 7, \"c1999\": \"last\"}".getBytes(StandardCharsets.UTF_8)));
    assertEquals("last", m.getField(wide.descriptor().findFieldByName("c1999")));
    EncodeException twice = assertThrows(EncodeException.class,
        () -> wide.encoder().encode("{\"c1998\": 1, \"c1998\": 2}".getBytes(StandardCharsets.UTF_8)));
    assertTrue(twice.reason().contains("appears twice"), twice.getMessage());
    TableDefinition deep = registry.find("deep").orElseThrow();
    assertNull(TableSchema.parse(DEEP).mismatch("main.uc.deep", deep.descriptor()));
    String json = "{\"d\": " + "{\"n\": ".repeat(40) + "\"2024-01-31\"" + "}".repeat(40) + "}";
    deep.encoder().encode(json.getBytes(StandardCharsets.UTF_8));
    String tooLate = "{\"d\": " + "{\"n\": ".repeat(40) + "\"+999999999-12-31\"" + "}".repeat(40) + "}";
    EncodeException e = assertThrows(EncodeException.class, () -> deep.encoder().encode(tooLate.getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.reason().contains("out of range"), e.getMessage());
  }

  @Test
  void driftFailsStartUpWithTheDiff() {
    String proto = """
        syntax = "proto2";
        package station;
        message Station {
          optional string temp = 2;
          optional int64 humidity = 3;
          optional string colour = 4;
        }
        """;
    ConfigException e = assertThrows(ConfigException.class, () -> load("drift",
        "{\"station\": {\"table_name\": \"main.uc.station\", \"proto_package\": \"station\"}}", Map.of("station", proto)));
    String m = e.getMessage();
    assertTrue(m.contains("does not match Unity Catalog's main.uc.station (3 differences)"), m);
    assertTrue(m.contains("- type change: field 'temp' is optional string but column temp is INT (written as int32)"), m);
    assertTrue(m.contains("- missing column: field 'colour' (optional string) has no column colour in main.uc.station"), m);
    assertTrue(m.contains("- NOT NULL column not written: device_name STRING NOT NULL has no field"), m);
    assertTrue(m.contains("tables pull main.uc.station --key station"), m);
    System.out.println("The drift message as a user sees it:\n" + m);

    TableRegistry warned = load("driftwarn",
        "{\"station\": {\"table_name\": \"main.uc.station\", \"proto_package\": \"station\", \"schema_drift\": \"warn\"}}",
        Map.of("station", proto));
    assertTrue(warned.find("station").isPresent(), "warn starts anyway");
  }

  @Test
  void aMatchingLocalSchemaTakesTheCatalogsColumnTypes() {
    String fields = "[{\"name\": \"device_name\", \"type\": \"string\", \"proto_type\": \"required string\", \"field_num\": 1},"
        + " {\"name\": \"temp\", \"type\": \"int32\", \"field_num\": 2}]";
    TableRegistry registry = load("match", "{\"station\": {\"table_name\": \"main.uc.station\", \"fields\": " + fields + "}}",
        Map.of());
    TableDefinition t = registry.find("station").orElseThrow();
    assertEquals("config.json fields", t.source());
    assertEquals(DeltaType.INT, t.columnType(t.descriptor().findFieldByName("temp")));
  }

  @Test
  void anUnreachableCatalogLeavesLocalSchemasWorking() throws Exception {
    String fields = "[{\"name\": \"temp\", \"type\": \"int32\", \"field_num\": 2}]";
    String config = "{\"databricks\": {\"server_endpoint\": \"http://127.0.0.1:1\", \"workspace_url\": \"http://127.0.0.1:1\"},"
        + " \"tables\": {\"local\": {\"table_name\": \"main.uc.station\", \"fields\": " + fields + "}}}";
    Path file = Fixtures.write(dir.resolve("unreachable"), config, Map.of());
    TableRegistry registry = TableRegistry.load(StationConfig.load(file, Env.of(Map.of())), EncoderOptions.STRICT,
        credentials());
    assertTrue(registry.find("local").isPresent());

    Path none = Fixtures.write(dir.resolve("unreachable2"), config.replace(", \"fields\": " + fields, ""), Map.of());
    ConfigException e = assertThrows(ConfigException.class, () -> TableRegistry.load(
        StationConfig.load(none, Env.of(Map.of())), EncoderOptions.STRICT, credentials()));
    assertTrue(e.getMessage().contains("could not be read from Unity Catalog: cannot reach Unity Catalog at http://127.0.0.1:1"),
        e.getMessage());
    assertTrue(!e.getMessage().contains(emulator.clientSecret()), "no secret in messages");
  }

  @Test
  void catalogRefusalsAreExplained() {
    Path file = Fixtures.write(dir.resolve("refused"), Fixtures.config(emulator.zerobusEndpoint(), emulator.workspaceUrl(),
        "{\"t\": {\"table_name\": \"main.uc.nothing\"}}"), Map.of());
    ConfigException missing = assertThrows(ConfigException.class, () -> TableRegistry.load(
        StationConfig.load(file, Env.of(Map.of())), EncoderOptions.STRICT, credentials()));
    assertTrue(missing.getMessage().contains("has no table main.uc.nothing"), missing.getMessage());
    ConfigException denied = assertThrows(ConfigException.class, () -> TableRegistry.load(
        StationConfig.load(file, Env.of(Map.of())), EncoderOptions.STRICT,
        Env.of(Map.of(Credentials.CLIENT_ID, emulator.clientId(), Credentials.CLIENT_SECRET, "wrong-secret"))));
    assertTrue(denied.getMessage().contains("refused the client credentials"), denied.getMessage());
    assertTrue(!denied.getMessage().contains("wrong-secret"), denied.getMessage());
  }

  @Test
  void pulledProtoRoundTrips() throws Exception {
    CatalogTable every = new UnityCatalog(emulator.workspaceUrl(),
        new Credentials(emulator.clientId(), emulator.clientSecret()), UnityCatalog.REQUEST_TIMEOUT).table("main.uc.every");
    String proto = every.protoText("every", "Every");
    TableRegistry registry = load("roundtrip", "{\"every\": {\"table_name\": \"main.uc.every\", \"proto_package\": \"every\"}}",
        Map.of("every", proto));
    TableDefinition t = registry.find("every").orElseThrow();
    assertTrue(t.source().endsWith("schema.proto"), t.source());
    assertEquals(shape(every.build("every", "Every").descriptor()), shape(t.descriptor()));
    assertEquals(DeltaType.DATE, t.columnType(t.descriptor().findFieldByName("day")), "types come from the catalog check");
  }

  /** Fields, numbers, labels and types, recursively: what a descriptor means, without how it was built. */
  static String shape(Descriptor d) {
    StringBuilder out = new StringBuilder(d.getName()).append('{');
    for (var f : d.getFields()) {
      out.append(f.getName()).append('=').append(f.getNumber()).append(':')
          .append(f.isRepeated() ? "repeated" : f.isRequired() ? "required" : "optional").append(':').append(f.getType())
          .append(f.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE
              ? shape(f.getMessageType()) : "").append(';');
    }
    return out.append('}').toString();
  }

  private static TableRegistry load(String name, String tablesJson, Map<String, String> protos) {
    Path file = Fixtures.write(dir.resolve(name), Fixtures.config(emulator.zerobusEndpoint(), emulator.workspaceUrl(),
        tablesJson), protos);
    return TableRegistry.load(StationConfig.load(file, Env.of(Map.of())), EncoderOptions.STRICT, credentials());
  }

  private static Env credentials() {
    return Env.of(Map.of(Credentials.CLIENT_ID, emulator.clientId(), Credentials.CLIENT_SECRET, emulator.clientSecret()));
  }
}
