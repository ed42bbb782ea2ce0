package dev.zerobus.station.core.table;

import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.config.StationConfig.TableSpec;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.schema.Catalog;
import dev.zerobus.station.core.schema.SchemaLoader;
import dev.zerobus.station.core.schema.UnityCatalog;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configured tables, each with its schema (found and checked by {@link SchemaLoader}) and the
 * encoder for it. Building it fails on the first inconsistency, naming the file, table and field.
 */
public final class TableRegistry {

  private final StationConfig config;
  private final Map<String, TableDefinition> tables;

  private TableRegistry(StationConfig config, Map<String, TableDefinition> tables) {
    this.config = config;
    this.tables = tables;
  }

  /** The tables from local schemas only: no catalog is asked (tables must have fields or a schema.proto). */
  public static TableRegistry build(StationConfig config, EncoderOptions options) {
    return build(config, options, null);
  }

  /**
   * The tables as the bridge and the connector start them: Unity Catalog at the config's
   * workspace_url, with the service principal's credentials from {@code env}, supplies the schema
   * of tables that have none locally and checks those that do.
   */
  public static TableRegistry load(StationConfig config, EncoderOptions options, Env env) {
    return load(config, options, env, true);
  }

  /** @param echoCatalogAnswers whether errors may repeat the catalog's own words (see {@link UnityCatalog}) */
  public static TableRegistry load(StationConfig config, EncoderOptions options, Env env, boolean echoCatalogAnswers) {
    Credentials credentials;
    try {
      credentials = Credentials.from(env);
    } catch (ConfigException e) {
      // The stream manager refuses to start without them anyway; say so here only if a table needs the catalog.
      return build(config, options, null);
    }
    return build(config, options, new UnityCatalog(config.databricks().workspaceUrl(), credentials, UnityCatalog.REQUEST_TIMEOUT,
        echoCatalogAnswers));
  }

  /** @param catalog where schemas come from and are checked against; null for none */
  public static TableRegistry build(StationConfig config, EncoderOptions options, Catalog catalog) {
    Map<String, TableDefinition> tables = new LinkedHashMap<>();
    for (TableSpec spec : config.tables().values()) {
      tables.put(spec.key(), new TableDefinition(spec.key(), spec.tableName(),
          SchemaLoader.load(config, spec, catalog), options));
    }
    return new TableRegistry(config, tables);
  }

  public StationConfig config() {
    return config;
  }

  public Optional<TableDefinition> find(String key) {
    return Optional.ofNullable(tables.get(key));
  }

  /** Tables in config.json order. */
  public Collection<TableDefinition> tables() {
    return tables.values();
  }

  public List<String> keys() {
    return new ArrayList<>(tables.keySet());
  }
}
