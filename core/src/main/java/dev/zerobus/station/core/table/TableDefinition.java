package dev.zerobus.station.core.table;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.encode.RecordEncoder;
import dev.zerobus.station.core.schema.DecimalType;
import dev.zerobus.station.core.schema.DeltaType;
import dev.zerobus.station.core.schema.LogicalType;
import dev.zerobus.station.core.schema.TableSchema;

/**
 * One configured table: its key (the URL path segment and default topic), its Unity Catalog name,
 * the schema its rows are written as, and the encoder for that schema.
 */
public final class TableDefinition {
  private final String key;
  private final String tableName;
  private final TableSchema schema;
  private final RecordEncoder encoder;

  public TableDefinition(String key, String tableName, TableSchema schema, EncoderOptions options) {
    this.key = key;
    this.tableName = tableName;
    this.schema = schema;
    this.encoder = new RecordEncoder(key, schema, options);
  }

  /** The table's key in config.json, e.g. {@code station_one}. */
  public String key() {
    return key;
  }

  /** The Unity Catalog name, {@code catalog.schema.table}. */
  public String tableName() {
    return tableName;
  }

  public TableSchema schema() {
    return schema;
  }

  public Descriptor descriptor() {
    return schema.descriptor();
  }

  /** What the SDK sends at CreateStream. */
  public DescriptorProto descriptorProto() {
    return schema.descriptorProto();
  }

  /** See {@link TableSchema#columnType}. */
  public DeltaType columnType(FieldDescriptor field) {
    return schema.columnType(field);
  }

  /** See {@link TableSchema#decimal}. */
  public DecimalType decimal(FieldDescriptor field) {
    return schema.decimal(field);
  }

  /** See {@link TableSchema#logicalType}. */
  public LogicalType logicalType(String field) {
    return schema.logicalType(field);
  }

  /** Where the descriptor came from, for messages: a schema.proto path or "config.json fields". */
  public String source() {
    return schema.source();
  }

  public RecordEncoder encoder() {
    return encoder;
  }

  @Override
  public String toString() {
    return key + " -> " + tableName + " (" + descriptor().getFullName() + " from " + source() + ")";
  }
}
