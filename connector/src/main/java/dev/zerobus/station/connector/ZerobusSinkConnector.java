package dev.zerobus.station.connector;

import dev.zerobus.station.core.Env;
import java.util.ArrayList;
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
  private Map<String, String> props;

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
   * Beyond each setting's own validator: exactly one of the config file and the inline JSON, and
   * the tables it names must load (schemas parse and agree), reported on the setting at fault.
   */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config config = super.validate(connectorConfigs);
    ConfigValue file = find(config, ZerobusSinkConfig.CONFIG_FILE);
    boolean clean = config.configValues().stream().allMatch(v -> v.errorMessages().isEmpty());
    if (!clean || file == null) {
      return config;
    }
    try {
      ZerobusSinkConfig parsed = new ZerobusSinkConfig(connectorConfigs);
      Env env = StationSetup.env(parsed);
      StationSetup.registry(parsed, env);
    } catch (org.apache.kafka.common.config.ConfigException e) {
      file.addErrorMessage(e.getMessage());
    } catch (dev.zerobus.station.core.ConfigException e) {
      String blamed = connectorConfigs.getOrDefault(ZerobusSinkConfig.CONFIG_FILE, "").isBlank()
          ? ZerobusSinkConfig.CONFIG_JSON : ZerobusSinkConfig.CONFIG_FILE;
      ConfigValue target = find(config, blamed);
      (target == null ? file : target).addErrorMessage(e.getMessage());
    }
    return config;
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
