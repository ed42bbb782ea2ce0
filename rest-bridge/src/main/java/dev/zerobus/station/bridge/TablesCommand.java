package dev.zerobus.station.bridge;

import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.errors.CatalogException;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.schema.TablePull;
import dev.zerobus.station.core.schema.UnityCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code zerobus-station tables pull catalog.schema.table [--key name]}. */
@Command(name = "tables", mixinStandardHelpOptions = true, description = "Manage the tables in config.json.",
    subcommands = TablesCommand.Pull.class)
final class TablesCommand {

  @Command(name = "pull", mixinStandardHelpOptions = true,
      description = "Read a table's columns from Unity Catalog, write tables/<key>/schema.proto and add the table"
          + " to config.json (or update it). Uses databricks.workspace_url and DATABRICKS_CLIENT_ID /"
          + " DATABRICKS_CLIENT_SECRET, as the bridge does.")
  static final class Pull implements Callable<Integer> {
    @Parameters(paramLabel = "catalog.schema.table", description = "The Unity Catalog table.")
    String tableName;

    @Option(names = "--key", description = "Its key in config.json and the URL (default: the table part of the name).")
    String key;

    @Option(names = "--config", defaultValue = "${env:ZEROBUS_CONFIG:-config.json}",
        description = "config.json to add the table to (default ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--env-file", defaultValue = "${env:ZEROBUS_ENV_FILE:-.env}",
        description = "Credentials as KEY=VALUE lines; the environment wins (default ${DEFAULT-VALUE}).")
    Path envFile;

    @Override
    public Integer call() throws Exception {
      if (!Files.exists(config)) {
        throw new ConfigException(config + " not found: copy config/config.example.json to config.json and set"
            + " databricks.workspace_url, or point --config at yours");
      }
      Env env = Env.load(List.of(envFile, config.toAbsolutePath().getParent().resolve(".env")));
      StationConfig station = StationConfig.load(config, env);
      UnityCatalog catalog = new UnityCatalog(station.databricks().workspaceUrl(), Credentials.from(env),
          Duration.ofSeconds(30));
      TablePull.Result r;
      try {
        r = TablePull.pull(station, catalog, tableName, key);
      } catch (CatalogException e) {
        throw new ConfigException(e.getMessage());
      }
      System.out.println("Pulled " + tableName + " (" + r.columns() + " columns) from " + catalog.where() + ":");
      System.out.println("  wrote " + r.protoFile());
      System.out.println("  " + (r.added() ? "added" : "updated") + " table '" + r.key() + "' in " + r.configFile());
      System.out.println("  ingest with POST /ingest/" + r.key());
      return 0;
    }
  }
}
