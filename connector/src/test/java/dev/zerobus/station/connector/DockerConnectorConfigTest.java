package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.table.TableRegistry;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;

/**
 * The connector configs shipped in config/ (the one docker compose registers, the standalone one)
 * use only settings that exist, validate cleanly, route to tables that exist; the Connect worker's
 * properties and the compose file give them what they reference.
 */
class DockerConnectorConfigTest {
  static final Path ROOT = Path.of("..");
  static final Pattern ENV_REF = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+)}");
  static final Set<String> FRAMEWORK = Set.of("name", "connector.class", "tasks.max", "topics", "topics.regex");
  static final List<String> FRAMEWORK_PREFIXES = List.of("key.converter", "value.converter", "header.converter",
      "errors.", "transforms", "predicates", "consumer.override.");

  static Map<String, String> dockerConfig() throws Exception {
    JsonNode json = new ObjectMapper().readTree(ROOT.resolve("config/connector.docker.json").toFile());
    Map<String, String> out = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      assertTrue(e.getValue().isTextual(), e.getKey() + ": the Connect REST API takes string values");
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  static Map<String, String> standaloneConfig() throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(ROOT.resolve("config/connector.properties"))) {
      p.load(r);
    }
    Map<String, String> out = new HashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }

  static void assertValid(String what, Map<String, String> config, Map<String, String> env) {
    for (String key : config.keySet()) {
      boolean known = ZerobusSinkConfig.CONFIG_DEF.configKeys().containsKey(key) || FRAMEWORK.contains(key)
          || FRAMEWORK_PREFIXES.stream().anyMatch(key::startsWith);
      assertTrue(known, what + ": unknown setting " + key);
    }
    Map<String, String> resolved = new HashMap<>();
    config.forEach((k, v) -> {
      Matcher m = ENV_REF.matcher(v);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        assertTrue(env.containsKey(m.group(1)), what + ": " + k + " refers to ${env:" + m.group(1) + "}, which is not set");
        m.appendReplacement(sb, Matcher.quoteReplacement(env.get(m.group(1))));
      }
      m.appendTail(sb);
      resolved.put(k, sb.toString());
    });
    // validated as the worker would: its environment is the one the ${env:...} references were read from
    for (ConfigValue v : new ZerobusSinkConnector(env).validate(resolved).configValues()) {
      assertTrue(v.errorMessages().isEmpty(), what + ": " + v.name() + " " + v.errorMessages());
    }
    Path configFile = Path.of(resolved.get(ZerobusSinkConfig.CONFIG_FILE));
    TableRegistry registry = TableRegistry.build(StationConfig.load(configFile, Env.of(Map.of())), EncoderOptions.STRICT);
    ZerobusSinkConfig parsed = new ZerobusSinkConfig(resolved);
    TableRouter router = new TableRouter(parsed.topicTables(), parsed.getString(ZerobusSinkConfig.TOPIC_TABLE_REGEX),
        parsed.getString(ZerobusSinkConfig.TOPIC_TABLE_REPLACEMENT), registry);
    for (String topic : resolved.get("topics").split(",")) {
      assertTrue(router.table(topic.trim()) != null, what + ": topic " + topic + " routes to no table of " + configFile);
    }
  }

  @Test
  void composeConnectorConfigIsValidAndGetsWhatItReferences() throws Exception {
    JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("docker-compose.yml").toFile());
    JsonNode connect = compose.get("services").get("connect");
    Map<String, String> env = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = connect.get("environment").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next(); // a compose ${VAR:-default} as it is without .env
      env.put(e.getKey(), e.getValue().asText().replaceAll("\\$\\{[A-Z0-9_]+:-([^}]*)}", "$1"));
    }
    Map<String, String> config = dockerConfig();
    // /app/config in the container is ./config here
    config.put(ZerobusSinkConfig.CONFIG_FILE, config.get(ZerobusSinkConfig.CONFIG_FILE).replace("/app/config/",
        ROOT.resolve("config").toString() + "/"));
    assertValid("config/connector.docker.json", config, env);

    assertTrue(connect.path("depends_on").has("kafka"), "connect waits for kafka");
    assertTrue(compose.get("services").get("connect-init").toString().contains("/config/connector.docker.json"));
    for (JsonNode v : connect.path("volumes")) {
      assertTrue(Files.exists(ROOT.resolve(v.asText().split(":")[0])), v.asText());
    }
  }

  @Test
  void standaloneConnectorConfigIsValid() throws Exception {
    Map<String, String> config = standaloneConfig();
    config.put(ZerobusSinkConfig.CONFIG_FILE, ROOT.resolve(config.get(ZerobusSinkConfig.CONFIG_FILE)).toString());
    assertValid("config/connector.properties", config, Map.of());
  }

  @Test
  void workerLoadsThePluginWhereTheImagePutsItAndResolvesEnvReferences() throws Exception {
    Properties worker = new Properties();
    try (Reader r = Files.newBufferedReader(ROOT.resolve("config/connect-distributed.properties"))) {
      worker.load(r);
    }
    String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
    Matcher copy = Pattern.compile("COPY --from=build /src/connector/target/plugin/ (\\S+)/\\S+/").matcher(dockerfile);
    assertTrue(copy.find(), "the connect image copies connector/target/plugin/");
    assertEquals(copy.group(1), worker.getProperty("plugin.path"));
    assertEquals("env", worker.getProperty("config.providers"));
    assertEquals("org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        worker.getProperty("config.providers.env.class"));
    assertTrue(Files.isDirectory(ROOT.resolve("connector/src/assembly")), "the plugin directory is built by the assembly");
  }

  @Test
  void theImagesRunTheKafkaVersionTheBuildTestsWith() throws Exception {
    Pattern version = Pattern.compile("<kafka.version>([^<]+)</kafka.version>");
    Matcher parent = version.matcher(Files.readString(ROOT.resolve("pom.xml")));
    Matcher images = version.matcher(Files.readString(ROOT.resolve("docker/kafka/pom.xml")));
    assertTrue(parent.find() && images.find());
    assertEquals(parent.group(1), images.group(1), "docker/kafka/pom.xml and the parent pom name one Kafka");
  }
}
