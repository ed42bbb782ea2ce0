package dev.zerobus.station.connector;

import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.DatabricksSettings;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.sdk.TokenProbe;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * A sink that writes topics into Databricks tables through Zerobus. Every task gets the same
 * settings; Connect spreads the partitions over them.
 */
public class ZerobusSinkConnector extends SinkConnector {
  private static final String JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";
  private final Map<String, String> workerEnvironment;
  private Map<String, String> props;

  public ZerobusSinkConnector() {
    this(System.getenv());
  }

  /** @param workerEnvironment stands in for the worker's process environment (tests) */
  ZerobusSinkConnector(Map<String, String> workerEnvironment) {
    this.workerEnvironment = Map.copyOf(workerEnvironment);
  }

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    new ZerobusSinkConfig(props); // fail the connector, not only its tasks, on bad settings
    this.props = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return ZerobusSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>(maxTasks);
    for (int i = 0; i < maxTasks; i++) {
      configs.add(props);
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return ZerobusSinkConfig.CONFIG_DEF;
  }

  /**
   * Beyond each setting's own validator, everything that can be checked before a task starts, all
   * reported at once, each on the setting at fault: exactly one of the config file and the inline
   * JSON; the tables it names must load (schemas parse and agree); credentials must be given; every
   * table in topic.tables must exist and every listed topic must route to one. With
   * validate.credentials=true, a token is fetched with the credentials too. Nothing is sent unless
   * {@link CredentialScope} allows the workspace URL and endpoint with these credentials.
   */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config config = super.validate(connectorConfigs);
    // Settings that failed their own validators fall back to their defaults here, so the checks
    // below still run and report their own findings.
    Map<String, String> usable = new HashMap<>(connectorConfigs);
    config.configValues().stream().filter(v -> !v.errorMessages().isEmpty()).forEach(v -> usable.remove(v.name()));
    ZerobusSinkConfig parsed;
    try {
      parsed = new ZerobusSinkConfig(usable);
    } catch (org.apache.kafka.common.config.ConfigException e) {
      error(config, ZerobusSinkConfig.CONFIG_FILE, e.getMessage());
      return config;
    }
    Env env = StationSetup.env(parsed, workerEnvironment);
    Credentials credentials = null;
    try {
      credentials = Credentials.from(env);
    } catch (dev.zerobus.station.core.errors.ConfigException e) {
      if (env.get(Credentials.CLIENT_ID).isEmpty()) {
        error(config, ZerobusSinkConfig.CLIENT_ID, "no client id: set " + ZerobusSinkConfig.CLIENT_ID
            + " (or DATABRICKS_CLIENT_ID in the environment of every worker)");
      }
      if (env.get(Credentials.CLIENT_SECRET).isEmpty()) {
        error(config, ZerobusSinkConfig.CLIENT_SECRET, "no client secret: set " + ZerobusSinkConfig.CLIENT_SECRET
            + " (or DATABRICKS_CLIENT_SECRET in the environment of every worker)");
      }
    }
    String configSetting = parsed.getString(ZerobusSinkConfig.CONFIG_FILE).isBlank()
        ? ZerobusSinkConfig.CONFIG_JSON : ZerobusSinkConfig.CONFIG_FILE;
    StationConfig station;
    try {
      station = StationSetup.station(parsed, env);
    } catch (dev.zerobus.station.core.errors.ConfigException e) {
      error(config, configSetting, e.getMessage());
      return config;
    }
    CredentialScope scope = CredentialScope.check(parsed, workerEnvironment, env, station.databricks());
    if (!scope.problems().isEmpty()) {
      scope.problems().forEach(p -> error(config, p.setting(), p.message()));
      return config;
    }
    TableRegistry registry;
    try {
      registry = StationSetup.registry(parsed, station, env, scope);
    } catch (dev.zerobus.station.core.errors.ConfigException e) {
      error(config, configSetting, e.getMessage());
      return config;
    }
    checkRoutes(config, connectorConfigs, parsed, registry);
    if (JSON_CONVERTER.equals(connectorConfigs.get("value.converter"))
        && "false".equalsIgnoreCase(connectorConfigs.getOrDefault("value.converter.schemas.enable", "true").trim())
        && parsed.rejectMapIntegers()) {
      error(config, ZerobusSinkConfig.MAP_INTEGERS, "value.converter is JsonConverter with schemas.enable=false, which"
          + " silently wraps integers beyond 64 bits, so every value holding an integer would be refused: use "
          + "org.apache.kafka.connect.storage.StringConverter (the same JSON, checked strictly), or set "
          + ZerobusSinkConfig.MAP_INTEGERS + "=accept if no producer sends such integers");
    }
    if (credentials != null && parsed.getBoolean(ZerobusSinkConfig.VALIDATE_CREDENTIALS)) {
      checkToken(config, registry, credentials, scope.workspaceTrusted());
    }
    return config;
  }

  /**
   * Fetches a token as the SDK will: refused credentials are reported on the secret, missing
   * privileges on a table on the client id, an unreachable workspace on its URL.
   */
  private static void checkToken(Config config, TableRegistry registry, Credentials credentials,
      boolean echoAnswers) {
    DatabricksSettings db = registry.config().databricks();
    TokenProbe.Problem p = TokenProbe.fetch(db.workspaceUrl(), db.workspaceId(), null, credentials, echoAnswers);
    if (p != null) {
      error(config, p.refused() ? ZerobusSinkConfig.CLIENT_SECRET : ZerobusSinkConfig.WORKSPACE_URL, p.message());
      return;
    }
    for (TableDefinition table : registry.tables()) {
      p = TokenProbe.fetch(db.workspaceUrl(), db.workspaceId(), table.tableName(), credentials, echoAnswers);
      if (p != null) {
        error(config, p.refused() ? ZerobusSinkConfig.CLIENT_ID : ZerobusSinkConfig.WORKSPACE_URL, p.message());
      }
    }
  }

  /** Every explicit route must name a table, and every listed topic must reach one. */
  private static void checkRoutes(Config config, Map<String, String> props, ZerobusSinkConfig parsed,
      TableRegistry registry) {
    Map<String, String> explicit = parsed.topicTables();
    explicit.forEach((topic, table) -> {
      if (registry.find(table).isEmpty()) {
        error(config, ZerobusSinkConfig.TOPIC_TABLES, "topic " + topic + " is routed to table '" + table
            + "', which the station config does not have (tables: " + registry.keys() + ")");
      }
    });
    TableRouter router = new TableRouter(explicit, parsed.getString(ZerobusSinkConfig.TOPIC_TABLE_REGEX),
        parsed.getString(ZerobusSinkConfig.TOPIC_TABLE_REPLACEMENT), registry);
    for (String topic : props.getOrDefault("topics", "").split(",")) {
      topic = topic.trim();
      if (topic.isEmpty() || explicit.containsKey(topic) || router.definition(topic) != null) {
        continue;
      }
      String table = router.route(topic);
      if (!table.equals(topic)) {
        error(config, ZerobusSinkConfig.TOPIC_TABLE_REGEX, "topic " + topic + " matches the regex and becomes table '"
            + table + "' (" + ZerobusSinkConfig.TOPIC_TABLE_REPLACEMENT + "), which the station config does not have"
            + " (tables: " + registry.keys() + ")");
      } else {
        error(config, ZerobusSinkConfig.TOPIC_TABLES, "topic " + topic + " has no route and there is no table named '"
            + topic + "' (tables: " + registry.keys() + "); add " + topic + ":<table key> to "
            + ZerobusSinkConfig.TOPIC_TABLES);
      }
    }
  }

  private static void error(Config config, String name, String message) {
    ConfigValue v = find(config, name);
    if (v != null) {
      v.addErrorMessage(message);
    }
  }

  private static ConfigValue find(Config config, String name) {
    for (ConfigValue v : config.configValues()) {
      if (v.name().equals(name)) {
        return v;
      }
    }
    return null;
  }
}
