package dev.zerobus.station.core;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import java.util.Map;

/**
 * One configured table: its key (the URL path segment and default topic), its Unity Catalog name,
 * the protobuf message its rows are written as, and the encoder for that message.
 */
public final class TableDefinition {
  private final String key;
  private final String tableName;
  private final Descriptor descriptor;
  private final DescriptorProto descriptorProto;
  private final Map<String, LogicalType> logicalTypes;
  private final String source;
  private final RecordEncoder encoder;

  TableDefinition(String key, String tableName, Descriptor descriptor, Map<String, LogicalType> logicalTypes,
      String source, EncoderOptions options) {
    this.key = key;
    this.tableName = tableName;
    this.descriptor = descriptor;
    this.descriptorProto = descriptor.toProto();
    this.logicalTypes = Map.copyOf(logicalTypes);
    this.source = source;
    this.encoder = new RecordEncoder(this, options);
  }

  /** The table's key in config.json, e.g. {@code station_one}. */
  public String key() {
    return key;
  }

  /** The Unity Catalog name, {@code catalog.schema.table}. */
  public String tableName() {
    return tableName;
  }

  public Descriptor descriptor() {
    return descriptor;
  }

  /** What the SDK sends at CreateStream. */
  public DescriptorProto descriptorProto() {
    return descriptorProto;
  }

  /** Logical types of top-level fields (fields not listed have none). */
  public LogicalType logicalType(String field) {
    return logicalTypes.getOrDefault(field, LogicalType.NONE);
  }

  /** Where the descriptor came from, for messages: a schema.proto path or "config.json fields". */
  public String source() {
    return source;
  }

  public RecordEncoder encoder() {
    return encoder;
  }

  @Override
  public String toString() {
    return key + " -> " + tableName + " (" + descriptor.getFullName() + " from " + source + ")";
  }
}
