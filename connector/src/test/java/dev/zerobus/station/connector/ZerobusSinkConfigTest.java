package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.EncoderOptions;
import dev.zerobus.station.core.Env;
import dev.zerobus.station.core.StationConfig;
import dev.zerobus.station.core.TableRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZerobusSinkConfigTest {
  @TempDir
  Path dir;

  private Map<String, String> props(Path config) {
    Map<String, String> p = new HashMap<>();
    p.put("connector.class", ZerobusSinkConnector.class.getName());
    p.put("topics", "events");
    p.put(ZerobusSinkConfig.CONFIG_FILE, config.toString());
    p.put(ZerobusSinkConfig.CLIENT_ID, "id");
    p.put(ZerobusSinkConfig.CLIENT_SECRET, "secret");
    return p;
  }

  private static List<String> errors(Config config, String name) {
    for (ConfigValue v : config.configValues()) {
      if (v.name().equals(name)) {
        return v.errorMessages();
      }
    }
    throw new AssertionError("no setting " + name);
  }

  @Test
  void validateReportsEachProblemOnItsSetting() throws Exception {
    Path config = TestTables.write(dir, "http://127.0.0.1:1", "http://127.0.0.1:2");
    ZerobusSinkConnector connector = new ZerobusSinkConnector();
    assertTrue(connector.validate(props(config)).configValues().stream().allMatch(v -> v.errorMessages().isEmpty()));

    Map<String, String> bad = props(config);
    bad.put(ZerobusSinkConfig.TOPIC_TABLES, "events");
    bad.put(ZerobusSinkConfig.TOPIC_TABLE_REGEX, "(unclosed");
    bad.put(ZerobusSinkConfig.METADATA_COLUMNS, "colour:_c");
    bad.put(ZerobusSinkConfig.VALUE_FORMAT, "avro");
    Config result = connector.validate(bad);
    assertTrue(errors(result, ZerobusSinkConfig.TOPIC_TABLES).get(0).contains("topic:table_key"));
    assertTrue(errors(result, ZerobusSinkConfig.TOPIC_TABLE_REGEX).get(0).contains("regular expression"));
    assertTrue(errors(result, ZerobusSinkConfig.METADATA_COLUMNS).get(0).contains("kind must be one of"));
    assertTrue(errors(result, ZerobusSinkConfig.VALUE_FORMAT).get(0).toLowerCase().contains("protobuf"));

    Map<String, String> both = props(config);
    both.put(ZerobusSinkConfig.CONFIG_JSON, "{}");
    assertTrue(errors(connector.validate(both), ZerobusSinkConfig.CONFIG_FILE).get(0).contains("exactly one"));

    // a schema.proto that disagrees with config.json: the message names the file, table and field
    Files.writeString(dir.resolve("tables/typed/schema.proto"),
        TestTables.TYPED_PROTO.replace("optional int64 ts = 2;", "optional string ts = 2;"));
    String message = errors(connector.validate(props(config)), ZerobusSinkConfig.CONFIG_FILE).get(0);
    assertTrue(message.contains("typed") && message.contains("ts") && message.contains("config.json"), message);
  }

  @Test
  void inlineConfigAndOverrides() {
    Map<String, String> p = new HashMap<>();
    p.put(ZerobusSinkConfig.CONFIG_JSON, TestTables.config("http://from-json:1", "http://from-json:2")
        .replace("\"typed\": {", "\"typed_unused\": {\"table_name\": \"a.b.c\", \"fields\": [{\"name\": \"x\", "
            + "\"type\": \"string\", \"proto_type\": \"optional string\", \"field_num\": 1}]}, \"typed\": {"));
    p.put(ZerobusSinkConfig.TABLES_DIR, TestTables.write(dir, "x", "y").getParent().resolve("tables").toString());
    p.put(ZerobusSinkConfig.SERVER_ENDPOINT, "http://override:50051");
    ZerobusSinkConfig config = new ZerobusSinkConfig(p);
    Env env = StationSetup.env(config);
    TableRegistry registry = StationSetup.registry(config, env);
    assertEquals("http://override:50051", registry.config().databricks().serverEndpoint());
    assertEquals("http://from-json:2", registry.config().databricks().workspaceUrl());
    assertEquals(List.of("events", "typed_unused", "typed"), registry.keys());
    assertThrows(ConfigException.class, () -> new ZerobusSinkConfig(Map.of()), "neither file nor JSON");
  }

  @Test
  void routingOrderExplicitThenRegexThenTopicName() throws Exception {
    Path config = TestTables.write(dir, "http://127.0.0.1:1", "http://127.0.0.1:2");
    TableRegistry registry = TableRegistry.build(StationConfig.load(config, Env.of(Map.of())), EncoderOptions.STRICT);
    TableRouter router = new TableRouter(Map.of("sensor-readings", "events"), "db\\.(.*)", "$1", registry);
    assertEquals("events", router.table("sensor-readings"));
    assertEquals("typed", router.table("db.typed"));
    assertEquals("events", router.table("events"));
    assertNull(router.table("db.nothing"));
    assertEquals("nothing", router.route("db.nothing"));
  }

  @Test
  void secretIsAPasswordAndNeverPrinted() {
    Map<String, String> p = new HashMap<>();
    p.put(ZerobusSinkConfig.CONFIG_JSON, "{}");
    p.put(ZerobusSinkConfig.CLIENT_SECRET, "s3cr3t");
    ZerobusSinkConfig config = new ZerobusSinkConfig(p);
    assertEquals("s3cr3t", config.clientSecret());
    assertTrue(!config.values().toString().contains("s3cr3t"));
  }
}
