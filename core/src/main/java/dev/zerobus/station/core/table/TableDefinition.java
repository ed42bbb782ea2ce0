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
import java.time.Instant;

/**
 * One configured table as it is now: its key (the URL path segment and default topic), its Unity
 * Catalog name, the schema its rows are written as, the encoder for that schema, and the schema's
 * version. Immutable: when the table's columns change, {@link TableRegistry} holds a new one, and a
 * record encoded with this one may go on any stream opened with this version's descriptor or a later one.
 */
public final class TableDefinition {
  /**
   * The last change seen in the table's catalog columns, for health and errors.
   *
   * @param adopted the change is in this definition's schema (columns added to a table that follows the catalog)
   * @param refusing records are refused until a restart (a breaking change and schema_drift fail)
   */
  public record SchemaNotice(Instant at, String change, boolean adopted, boolean refusing) {}

  private final String key;
  private final String tableName;
  private final TableSchema schema;
  private final RecordEncoder encoder;
  private final EncoderOptions options;
  private final int schemaVersion;
  private final SchemaNotice notice;

  public TableDefinition(String key, String tableName, TableSchema schema, EncoderOptions options) {
    this(key, tableName, schema, options, 1, null);
  }

  private TableDefinition(String key, String tableName, TableSchema schema, EncoderOptions options, int schemaVersion,
      SchemaNotice notice) {
    this.key = key;
    this.tableName = tableName;
    this.schema = schema;
    this.options = options;
    this.encoder = new RecordEncoder(key, schema, options);
    this.schemaVersion = schemaVersion;
    this.notice = notice;
  }

  /** The table with a new schema whose records include this one's (columns added): the next version. */
  TableDefinition evolved(TableSchema next, SchemaNotice why) {
    return new TableDefinition(key, tableName, next, options, schemaVersion + 1, why);
  }

  /** The same schema and version, with a change seen but not adopted. */
  TableDefinition noticed(SchemaNotice change) {
    return new TableDefinition(key, tableName, schema, options, schemaVersion, change);
  }

  /** 1 at start, one more for each change adopted; a stream's descriptor is of one version. */
  public int schemaVersion() {
    return schemaVersion;
  }

  /** The last change seen in the catalog's columns; null when none was. */
  public SchemaNotice schemaNotice() {
    return notice;
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
