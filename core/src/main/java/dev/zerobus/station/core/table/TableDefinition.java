package dev.zerobus.station.core;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.IdentityHashMap;
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
  private final Map<FieldDescriptor, DeltaType> columnTypes;
  private final String source;
  private final RecordEncoder encoder;

  /**
   * @param columnTypes the column type of fields (at any depth) a catalog or config.json names;
   *     other fields stand for the type the SDK's generator maps their protobuf type from
   */
  TableDefinition(String key, String tableName, Descriptor descriptor, Map<FieldDescriptor, DeltaType> columnTypes,
      String source, EncoderOptions options) {
    this.key = key;
    this.tableName = tableName;
    this.descriptor = descriptor;
    this.descriptorProto = descriptor.toProto();
    this.columnTypes = new IdentityHashMap<>(columnTypes);
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

  /**
   * The column type a field (of this table's message, at any depth) is written for: from Unity
   * Catalog or config.json's {@code type}, else the one its protobuf type maps from. For a map
   * field, MAP; for a repeated field, its element's type.
   */
  public DeltaType columnType(FieldDescriptor field) {
    DeltaType t = columnTypes.get(field);
    return t != null ? t : field.isMapField() ? DeltaType.MAP : DeltaType.ofProto(field.toProto().getType());
  }

  /** Logical types of top-level fields, from their column types. */
  public LogicalType logicalType(String field) {
    FieldDescriptor f = descriptor.findFieldByName(field);
    DeltaType t = f == null ? null : columnTypes.get(f);
    return t == DeltaType.DATE ? LogicalType.DATE
        : t == DeltaType.TIMESTAMP || t == DeltaType.TIMESTAMP_NTZ ? LogicalType.TIMESTAMP : LogicalType.NONE;
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
