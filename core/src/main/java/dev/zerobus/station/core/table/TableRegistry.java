package dev.zerobus.station.core;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.StationConfig.FieldSpec;
import dev.zerobus.station.core.StationConfig.SchemaDrift;
import dev.zerobus.station.core.StationConfig.TableSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured tables, each with a checked descriptor: from {@code tables/<key>/schema.proto}
 * when it exists, else from config.json's {@code fields}, else from Unity Catalog; when both local
 * sources exist they must agree, and a local schema is compared with the catalog at start-up (see
 * {@link SchemaDrift}). Building it fails on the first inconsistency, naming the file, table and field.
 */
public final class TableRegistry {
  private static final Logger log = LoggerFactory.getLogger(TableRegistry.class);
  /** How long start-up waits for Unity Catalog per request. */
  static final Duration CATALOG_TIMEOUT = Duration.ofSeconds(10);

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
    return build(config, options, new UnityCatalog(config.databricks().workspaceUrl(), credentials, CATALOG_TIMEOUT,
        echoCatalogAnswers));
  }

  /** @param catalog where schemas come from and are checked against; null for none */
  public static TableRegistry build(StationConfig config, EncoderOptions options, SchemaCatalog catalog) {
    Map<String, TableDefinition> tables = new LinkedHashMap<>();
    for (TableSpec spec : config.tables().values()) {
      tables.put(spec.key(), define(config, spec, options, catalog));
    }
    return new TableRegistry(config, tables);
  }

  private static TableDefinition define(StationConfig config, TableSpec spec, EncoderOptions options,
      SchemaCatalog catalog) {
    String where = config.file() + ": table " + spec.key();
    for (FieldSpec f : spec.fields()) {
      TableSchemas.columnType(where, f);
    }
    Path protoFile = config.tablesDir().resolve(spec.key()).resolve("schema.proto");
    Descriptor descriptor;
    String source;
    if (Files.isRegularFile(protoFile)) {
      descriptor = TableSchemas.fromProtoFile(where, protoFile, spec);
      if (!spec.fields().isEmpty()) {
        TableSchemas.checkAgreement(where, protoFile, descriptor, spec.fields());
      }
      source = protoFile.toString();
    } else if (!spec.fields().isEmpty()) {
      descriptor = TableSchemas.fromFields(where, spec);
      for (FieldSpec f : spec.fields()) {
        FieldDescriptor field = descriptor.findFieldByName(f.name());
        if (f.type() != null && !TableSchemas.typeFits(f.type(), field)) {
          throw new ConfigException(where + " field '" + f.name() + "': type '" + f.type()
              + "' does not fit proto_type '" + f.protoType() + "'");
        }
      }
      source = "config.json fields";
    } else {
      return fromCatalog(where, spec, protoFile, options, catalog);
    }
    checkFieldNumbers(where, descriptor);
    Map<FieldDescriptor, DeltaType> types = new IdentityHashMap<>();
    for (FieldSpec f : spec.fields()) {
      DeltaType t = TableSchemas.columnType(where, f);
      FieldDescriptor field = descriptor.findFieldByName(f.name());
      if (t == null || field == null) {
        continue;
      }
      types.put(field, t);
    }
    types.putAll(checkWithCatalog(where, spec, source, descriptor, types, catalog));
    return new TableDefinition(spec.key(), spec.tableName(), descriptor, types, source, options);
  }

  /** A table with no local schema: its columns from the catalog, as the SDK's generator would write them. */
  private static TableDefinition fromCatalog(String where, TableSpec spec, Path protoFile, EncoderOptions options,
      SchemaCatalog catalog) {
    if (catalog == null) {
      throw new ConfigException(where + ": no fields in config.json and no " + protoFile
          + ", and no Unity Catalog to read the schema from (set DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)");
    }
    CatalogSchema columns;
    try {
      columns = catalog.table(spec.tableName());
    } catch (CatalogException e) {
      throw new ConfigException(where + ": no fields in config.json and no " + protoFile
          + ", and its schema could not be read from Unity Catalog: " + e.getMessage());
    }
    String message = spec.messageName() != null ? spec.messageName() : CatalogSchema.pascal(spec.key());
    CatalogSchema.Built built;
    try {
      built = columns.build(spec.protoPackage(), message);
    } catch (ConfigException e) {
      throw new ConfigException(where + ": " + e.getMessage());
    }
    checkFieldNumbers(where, built.descriptor());
    log.info("table {}: schema of {} read from Unity Catalog at {} ({} columns)", spec.key(), spec.tableName(),
        catalog.where(), columns.columns().size());
    return new TableDefinition(spec.key(), spec.tableName(), built.descriptor(), built.types(),
        "Unity Catalog " + spec.tableName(), options);
  }

  /**
   * Compares a local schema with the catalog.
   *
   * @return the catalog's column types for the fields that match it
   * @throws ConfigException with the diff, when they drift and schema_drift is fail
   */
  private static Map<FieldDescriptor, DeltaType> checkWithCatalog(String where, TableSpec spec, String source,
      Descriptor descriptor, Map<FieldDescriptor, DeltaType> explicit, SchemaCatalog catalog) {
    if (catalog == null || spec.schemaDrift() == SchemaDrift.OFF) {
      return Map.of();
    }
    CatalogSchema columns;
    try {
      columns = catalog.table(spec.tableName());
    } catch (CatalogException e) {
      log.warn("table {}: its schema from {} was not checked against Unity Catalog: {}", spec.key(), source,
          e.getMessage());
      return Map.of();
    } catch (ConfigException e) {
      log.warn("table {}: its schema from {} was not checked against Unity Catalog: {}", spec.key(), source,
          e.getMessage());
      return Map.of();
    }
    SchemaDiff.Result diff = SchemaDiff.compare(descriptor, explicit, columns);
    if (diff.drift().isEmpty()) {
      return diff.catalogTypes();
    }
    String report = driftReport(where, spec, source, columns, diff.drift());
    if (spec.schemaDrift() == SchemaDrift.FAIL) {
      throw new ConfigException(report + "\n  Fix the local schema (`java -jar zerobus-station.jar tables pull "
          + spec.tableName() + " --key " + spec.key() + "` rewrites it from the catalog), or set \"schema_drift\":"
          + " \"warn\" in config.json to start anyway.");
    }
    log.warn("{}\n  Starting anyway (schema_drift is warn).", report);
    return diff.catalogTypes();
  }

  private static String driftReport(String where, TableSpec spec, String source, CatalogSchema columns,
      List<String> drift) {
    StringBuilder out = new StringBuilder();
    out.append(where).append(": the schema from ").append(source).append(" does not match Unity Catalog's ")
        .append(spec.tableName()).append(" (").append(drift.size()).append(drift.size() == 1 ? " difference" : " differences")
        .append("):");
    for (String d : drift) {
      out.append("\n  - ").append(d);
    }
    String sql = columns.sql();
    out.append("\n  Catalog columns: ").append(sql.length() > 2000 ? sql.substring(0, 2000) + "…" : sql);
    return out.toString();
  }

  /** Field numbers protobuf itself would refuse, found at start rather than by the first record. */
  private static void checkFieldNumbers(String where, Descriptor d) {
    checkFieldNumbers(where, d, new java.util.HashSet<>());
  }

  private static void checkFieldNumbers(String where, Descriptor d, java.util.Set<Descriptor> seen) {
    if (!seen.add(d)) {
      return;
    }
    for (FieldDescriptor f : d.getFields()) {
      int n = f.getNumber();
      if (n < 1 || n > StationConfig.MAX_FIELD_NUMBER) {
        throw new ConfigException(where + " field '" + f.getFullName() + "': number " + n
            + " is outside protobuf's 1 to " + StationConfig.MAX_FIELD_NUMBER);
      }
      if (n >= StationConfig.RESERVED_FIRST && n <= StationConfig.RESERVED_LAST) {
        throw new ConfigException(where + " field '" + f.getFullName() + "': number " + n
            + " is in protobuf's reserved range " + StationConfig.RESERVED_FIRST + "-" + StationConfig.RESERVED_LAST);
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        checkFieldNumbers(where, f.getMessageType(), seen);
      }
    }
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
