package dev.zerobus.station.core.schema;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The column-type table: for each Delta / Unity Catalog type, how Zerobus writes it (the protobuf
 * type, as the Zerobus SDK's proto generator maps it), what JSON the encoder takes for it, the range
 * its values must fall in and its OpenAPI schema. The encoder, config.json's {@code type}, schemas
 * pulled from Unity Catalog, the drift check and the bridge's OpenAPI document all read this table;
 * adding a type is one entry here (and its tests).
 */
public enum DeltaType {
  TINYINT("byte", FieldDescriptorProto.Type.TYPE_INT32, Value.INTEGER, Byte.MIN_VALUE, Byte.MAX_VALUE,
      "integer (or integral number such as 5.0)", () -> integer("int32", Byte.MIN_VALUE, Byte.MAX_VALUE), "byte"),
  SMALLINT("short", FieldDescriptorProto.Type.TYPE_INT32, Value.INTEGER, Short.MIN_VALUE, Short.MAX_VALUE,
      "integer", () -> integer("int32", Short.MIN_VALUE, Short.MAX_VALUE), "short"),
  INT("integer", FieldDescriptorProto.Type.TYPE_INT32, Value.INTEGER, Integer.MIN_VALUE, Integer.MAX_VALUE,
      "integer", () -> node("integer").put("format", "int32"), "int", "int32", "integer"),
  BIGINT("long", FieldDescriptorProto.Type.TYPE_INT64, Value.INTEGER, Long.MIN_VALUE, Long.MAX_VALUE,
      "integer, or a decimal string (\"9007199254740993\") past 2^53",
      () -> oneOf(node("integer").put("format", "int64"), node("string").put("pattern", "^-?[0-9]+$")),
      "long", "int64"),
  FLOAT("float", FieldDescriptorProto.Type.TYPE_FLOAT, Value.FLOATING, 0, 0,
      "number, or \"NaN\" / \"Infinity\" / \"-Infinity\"", () -> node("number").put("format", "float"), "real"),
  DOUBLE("double", FieldDescriptorProto.Type.TYPE_DOUBLE, Value.FLOATING, 0, 0,
      "number, or \"NaN\" / \"Infinity\" / \"-Infinity\"", () -> node("number").put("format", "double")),
  BOOLEAN("boolean", FieldDescriptorProto.Type.TYPE_BOOL, Value.BOOL, 0, 0,
      "true or false", () -> node("boolean"), "bool"),
  STRING("string", FieldDescriptorProto.Type.TYPE_STRING, Value.STRING, 0, 0,
      "string", () -> node("string"), "varchar", "char"),
  BINARY("binary", FieldDescriptorProto.Type.TYPE_BYTES, Value.BYTES, 0, 0,
      "base64 string (standard or URL-safe)", () -> node("string").put("format", "byte"), "bytes"),
  DATE("date", FieldDescriptorProto.Type.TYPE_INT32, Value.DATE, Integer.MIN_VALUE, Integer.MAX_VALUE,
      "days since 1970-01-01, or \"YYYY-MM-DD\"",
      () -> oneOf(node("integer").put("format", "int32").put("description", "days since the epoch"),
          node("string").put("format", "date"))),
  TIMESTAMP("timestamp", FieldDescriptorProto.Type.TYPE_INT64, Value.TIMESTAMP, Long.MIN_VALUE, Long.MAX_VALUE,
      "microseconds since the epoch, or ISO-8601 (\"2024-01-31T10:15:30.123456Z\"; no offset means UTC)",
      () -> oneOf(node("integer").put("format", "int64").put("description", "microseconds since the epoch"),
          node("string").put("format", "date-time"))),
  TIMESTAMP_NTZ("timestamp_ntz", FieldDescriptorProto.Type.TYPE_INT64, Value.TIMESTAMP, Long.MIN_VALUE, Long.MAX_VALUE,
      "microseconds since the epoch, or ISO-8601 local date-time (\"2024-01-31T10:15:30\")",
      () -> oneOf(node("integer").put("format", "int64").put("description", "microseconds since the epoch"),
          node("string").put("format", "date-time"))),
  VARIANT("variant", FieldDescriptorProto.Type.TYPE_STRING, Value.STRING, 0, 0,
      "string holding JSON (unshredded, as the SDK's generator writes VARIANT)",
      () -> node("string").put("description", "JSON text")),
  /**
   * The exact decimal text in a protobuf string, as the SDK's Unity Catalog conversion maps DECIMAL;
   * precision and scale are the column's ({@link DecimalType}).
   */
  DECIMAL("decimal", FieldDescriptorProto.Type.TYPE_STRING, Value.DECIMAL, 0, 0,
      "number or decimal string (\"12.34\", 1e3), at most p - s digits before the point and s after (never"
          + " rounded); written as plain text with exactly s decimals",
      () -> oneOf(node("string").put("pattern", "^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$"),
          node("number")).put("description", "exact decimal text or a number; never rounded"),
      "numeric", "dec"),
  ARRAY("array", null, Value.NONE, 0, 0, "JSON array of the element type (no nulls)", () -> node("array")),
  MAP("map", null, Value.NONE, 0, 0, "JSON object; keys are strings, parsed for integer and boolean keys",
      () -> node("object")),
  STRUCT("struct", null, Value.NONE, 0, 0, "JSON object of the struct's fields", () -> node("object"),
      "message");

  /** What the encoder's coercion layer makes of a value for this type. */
  public enum Value { INTEGER, FLOATING, BOOL, STRING, BYTES, DATE, TIMESTAMP, DECIMAL, NONE }

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Map<String, DeltaType> BY_NAME = byName();

  private final String sparkName;
  private final FieldDescriptorProto.Type proto;
  private final Value value;
  private final long min;
  private final long max;
  private final String jsonForms;
  private final Supplier<ObjectNode> openApi;
  private final List<String> aliases;

  DeltaType(String sparkName, FieldDescriptorProto.Type proto, Value value, long min, long max, String jsonForms,
      Supplier<ObjectNode> openApi, String... aliases) {
    this.sparkName = sparkName;
    this.proto = proto;
    this.value = value;
    this.min = min;
    this.max = max;
    this.jsonForms = jsonForms;
    this.openApi = openApi;
    this.aliases = List.of(aliases);
  }

  /** The type as SQL spells it, e.g. {@code TIMESTAMP_NTZ}. */
  public String sql() {
    return name();
  }

  /** The name in Unity Catalog's {@code type_json} (Spark's), e.g. {@code integer}, {@code long}. */
  public String sparkName() {
    return sparkName;
  }

  /** The protobuf scalar type a column of this type is written as; null for complex types. */
  public FieldDescriptorProto.Type proto() {
    return proto;
  }

  /** The protobuf type as .proto text spells it, e.g. {@code int32}; null when there is none. */
  public String protoName() {
    return proto == null ? null : proto.name().substring("TYPE_".length()).toLowerCase(Locale.ROOT);
  }

  public Value value() {
    return value;
  }

  /** Whether this is a scalar type Zerobus can write. */
  public boolean scalar() {
    return proto != null;
  }

  public boolean complex() {
    return this == ARRAY || this == MAP || this == STRUCT;
  }

  /** Smallest integer (days for DATE, microseconds for timestamps) a column of this type holds. */
  public long min() {
    return min;
  }

  public long max() {
    return max;
  }

  /** Whether values of this type are range-checked integers. */
  public boolean integral() {
    return value == Value.INTEGER || value == Value.DATE || value == Value.TIMESTAMP;
  }

  /** The JSON the encoder takes for this type, in words. */
  public String jsonForms() {
    return jsonForms;
  }

  /** The OpenAPI 3 schema of one value (for ARRAY, MAP and STRUCT: the outer shape only). */
  public ObjectNode openApi() {
    return openApi.get();
  }

  /** Other spellings config.json's {@code type} and SQL accept. */
  public List<String> aliases() {
    return aliases;
  }

  /**
   * A type by any of its names: SQL ({@code BIGINT}), Spark / type_json ({@code long}), config.json
   * ({@code int64}) or an alias; {@code decimal(10,2)} and {@code varchar(20)} drop their arguments
   * ({@link DecimalType#parse} reads a DECIMAL's).
   *
   * @return null when the name is unknown
   */
  public static DeltaType named(String name) {
    if (name == null) {
      return null;
    }
    String n = name.trim().toLowerCase(Locale.ROOT);
    int paren = n.indexOf('(');
    if (paren > 0) {
      n = n.substring(0, paren).trim();
    }
    return BY_NAME.get(n);
  }

  /**
   * The type a protobuf field stands for when no catalog or config says more: the column type
   * the SDK's generator would have written it from. Unsigned and fixed-width integers have no
   * Delta type; they take BIGINT's forms and keep their own wire range.
   */
  public static DeltaType ofProto(FieldDescriptorProto.Type type) {
    switch (type) {
      case TYPE_INT32:
      case TYPE_SINT32:
      case TYPE_SFIXED32:
        return INT;
      case TYPE_INT64:
      case TYPE_SINT64:
      case TYPE_SFIXED64:
      case TYPE_UINT32:
      case TYPE_FIXED32:
      case TYPE_UINT64:
      case TYPE_FIXED64:
        return BIGINT;
      case TYPE_FLOAT:
        return FLOAT;
      case TYPE_DOUBLE:
        return DOUBLE;
      case TYPE_BOOL:
        return BOOLEAN;
      case TYPE_STRING:
        return STRING;
      case TYPE_BYTES:
        return BINARY;
      case TYPE_MESSAGE:
        return STRUCT;
      default:
        return null;
    }
  }

  /**
   * Whether a protobuf scalar type can carry this column's values: the generator's own type, or a
   * signed variant of it (sint/sfixed) of the same width.
   */
  public boolean fits(FieldDescriptorProto.Type type) {
    if (proto == null) {
      return false;
    }
    switch (proto) {
      case TYPE_INT32:
        return type == FieldDescriptorProto.Type.TYPE_INT32 || type == FieldDescriptorProto.Type.TYPE_SINT32
            || type == FieldDescriptorProto.Type.TYPE_SFIXED32;
      case TYPE_INT64:
        return type == FieldDescriptorProto.Type.TYPE_INT64 || type == FieldDescriptorProto.Type.TYPE_SINT64
            || type == FieldDescriptorProto.Type.TYPE_SFIXED64;
      default:
        return type == proto;
    }
  }

  private static Map<String, DeltaType> byName() {
    Map<String, DeltaType> out = new java.util.HashMap<>();
    for (DeltaType t : values()) {
      out.put(t.name().toLowerCase(Locale.ROOT), t);
      out.put(t.sparkName, t);
      t.aliases.forEach(a -> out.put(a, t));
    }
    return Map.copyOf(out);
  }

  private static ObjectNode node(String type) {
    return NODES.objectNode().put("type", type);
  }

  private static ObjectNode integer(String format, long min, long max) {
    return node("integer").put("format", format).put("minimum", min).put("maximum", max);
  }

  private static ObjectNode oneOf(ObjectNode a, ObjectNode b) {
    ObjectNode o = NODES.objectNode();
    o.set("oneOf", NODES.arrayNode().add(a).add(b));
    return o;
  }
}
