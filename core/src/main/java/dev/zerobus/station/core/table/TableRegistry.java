package dev.zerobus.station.core.table;

import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.config.StationConfig.TableSpec;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.schema.Catalog;
import dev.zerobus.station.core.schema.SchemaLoader;
import dev.zerobus.station.core.schema.TableSchema;
import dev.zerobus.station.core.schema.UnityCatalog;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The configured tables, each with its schema (found and checked by {@link SchemaLoader}) and the
 * encoder for it. Building it fails on the first inconsistency, naming the file, table and field.
 * A table's definition is replaced when its columns change ({@link SchemaRefresh}); callers take
 * the current one each time, and the set of tables never changes.
 */
public final class TableRegistry {
  /** Tables whose schemas are read from the catalog at once. */
  private static final int CATALOG_READERS = 16;

  private final StationConfig config;
  private final Catalog catalog;
  /** Keys in config order; each holds its table's current definition. */
  private final Map<String, AtomicReference<TableDefinition>> tables;

  private TableRegistry(StationConfig config, Catalog catalog, Map<String, TableDefinition> tables) {
    this.config = config;
    this.catalog = catalog;
    Map<String, AtomicReference<TableDefinition>> refs = new LinkedHashMap<>();
    tables.forEach((key, def) -> refs.put(key, new AtomicReference<>(def)));
    this.tables = Collections.unmodifiableMap(refs);
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
    List<TableSpec> specs = new ArrayList<>(config.tables().values());
    List<TableSchema> schemas = loadAll(config, specs, catalog);
    Map<String, TableDefinition> tables = new LinkedHashMap<>();
    for (int i = 0; i < specs.size(); i++) {
      TableSpec spec = specs.get(i);
      tables.put(spec.key(), new TableDefinition(spec.key(), spec.tableName(), schemas.get(i), options));
    }
    return new TableRegistry(config, catalog, tables);
  }

  /**
   * Every table's schema, in config order; with a catalog, read for many tables at once (each read
   * waits on the workspace, not the CPU), so hundreds of tables start in seconds. A failure is the
   * first table's in config order, as if they had been read one by one.
   */
  private static List<TableSchema> loadAll(StationConfig config, List<TableSpec> specs, Catalog catalog) {
    if (catalog == null || specs.size() < 2) {
      return specs.stream().map(spec -> SchemaLoader.load(config, spec, catalog)).toList();
    }
    ExecutorService readers = Executors.newFixedThreadPool(Math.min(CATALOG_READERS, specs.size()), r -> {
      Thread t = new Thread(r, "catalog-reader");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<TableSchema>> reads = new ArrayList<>();
      for (TableSpec spec : specs) {
        reads.add(readers.submit(() -> SchemaLoader.load(config, spec, catalog)));
      }
      List<TableSchema> out = new ArrayList<>();
      for (Future<TableSchema> read : reads) {
        out.add(read.get());
      }
      return out;
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigException("interrupted while reading the tables' schemas");
    } finally {
      readers.shutdownNow();
    }
  }

  public StationConfig config() {
    return config;
  }

  /** Where schemas are read from and checked against; null for none. */
  public Catalog catalog() {
    return catalog;
  }

  /** The table's current definition. */
  public Optional<TableDefinition> find(String key) {
    AtomicReference<TableDefinition> ref = tables.get(key);
    return ref == null ? Optional.empty() : Optional.of(ref.get());
  }

  /** Tables in config.json order, as they are now. */
  public Collection<TableDefinition> tables() {
    List<TableDefinition> out = new ArrayList<>(tables.size());
    tables.values().forEach(ref -> out.add(ref.get()));
    return out;
  }

  /** Puts {@code next} in place of {@code current}; false (nothing changed) if the table has changed since. */
  boolean replace(TableDefinition current, TableDefinition next) {
    return tables.get(current.key()).compareAndSet(current, next);
  }

  public List<String> keys() {
    return new ArrayList<>(tables.keySet());
  }
}
