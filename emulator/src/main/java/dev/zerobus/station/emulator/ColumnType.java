package dev.zerobus.station.emulator;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A Databricks column type, as far as Zerobus can write it. The mapping to protobuf follows the
 * one the Zerobus SDK's own proto generator uses: TINYINT/SMALLINT/INT/DATE are int32,
 * BIGINT/TIMESTAMP/TIMESTAMP_NTZ are int64, VARIANT and DECIMAL are strings, ARRAY is repeated,
 * MAP is a protobuf map, STRUCT is a nested message.
 */
public sealed interface ColumnType {

  /** The type as Databricks SQL spells it, e.g. {@code ARRAY<STRUCT<a: INT>>}. */
  String sql();

  /**
   * The scalar column types. Core's column-type table ({@code DeltaType}) is the source of truth;
   * the emulator keeps its own copy so it shares no code with the station, and a test in the
   * station enumerates that table and checks this enum and the catalog API agree with it.
   */
  enum Primitive implements ColumnType {
    TINYINT("int32", "byte", "BYTE"),
    SMALLINT("int32", "short", "SHORT"),
    INT("int32", "integer", "INT"),
    BIGINT("int64", "long", "LONG"),
    FLOAT("float", "float", "FLOAT"),
    DOUBLE("double", "double", "DOUBLE"),
    STRING("string", "string", "STRING"),
    BOOLEAN("bool", "boolean", "BOOLEAN"),
    BINARY("bytes", "binary", "BINARY"),
    DATE("int32", "date", "DATE"),
    TIMESTAMP("int64", "timestamp", "TIMESTAMP"),
    TIMESTAMP_NTZ("int64", "timestamp_ntz", "TIMESTAMP_NTZ"),
    VARIANT("string", "variant", "VARIANT");

    /** The protobuf scalar type this column is written as. */
    public final String protoType;
    /** The type in Unity Catalog's type_json (Spark's name). */
    public final String sparkName;
    /** Unity Catalog's type_name. */
    public final String typeName;

    Primitive(String protoType, String sparkName, String typeName) {
      this.protoType = protoType;
      this.sparkName = sparkName;
      this.typeName = typeName;
    }

    @Override
    public String sql() {
      return name();
    }

    static Primitive parse(String word) {
      switch (word.toUpperCase(Locale.ROOT)) {
        case "BYTE":
          return TINYINT;
        case "SHORT":
          return SMALLINT;
        case "INTEGER":
          return INT;
        case "LONG":
          return BIGINT;
        case "REAL":
          return FLOAT;
        case "BOOL":
          return BOOLEAN;
        default:
          try {
            return valueOf(word.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            return null;
          }
      }
    }
  }

  /**
   * DECIMAL(precision, scale), written as a protobuf string holding the number's decimal text, as
   * the SDK's generator maps it. Databricks allows precision 1 to 38 and scale 0 to precision.
   */
  record DecimalOf(int precision, int scale) implements ColumnType {
    public static final int MAX_PRECISION = 38;

    public DecimalOf {
      if (precision < 1 || precision > MAX_PRECISION || scale < 0 || scale > precision) {
        throw new IllegalArgumentException("DECIMAL(" + precision + ", " + scale + "): precision must be 1 to "
            + MAX_PRECISION + " and scale 0 to the precision");
      }
    }

    @Override
    public String sql() {
      return "DECIMAL(" + precision + "," + scale + ")";
    }

    /** Spark's name, as Unity Catalog's type_json and type_text spell it. */
    public String sparkName() {
      return "decimal(" + precision + "," + scale + ")";
    }
  }

  record ArrayOf(ColumnType element) implements ColumnType {
    @Override
    public String sql() {
      return "ARRAY<" + element.sql() + ">";
    }
  }

  record MapOf(ColumnType key, ColumnType value) implements ColumnType {
    @Override
    public String sql() {
      return "MAP<" + key.sql() + ", " + value.sql() + ">";
    }
  }

  record StructOf(List<Column> fields) implements ColumnType {
    public StructOf {
      fields = List.copyOf(fields);
    }

    @Override
    public String sql() {
      return fields.stream()
          .map(f -> f.name() + ": " + f.type().sql() + (f.nullable() ? "" : " NOT NULL"))
          .collect(Collectors.joining(", ", "STRUCT<", ">"));
    }

    public Column field(String name) {
      for (Column c : fields) {
        if (c.name().equalsIgnoreCase(name)) {
          return c;
        }
      }
      return null;
    }
  }

  /** A named column or struct field. */
  record Column(String name, ColumnType type, boolean nullable) {
    public String sql() {
      return name + " " + type.sql() + (nullable ? "" : " NOT NULL");
    }
  }
}
