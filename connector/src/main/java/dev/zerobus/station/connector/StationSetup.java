package dev.zerobus.station.connector;

import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.DatabricksSettings;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.table.TableRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds core's table registry and credentials from the connector's settings: the bridge's
 * config.json (by path or inline), with the connector's endpoint and credential settings over the
 * worker's environment over the file. Reading the settings sends nothing; {@link #registry} may ask
 * Unity Catalog, and only once {@link CredentialScope} has allowed it.
 */
final class StationSetup {
  private StationSetup() {}

  /** @param workerEnvironment the worker process's environment (System.getenv() outside tests) */
  static Env env(ZerobusSinkConfig config, Map<String, String> workerEnvironment) {
    Map<String, String> overrides = new HashMap<>();
    put(overrides, DatabricksSettings.SERVER_ENDPOINT_ENV, config.getString(ZerobusSinkConfig.SERVER_ENDPOINT));
    put(overrides, DatabricksSettings.WORKSPACE_URL_ENV, config.getString(ZerobusSinkConfig.WORKSPACE_URL));
    put(overrides, DatabricksSettings.WORKSPACE_ID_ENV, config.getString(ZerobusSinkConfig.WORKSPACE_ID));
    put(overrides, StationConfig.TABLES_DIR_ENV, config.getString(ZerobusSinkConfig.TABLES_DIR));
    put(overrides, Credentials.CLIENT_ID, config.getString(ZerobusSinkConfig.CLIENT_ID));
    put(overrides, Credentials.CLIENT_SECRET, config.clientSecret());
    return Env.of(workerEnvironment).with(overrides);
  }

  /**
   * The station config (endpoints and tables) without asking anything remote.
   *
   * @throws dev.zerobus.station.core.errors.ConfigException naming the file, table and field at fault
   */
  static StationConfig station(ZerobusSinkConfig config, Env env) {
    String file = config.getString(ZerobusSinkConfig.CONFIG_FILE);
    if (!file.isBlank()) {
      return StationConfig.load(Path.of(file), env);
    }
    Path tablesDir = Path.of(env.get(StationConfig.TABLES_DIR_ENV).orElse("tables"));
    return StationConfig.parse(config.getString(ZerobusSinkConfig.CONFIG_JSON),
        Path.of(ZerobusSinkConfig.CONFIG_JSON), tablesDir, env);
  }

  /**
   * The tables, with Unity Catalog at the workspace URL supplying or checking their schemas.
   *
   * @throws dev.zerobus.station.core.errors.ConfigException when {@code scope} refuses the settings (before anything is
   *     sent), or naming the file, table and field at fault
   */
  static TableRegistry registry(ZerobusSinkConfig config, StationConfig station, Env env, CredentialScope scope) {
    scope.requireAllowed();
    return TableRegistry.load(station, config.settings().encoderOptions(), env, scope.workspaceTrusted());
  }

  private static void put(Map<String, String> m, String name, String value) {
    if (value != null && !value.isBlank()) {
      m.put(name, value.trim());
    }
  }
}
