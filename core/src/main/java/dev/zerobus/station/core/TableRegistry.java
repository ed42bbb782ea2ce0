package dev.zerobus.station.core;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.StationConfig.FieldSpec;
import dev.zerobus.station.core.StationConfig.TableSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configured tables, each with a checked descriptor: from {@code tables/<key>/schema.proto}
 * when it exists, else from config.json's {@code fields}; when both exist they must agree.
 * Building it fails on the first inconsistency, naming the file, table and field.
 */
public final class TableRegistry {
  private final StationConfig config;
  private final Map<String, TableDefinition> tables;

  private TableRegistry(StationConfig config, Map<String, TableDefinition> tables) {
    this.config = config;
    this.tables = tables;
  }

  public static TableRegistry build(StationConfig config, EncoderOptions options) {
    Map<String, TableDefinition> tables = new LinkedHashMap<>();
    for (TableSpec spec : config.tables().values()) {
      tables.put(spec.key(), define(config, spec, options));
    }
    return new TableRegistry(config, tables);
  }

  private static TableDefinition define(StationConfig config, TableSpec spec, EncoderOptions options) {
    String where = config.file() + ": table " + spec.key();
    Map<String, LogicalType> logical = new HashMap<>();
    for (FieldSpec f : spec.fields()) {
      logical.put(f.name(), TableSchemas.logicalType(where, f));
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
      throw new ConfigException(where + ": no fields in config.json and no " + protoFile);
    }
    for (FieldDescriptor f : descriptor.getFields()) {
      LogicalType lt = logical.getOrDefault(f.getName(), LogicalType.NONE);
      if (lt == LogicalType.TIMESTAMP && f.getJavaType() != FieldDescriptor.JavaType.LONG
          || lt == LogicalType.DATE && f.getJavaType() != FieldDescriptor.JavaType.INT) {
        throw new ConfigException(where + " field '" + f.getName() + "': a " + lt.name().toLowerCase()
            + " is written as " + (lt == LogicalType.TIMESTAMP ? "int64 microseconds" : "int32 days")
            + ", not " + TableSchemas.describe(f));
      }
    }
    return new TableDefinition(spec.key(), spec.tableName(), descriptor, logical, source, options);
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
