package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.Settings.Setting;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.emulator.ZerobusEmulator;
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

  private static boolean clean(Config config) {
    return config.configValues().stream().allMatch(v -> v.errorMessages().isEmpty());
  }

  @Test
  void validateReportsEveryProblemAtOnce() throws Exception {
    Path config = TestTables.write(dir, "http://127.0.0.1:1", "http://127.0.0.1:2");
    ZerobusSinkConnector connector = new ZerobusSinkConnector();

    Map<String, String> unknownTable = props(config);
    unknownTable.put("topics", "station_one");
    unknownTable.put(ZerobusSinkConfig.TOPIC_TABLES, "station_one:no_such_table");
    String message = errors(connector.validate(unknownTable), ZerobusSinkConfig.TOPIC_TABLES).get(0);
    assertTrue(message.contains("no_such_table") && message.contains("station_one"), message);

    Map<String, String> regexNowhere = props(config);
    regexNowhere.put("topics", "db.typed,db.nothing");
    regexNowhere.put(ZerobusSinkConfig.TOPIC_TABLE_REGEX, "db\\.(.*)");
    Config result = connector.validate(regexNowhere);
    assertEquals(1, errors(result, ZerobusSinkConfig.TOPIC_TABLE_REGEX).size(), result.configValues().toString());
    assertTrue(errors(result, ZerobusSinkConfig.TOPIC_TABLE_REGEX).get(0).contains("'nothing'"));

    Map<String, String> noRoute = props(config);
    noRoute.put("topics", "events,unrouted");
    message = errors(connector.validate(noRoute), ZerobusSinkConfig.TOPIC_TABLES).get(0);
    assertTrue(message.contains("unrouted:<table key>"), message);

    Map<String, String> several = props(dir.resolve("missing/config.json"));
    several.put(ZerobusSinkConfig.TOPIC_TABLE_REGEX, "(unclosed");
    result = connector.validate(several);
    assertTrue(errors(result, ZerobusSinkConfig.TOPIC_TABLE_REGEX).get(0).contains("regular expression"));
    message = errors(result, ZerobusSinkConfig.CONFIG_FILE).get(0);
    assertTrue(message.contains("missing") && message.contains("config.json"), message);

    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("DATABRICKS_CLIENT_ID") == null
        && System.getenv("DATABRICKS_CLIENT_SECRET") == null, "the environment supplies credentials");
    Map<String, String> noCredentials = props(config);
    noCredentials.remove(ZerobusSinkConfig.CLIENT_ID);
    noCredentials.remove(ZerobusSinkConfig.CLIENT_SECRET);
    noCredentials.put(ZerobusSinkConfig.TOPIC_TABLES, "events:no_such_table");
    result = connector.validate(noCredentials);
    assertTrue(errors(result, ZerobusSinkConfig.CLIENT_ID).get(0).contains("no client id"));
    assertTrue(errors(result, ZerobusSinkConfig.CLIENT_SECRET).get(0).contains("no client secret"));
    assertTrue(errors(result, ZerobusSinkConfig.TOPIC_TABLES).get(0).contains("no_such_table"));
  }

  @Test
  void validateCanFetchATokenWithTheCredentials() throws Exception {
    try (ZerobusEmulator emulator = ZerobusEmulator.builder().grpcPort(0).workspacePort(0).adminPort(-1)
        .dataDir(dir.resolve("landed")).start()) {
      Path config = TestTables.write(dir.resolve("station"), emulator.zerobusEndpoint(), emulator.workspaceUrl());
      ZerobusSinkConnector connector = new ZerobusSinkConnector();
      Map<String, String> p = props(config);
      p.put(ZerobusSinkConfig.CLIENT_ID, emulator.clientId());
      p.put(ZerobusSinkConfig.CLIENT_SECRET, emulator.clientSecret());
      p.put(ZerobusSinkConfig.VALIDATE_CREDENTIALS, "true");
      assertTrue(clean(connector.validate(p)));

      p.put(ZerobusSinkConfig.CLIENT_SECRET, "wrong");
      Config result = connector.validate(p);
      String message = errors(result, ZerobusSinkConfig.CLIENT_SECRET).get(0);
      assertTrue(message.contains("HTTP 401") && !message.contains("wrong"), message);

      p.put(ZerobusSinkConfig.VALIDATE_CREDENTIALS, "false");
      assertTrue(clean(connector.validate(p)), "no live check unless asked for");

      p.put(ZerobusSinkConfig.VALIDATE_CREDENTIALS, "true");
      p.put(ZerobusSinkConfig.WORKSPACE_URL, "http://127.0.0.1:1");
      assertTrue(errors(connector.validate(p), ZerobusSinkConfig.WORKSPACE_URL).get(0).contains("cannot fetch"));
    }
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
    Env env = StationSetup.env(config, Map.of());
    TableRegistry registry = TableRegistry.build(StationSetup.station(config, env), EncoderOptions.STRICT);
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
  void theEncodersSettingsComeFromCoresTableAsTheBridgesDo() {
    Map<String, String> p = new HashMap<>();
    p.put(ZerobusSinkConfig.CONFIG_JSON, "{}");
    assertEquals(EncoderOptions.STRICT, new ZerobusSinkConfig(p).settings().encoderOptions());
    p.put(Setting.UNKNOWN_FIELDS.key(), "Ignore");
    p.put(Setting.STRING_MAX_LENGTH.key(), "5");
    p.put(Setting.LINGER_MS.key(), "7");
    ZerobusSinkConfig config = new ZerobusSinkConfig(p);
    assertEquals(new EncoderOptions(true, 5), config.settings().encoderOptions());
    assertEquals(7, config.streamSettings().linger().toMillis());

    p.put(Setting.UNKNOWN_FIELDS.key(), "drop");
    ConfigException refused = assertThrows(ConfigException.class, () -> new ZerobusSinkConfig(p));
    assertTrue(refused.getMessage().contains("unknown.fields must be one of reject, ignore"), refused.getMessage());
    p.put(Setting.UNKNOWN_FIELDS.key(), "reject");
    p.put(Setting.STRING_MAX_LENGTH.key(), "-1");
    assertThrows(ConfigException.class, () -> new ZerobusSinkConfig(p));
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
