package dev.zerobus.station.core.schema;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.config.StationConfig.FieldSpec;
import dev.zerobus.station.core.config.StationConfig.SchemaDrift;
import dev.zerobus.station.core.config.StationConfig.TableSpec;
import dev.zerobus.station.core.errors.CatalogException;
import dev.zerobus.station.core.errors.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a configured table's schema and checks it: its local schema (schema.proto, or config.json's
 * fields) against itself and the catalog, or the catalog's columns when it has none locally.
 */
public final class SchemaLoader {
  private static final Logger log = LoggerFactory.getLogger(SchemaLoader.class);

  private SchemaLoader() {}

  /**
   * The table's schema: from {@code tables/<key>/schema.proto} when it exists, else from config.json's
   * {@code fields}, else from the catalog; when both local sources exist they must agree, and a
   * local schema is compared with the catalog (see {@link SchemaDrift}).
   *
   * @param catalog where schemas come from and are checked against; null for none
   * @throws ConfigException naming the file, table and field at fault
   */
  public static TableSchema load(StationConfig config, TableSpec spec, Catalog catalog) {
    String where = config.file() + ": table " + spec.key();
    for (FieldSpec f : spec.fields()) {
      LocalSchemas.columnType(where, f);
    }
    Path protoFile = config.tablesDir().resolve(spec.key()).resolve("schema.proto");
    Descriptor descriptor;
    String source;
    if (Files.isRegularFile(protoFile)) {
      descriptor = LocalSchemas.fromProtoFile(where, protoFile, spec);
      if (!spec.fields().isEmpty()) {
        LocalSchemas.checkAgreement(where, protoFile, descriptor, spec.fields());
      }
      source = protoFile.toString();
    } else if (!spec.fields().isEmpty()) {
      descriptor = LocalSchemas.fromFields(where, spec);
      for (FieldSpec f : spec.fields()) {
        FieldDescriptor field = descriptor.findFieldByName(f.name());
        if (f.type() != null && !LocalSchemas.typeFits(f.type(), field)) {
          throw new ConfigException(where + " field '" + f.name() + "': type '" + f.type()
              + "' does not fit proto_type '" + f.protoType() + "'");
        }
      }
      source = "config.json fields";
    } else {
      return fromCatalog(where, spec, protoFile, catalog);
    }
    checkFieldNumbers(where, descriptor);
    Map<FieldDescriptor, DeltaType> types = new IdentityHashMap<>();
    Map<FieldDescriptor, DecimalType> decimals = new IdentityHashMap<>();
    for (FieldSpec f : spec.fields()) {
      DeltaType t = LocalSchemas.columnType(where, f);
      FieldDescriptor field = descriptor.findFieldByName(f.name());
      if (t == null || field == null) {
        continue;
      }
      types.put(field, t);
      if (t == DeltaType.DECIMAL) {
        decimals.put(field, LocalSchemas.decimalType(where, f));
      }
    }
    Checked checked = checkWithCatalog(where, spec, source, descriptor, types, decimals, catalog);
    if (checked == null) {
      return new TableSchema(descriptor, types, decimals, source);
    }
    types.putAll(checked.diff().catalogTypes());
    decimals.putAll(checked.diff().catalogDecimals());
    return new TableSchema(descriptor, types, decimals, source).checkedAgainst(checked.columns());
  }

  /**
   * The schema of a table that follows the catalog, as the catalog has it now: {@code current}
   * itself when the columns are the same, else a new one whose fields keep {@code current}'s numbers
   * (see {@link CatalogTable#build(String, String, Descriptor)}).
   *
   * @throws CatalogException when the catalog cannot answer now
   * @throws ConfigException for columns protobuf cannot hold, naming the column
   */
  public static TableSchema reread(TableSpec spec, TableSchema current, Catalog catalog) throws CatalogException {
    CatalogTable columns = catalog.table(spec.tableName());
    if (current.catalogColumns() != null && columns.columns().equals(current.catalogColumns().columns())) {
      return current;
    }
    Descriptor before = current.descriptor();
    CatalogTable.Built built = columns.build(before.getFile().getPackage(), before.getName(), before);
    checkFieldNumbers("table " + spec.key(), built.descriptor());
    return TableSchema.fromCatalog(columns, built);
  }

  /**
   * A local schema against the catalog's columns now: the differences that would make Zerobus
   * refuse its streams or records, one line each (empty when they agree).
   */
  public static List<String> drift(TableSpec spec, TableSchema local, CatalogTable columns) {
    return SchemaDiff.compare(local.descriptor(), local.knownColumnTypes(), local.knownDecimals(), columns).drift();
  }

  /** A table with no local schema: its columns from the catalog, as the SDK's generator would write them. */
  private static TableSchema fromCatalog(String where, TableSpec spec, Path protoFile, Catalog catalog) {
    if (catalog == null) {
      throw new ConfigException(where + ": no fields in config.json and no " + protoFile
          + ", and no Unity Catalog to read the schema from (set DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)");
    }
    CatalogTable columns;
    try {
      columns = catalog.table(spec.tableName());
    } catch (CatalogException e) {
      throw new ConfigException(where + ": no fields in config.json and no " + protoFile
          + ", and its schema could not be read from Unity Catalog: " + e.getMessage());
    }
    String message = spec.messageName() != null ? spec.messageName() : CatalogTable.pascal(spec.key());
    CatalogTable.Built built;
    try {
      built = columns.build(spec.protoPackage(), message);
    } catch (ConfigException e) {
      throw new ConfigException(where + ": " + e.getMessage());
    }
    checkFieldNumbers(where, built.descriptor());
    log.info("table {}: schema of {} read from Unity Catalog at {} ({} columns)", spec.key(), spec.tableName(),
        catalog.where(), columns.columns().size());
    return TableSchema.fromCatalog(columns, built);
  }

  /** The catalog's columns a local schema was compared with, and the comparison. */
  private record Checked(CatalogTable columns, SchemaDiff.Result diff) {}

  /**
   * Compares a local schema with the catalog.
   *
   * @return the columns and the comparison, whose catalog column types apply to the fields that
   *     match; null when the catalog was not asked or could not answer
   * @throws ConfigException with the diff, when they drift and schema_drift is fail
   */
  private static Checked checkWithCatalog(String where, TableSpec spec, String source,
      Descriptor descriptor, Map<FieldDescriptor, DeltaType> explicit, Map<FieldDescriptor, DecimalType> decimals,
      Catalog catalog) {
    if (catalog == null || spec.schemaDrift() == SchemaDrift.OFF) {
      return null;
    }
    CatalogTable columns;
    try {
      columns = catalog.table(spec.tableName());
    } catch (CatalogException | ConfigException e) {
      log.warn("table {}: its schema from {} was not checked against Unity Catalog: {}", spec.key(), source,
          e.getMessage());
      return null;
    }
    SchemaDiff.Result diff = SchemaDiff.compare(descriptor, explicit, decimals, columns);
    if (diff.drift().isEmpty()) {
      return new Checked(columns, diff);
    }
    String report = driftReport(where, spec, source, columns, diff.drift());
    if (spec.schemaDrift() == SchemaDrift.FAIL) {
      throw new ConfigException(report + "\n  Fix the local schema (`java -jar zerobus-station.jar tables pull "
          + spec.tableName() + " --key " + spec.key() + "` rewrites it from the catalog), or set \"schema_drift\":"
          + " \"warn\" in config.json to start anyway.");
    }
    log.warn("{}\n  Starting anyway (schema_drift is warn).", report);
    return new Checked(columns, diff);
  }

  private static String driftReport(String where, TableSpec spec, String source, CatalogTable columns,
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
}
