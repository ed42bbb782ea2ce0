package dev.zerobus.station.core.schema;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What a table's rows are written as, at one moment: the protobuf message (from schema.proto,
 * config.json's fields or Unity Catalog), the column type behind each field, and where it came
 * from. Immutable: a table whose columns change gets a new one.
 */
public final class TableSchema {
  private final Descriptor descriptor;
  private final DescriptorProto descriptorProto;
  private final Map<FieldDescriptor, DeltaType> columnTypes;
  private final Map<FieldDescriptor, DecimalType> decimals;
  private final String source;
  private final CatalogTable catalogColumns;
  private final boolean followsCatalog;

  /**
   * @param columnTypes the column type of fields (at any depth) a catalog or config.json names;
   *     other fields stand for the type the SDK's generator maps their protobuf type from
   * @param decimals the precision and scale of the DECIMAL fields among them
   */
  public TableSchema(Descriptor descriptor, Map<FieldDescriptor, DeltaType> columnTypes,
      Map<FieldDescriptor, DecimalType> decimals, String source) {
    this(descriptor, columnTypes, decimals, source, null, false);
  }

  /** A schema built from Unity Catalog's columns: it follows the catalog when they change. */
  public static TableSchema fromCatalog(CatalogTable columns, CatalogTable.Built built) {
    return new TableSchema(built.descriptor(), built.types(), built.decimals(), "Unity Catalog " + columns.tableName(),
        columns, true);
  }

  /** This local schema, checked against the catalog's {@code columns}: later reads are compared with them. */
  public TableSchema checkedAgainst(CatalogTable columns) {
    return new TableSchema(descriptor, columnTypes, decimals, source, columns, false);
  }

  private TableSchema(Descriptor descriptor, Map<FieldDescriptor, DeltaType> columnTypes,
      Map<FieldDescriptor, DecimalType> decimals, String source, CatalogTable catalogColumns, boolean followsCatalog) {
    this.descriptor = descriptor;
    this.descriptorProto = descriptor.toProto();
    this.columnTypes = new IdentityHashMap<>(columnTypes);
    this.decimals = new IdentityHashMap<>(decimals);
    this.source = source;
    this.catalogColumns = catalogColumns;
    this.followsCatalog = followsCatalog;
  }

  /**
   * Whether the schema was built from Unity Catalog's columns (the table has no local schema), so
   * it follows the catalog's changes; a local schema is kept, and only compared with the catalog.
   */
  public boolean followsCatalog() {
    return followsCatalog;
  }

  /** The catalog's columns it was built from or checked against; null when the catalog was not read. */
  public CatalogTable catalogColumns() {
    return catalogColumns;
  }

  /** Column types by field, as given (for comparing with the catalog again). */
  Map<FieldDescriptor, DeltaType> knownColumnTypes() {
    return columnTypes;
  }

  Map<FieldDescriptor, DecimalType> knownDecimals() {
    return decimals;
  }

  public Descriptor descriptor() {
    return descriptor;
  }

  /** What the SDK sends at CreateStream. */
  public DescriptorProto descriptorProto() {
    return descriptorProto;
  }

  /**
   * The column type a field (of this message, at any depth) is written for: from Unity Catalog or
   * config.json's {@code type}, else the one its protobuf type maps from. For a map field, MAP; for
   * a repeated field, its element's type.
   */
  public DeltaType columnType(FieldDescriptor field) {
    DeltaType t = columnTypes.get(field);
    return t != null ? t : field.isMapField() ? DeltaType.MAP : DeltaType.ofProto(field.toProto().getType());
  }

  /**
   * The precision and scale of a field whose column type is DECIMAL (DECIMAL(10,0), Databricks' default,
   * when nothing gave them); null for other fields.
   */
  public DecimalType decimal(FieldDescriptor field) {
    DecimalType d = decimals.get(field);
    return d != null || columnType(field) != DeltaType.DECIMAL ? d : DecimalType.DEFAULT;
  }

  /** Logical types of top-level fields, from their column types. */
  public LogicalType logicalType(String field) {
    FieldDescriptor f = descriptor.findFieldByName(field);
    DeltaType t = f == null ? null : columnTypes.get(f);
    return t == DeltaType.DATE ? LogicalType.DATE
        : t == DeltaType.TIMESTAMP || t == DeltaType.TIMESTAMP_NTZ ? LogicalType.TIMESTAMP : LogicalType.NONE;
  }

  /** Where the descriptor came from, for messages: a schema.proto path, "config.json fields" or the catalog. */
  public String source() {
    return source;
  }
}
