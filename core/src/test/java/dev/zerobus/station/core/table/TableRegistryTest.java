package dev.zerobus.station.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.schema.LogicalType;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableRegistryTest {
  @TempDir
  Path dir;

  @Test
  void loadsTheShippedExampleConfigAndTables() {
    Path repo = Path.of("..").toAbsolutePath().normalize();
    StationConfig config = StationConfig.load(repo.resolve("config/config.example.json"),
        Env.of(Map.of(StationConfig.TABLES_DIR_ENV, repo.resolve("tables").toString())));
    TableRegistry registry = TableRegistry.build(config, EncoderOptions.STRICT);
    assertEquals(java.util.List.of("station_one", "station_two"), registry.keys());
    TableDefinition two = registry.find("station_two").orElseThrow();
    assertEquals("YOUR_CATALOG.YOUR_SCHEMA.station_two", two.tableName());
    assertEquals("station_two.StationTwo", two.descriptor().getFullName());
    assertTrue(two.source().endsWith("tables/station_two/schema.proto"), two.source());
    assertEquals("workspace-id.zerobus.region.cloud.databricks.com", config.databricks().serverEndpoint());
  }

  @Test
  void fieldsAloneDescribeATable() {
    TableRegistry registry = Fixtures.registry(dir, Fixtures.config("http://a:1", "http://a:2",
        "{\"t\": " + Fixtures.table("c.s.t", "p", "Msg", "[{\"name\": \"id\", \"type\": \"int64\", \"field_num\": 1},"
            + " {\"name\": \"tags\", \"proto_type\": \"repeated string\", \"field_num\": 2},"
            + " {\"name\": \"at\", \"type\": \"timestamp\", \"field_num\": 3}]") + "}"), Map.of(), EncoderOptions.STRICT);
    Descriptor d = registry.find("t").orElseThrow().descriptor();
    assertEquals(FieldDescriptor.Type.INT64, d.findFieldByName("id").getType());
    assertTrue(d.findFieldByName("tags").isRepeated());
    assertEquals(LogicalType.TIMESTAMP, registry.find("t").orElseThrow().logicalType("at"));
    assertEquals("config.json fields", registry.find("t").orElseThrow().source());
  }

  @Test
  void protoFilesMayNestMessagesMapsAndProto3() {
    String proto3 = """
        syntax = "proto3";
        package p3;
        message Event {
          string id = 1;
          optional int64 at = 2;
          repeated int32 counts = 3;
          map<string, Detail> details = 4;
          message Detail { string text = 1; }
        }
        """;
    TableRegistry registry = Fixtures.registry(dir, Fixtures.config("http://a:1", "http://a:2",
        "{\"events\": " + Fixtures.table("c.s.events", "p3", "Event", null) + "}"), Map.of("events", proto3),
        EncoderOptions.STRICT);
    Descriptor d = registry.find("events").orElseThrow().descriptor();
    assertTrue(d.findFieldByName("details").isMapField());
    assertTrue(d.findFieldByName("at").hasPresence(), "proto3 optional keeps presence");
    assertFalse(d.findFieldByName("id").hasPresence());
    assertTrue(d.findFieldByName("counts").isPacked(), "proto3 packs repeated scalars");
  }

  @Test
  void inconsistenciesNameTheFileTableAndField() {
    String proto = """
        syntax = "proto2";
        package station_one;
        message StationOne {
          optional string device_name = 1;
          optional int32 temp = 2;
        }
        """;
    assertConfigError("[{\"name\": \"temp\", \"type\": \"int64\", \"proto_type\": \"optional int64\", \"field_num\": 2}]",
        proto, "field 'temp': config.json says 'optional int64', ");
    assertConfigError("[{\"name\": \"temp\", \"type\": \"int32\", \"proto_type\": \"optional int32\", \"field_num\": 7}]",
        proto, "field 'temp': field_num 7 in config.json, 2 in ");
    assertConfigError("[{\"name\": \"humidity\", \"type\": \"int64\", \"proto_type\": \"optional int64\", \"field_num\": 3}]",
        proto, "field 'humidity': in config.json fields but not in ");
    assertConfigError("[{\"name\": \"temp\", \"type\": \"timestamp\", \"field_num\": 2}]",
        proto, "field 'temp': config.json type 'timestamp' does not fit 'optional int32'");
    assertConfigError("[{\"name\": \"temp\", \"type\": \"money\", \"field_num\": 2}]", proto, "field 'temp': unknown type 'money'");
    assertConfigError("[{\"name\": \"temp\", \"type\": \"decimal(10,2)\", \"field_num\": 2}]", proto,
        "field 'temp': config.json type 'decimal(10,2)' does not fit 'optional int32'");
    assertConfigError("[{\"name\": \"device_name\", \"type\": \"decimal(10,12)\", \"field_num\": 1}]", proto,
        "field 'device_name': type DECIMAL(10,12) is not a DECIMAL Databricks has");
    assertConfigError(null, proto.replace("optional int32 temp = 2;", "optional int32 temp = 19500;"),
        "tag is out of range: 19500");
    assertConfigError(null, proto.replace("optional int32 temp = 2;", "optional Unknown temp = 2;"),
        "schema.proto does not parse: unable to resolve Unknown");
    assertConfigError(null, proto.replace("optional int32 temp = 2;", "optional int32 temp = 1;"),
        "multiple fields share tag 1");
    assertConfigError(null, proto.replace("message StationOne {", "message Other {"),
        "message_name is 'StationOne' but");
    assertConfigError(null, proto.replace("package station_one;", "package elsewhere;"),
        "proto_package is 'station_one' but");
    assertConfigError(null, proto.replace("optional int32 temp = 2;", "optional Colour temp = 2; enum Colour { RED = 0; }"),
        "enum station_one.StationOne.Colour is not supported");
    assertConfigError(null, proto.replace("optional int32 temp = 2;", "optional Loc temp = 2;") + "message Loc { optional int32 x = 1; }",
        "uses message station_one.Loc, which is not nested inside station_one.StationOne");
  }

  @Test
  void badConfigFilesAreExplained() {
    assertThrowsMessage("is not valid JSON", "{\"databricks\": ");
    assertThrowsMessage("databricks.server_endpoint is missing",
        "{\"databricks\": {\"workspace_url\": \"http://x\"}, \"tables\": {\"t\": {}}}");
    assertThrowsMessage("table t: table_name must be catalog.schema.table", Fixtures.config("h", "w",
        "{\"t\": {\"table_name\": \"just_a_name\", \"fields\": []}}"));
    assertThrowsMessage("table a/b: the table key must be", Fixtures.config("h", "w",
        "{\"a/b\": {\"table_name\": \"c.s.t\"}}"));
    assertThrowsMessage("no fields in config.json and no", Fixtures.config("h", "w",
        "{\"t\": {\"table_name\": \"c.s.t\"}}"));
    assertThrowsMessage("field 'x': field_num must be a protobuf field number, 1 to 536870911", Fixtures.config("h", "w",
        "{\"t\": {\"table_name\": \"c.s.t\", \"fields\": [{\"name\": \"x\", \"type\": \"string\"}]}}"));
  }

  @Test
  void environmentOverridesEndpointsAndDotEnvSuppliesCredentials() throws Exception {
    Path dotEnv = dir.resolve(".env");
    Files.writeString(dotEnv, """
        # service principal
        export DATABRICKS_CLIENT_ID="sp-id"
        DATABRICKS_CLIENT_SECRET='s3cr3t'
        ZEROBUS_SERVER_ENDPOINT=http://from-dotenv:1 # a comment
        """);
    Env env = Env.of(Map.of("ZEROBUS_SERVER_ENDPOINT", "http://from-env:9"), dotEnv);
    Credentials credentials = Credentials.from(env);
    assertEquals("sp-id", credentials.clientId());
    assertEquals("s3cr3t", credentials.clientSecret());
    assertFalse(credentials.toString().contains("s3cr3t"), "the secret is never printed");

    Path config = Fixtures.write(dir, Fixtures.config("https://ws.zerobus.example.com", "https://ws.example.com",
        "{\"t\": " + Fixtures.table("c.s.t", "p", "M", "[{\"name\": \"a\", \"type\": \"string\", \"field_num\": 1}]") + "}"),
        Map.of());
    StationConfig loaded = StationConfig.load(config, env);
    assertEquals("http://from-env:9", loaded.databricks().serverEndpoint(), "the environment wins over .env");
    assertEquals("https://ws.example.com", loaded.databricks().workspaceUrl());

    ConfigException missing = assertThrows(ConfigException.class, () -> Credentials.from(Env.of(Map.of())));
    assertEquals("DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET must be set, in the environment or in .env"
        + " (missing: DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET)", missing.getMessage());
  }

  private void assertConfigError(String fieldsJson, String proto, String expected) {
    Path tableDir = dir.resolve("case" + System.nanoTime());
    ConfigException e = assertThrows(ConfigException.class, () -> Fixtures.registry(tableDir,
        Fixtures.config("http://a:1", "http://a:2",
            "{\"station_one\": " + Fixtures.table("c.s.station_one", "station_one", "StationOne", fieldsJson) + "}"),
        Map.of("station_one", proto), EncoderOptions.STRICT));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().contains("config.json: table station_one"), e.getMessage());
  }

  private void assertThrowsMessage(String expected, String configJson) {
    Path caseDir = dir.resolve("c" + System.nanoTime());
    ConfigException e = assertThrows(ConfigException.class,
        () -> Fixtures.registry(caseDir, configJson, Map.of(), EncoderOptions.STRICT));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().contains("config.json"), "names the file: " + e.getMessage());
  }
}
