package dev.zerobus.station.core.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import dev.zerobus.station.core.errors.ConfigException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A table's columns as Unity Catalog describes them ({@code GET /api/2.1/unity-catalog/tables/{name}}),
 * and the protobuf message Zerobus writes them as, built the way the Zerobus SDK's proto generator
 * builds it: fields numbered by column position, nullable columns {@code optional}, NOT NULL ones
 * {@code required}, ARRAY {@code repeated}, MAP a protobuf map, STRUCT a nested message.
 */
public final class CatalogTable {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** One column or struct field. */
  public record Column(String name, Type type, boolean nullable) {
    public String sql() {
      return name + " " + type.sql() + (nullable ? "" : " NOT NULL");
    }
  }

  /**
   * A column type: a scalar from the type table (a DECIMAL with its precision and scale), or ARRAY /
   * MAP / STRUCT of other types.
   */
  public record Type(DeltaType kind, Type element, Type key, Type value, List<Column> fields, DecimalType decimal) {
    public static Type scalar(DeltaType kind) {
      return kind == DeltaType.DECIMAL ? decimal(DecimalType.DEFAULT) : new Type(kind, null, null, null, List.of(), null);
    }

    public static Type decimal(DecimalType decimal) {
      return new Type(DeltaType.DECIMAL, null, null, null, List.of(), decimal);
    }

    static Type of(DeltaType kind, Type element, Type key, Type value, List<Column> fields) {
      return new Type(kind, element, key, value, fields, null);
    }

    public String sql() {
      switch (kind) {
        case ARRAY:
          return "ARRAY<" + element.sql() + ">";
        case MAP:
          return "MAP<" + key.sql() + ", " + value.sql() + ">";
        case STRUCT:
          return fields.stream().map(f -> f.name() + ": " + f.type().sql() + (f.nullable() ? "" : " NOT NULL"))
              .collect(Collectors.joining(", ", "STRUCT<", ">"));
        case DECIMAL:
          return decimal.sql();
        default:
          return kind.sql();
      }
    }
  }

  private final String tableName;
  private final List<Column> columns;

  public CatalogTable(String tableName, List<Column> columns) {
    this.tableName = tableName;
    this.columns = List.copyOf(columns);
  }

  public String tableName() {
    return tableName;
  }

  public List<Column> columns() {
    return columns;
  }

  /** The column list in CREATE TABLE syntax. */
  public String sql() {
    return columns.stream().map(Column::sql).collect(Collectors.joining(", "));
  }

  /**
   * Reads a table-info answer. Each column's {@code type_json} (Spark's JSON type, which spells
   * nested types exactly) is used; a column without one falls back to its scalar {@code type_name}.
   *
   * @throws ConfigException naming the table and column when a type is unknown
   */
  public static CatalogTable fromTableInfo(String tableName, JsonNode info) {
    JsonNode cols = info.path("columns");
    if (!cols.isArray() || cols.isEmpty()) {
      throw new ConfigException("Unity Catalog table " + tableName + " lists no columns");
    }
    List<JsonNode> sorted = new ArrayList<>();
    cols.forEach(sorted::add);
    sorted.sort((a, b) -> Integer.compare(a.path("position").asInt(0), b.path("position").asInt(0)));
    List<Column> out = new ArrayList<>();
    for (JsonNode c : sorted) {
      String name = c.path("name").asText(null);
      String where = "Unity Catalog table " + tableName + " column '" + name + "'";
      Type type;
      JsonNode typeJson = c.path("type_json");
      if (typeJson.isTextual() && !typeJson.asText().isBlank()) {
        JsonNode parsed;
        try {
          parsed = MAPPER.readTree(typeJson.asText());
        } catch (Exception e) {
          throw new ConfigException(where + ": type_json is not JSON");
        }
        type = sparkType(where, parsed.has("type") && parsed.has("name") ? parsed.get("type") : parsed);
      } else {
        DeltaType t = DeltaType.named(c.path("type_name").asText(null));
        if (t == null || t.complex()) {
          throw new ConfigException(where + ": type " + c.path("type_text").asText(c.path("type_name").asText())
              + " has no type_json to read it from");
        }
        type = t == DeltaType.DECIMAL ? Type.decimal(decimalOf(where, c)) : Type.scalar(t);
      }
      out.add(new Column(name, type, c.path("nullable").asBoolean(true)));
    }
    return new CatalogTable(tableName, out);
  }

  /** A DECIMAL column without type_json: its type_precision and type_scale, else its type_text. */
  private static DecimalType decimalOf(String where, JsonNode column) {
    try {
      if (column.path("type_precision").asInt(0) > 0) {
        return new DecimalType(column.path("type_precision").asInt(), column.path("type_scale").asInt(0));
      }
      return DecimalType.parse(column.path("type_text").asText("decimal"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": " + e.getMessage());
    }
  }

  /** One Spark JSON type: {@code "long"}, {@code "decimal(10,2)"}, {@code {"type": "array", "elementType": ...}}, ... */
  private static Type sparkType(String where, JsonNode t) {
    if (t.isTextual()) {
      DeltaType kind = DeltaType.named(t.asText());
      if (kind == null || kind.complex()) {
        throw new ConfigException(where + ": unknown column type '" + t.asText() + "'");
      }
      if (kind == DeltaType.DECIMAL) {
        try {
          return Type.decimal(DecimalType.parse(t.asText()));
        } catch (IllegalArgumentException e) {
          throw new ConfigException(where + ": " + e.getMessage());
        }
      }
      return Type.scalar(kind);
    }
    String kind = t.path("type").asText("");
    switch (kind) {
      case "array":
        return Type.of(DeltaType.ARRAY, sparkType(where, t.path("elementType")), null, null, List.of());
      case "map":
        return Type.of(DeltaType.MAP, null, sparkType(where, t.path("keyType")), sparkType(where, t.path("valueType")),
            List.of());
      case "struct": {
        List<Column> fields = new ArrayList<>();
        for (JsonNode f : t.path("fields")) {
          fields.add(new Column(f.path("name").asText(), sparkType(where + "." + f.path("name").asText(), f.path("type")),
              f.path("nullable").asBoolean(true)));
        }
        return Type.of(DeltaType.STRUCT, null, null, null, fields);
      }
      default:
        throw new ConfigException(where + ": unknown column type " + abbreviate(t.toString()));
    }
  }

  // ---------------------------------------------------------------- to protobuf

  /**
   * The message, which column type each of its fields (at any depth) stands for, the precision and
   * scale of its DECIMAL fields, and the columns each (nested) message was made from.
   */
  public record Built(Descriptor descriptor, Map<FieldDescriptor, DeltaType> types,
      Map<FieldDescriptor, DecimalType> decimals, Map<Descriptor, List<Column>> structs) {}

  /**
   * The protobuf message for these columns.
   *
   * @throws ConfigException naming the table and column for a type protobuf cannot hold (ARRAY of
   *     ARRAY, a MAP of complex keys, ...)
   */
  public Built build(String protoPackage, String messageName) {
    return build(protoPackage, messageName, null);
  }

  /**
   * The protobuf message for these columns, where every field {@code previous} has (at any depth,
   * by name) keeps its number and new fields take numbers after the ones in use: so records written
   * for {@code previous} read the same under this message whatever position a new column was added
   * at. Without {@code previous}, fields are numbered by position, as the SDK's generator numbers them.
   */
  public Built build(String protoPackage, String messageName, Descriptor previous) {
    DescriptorProto.Builder message = message(messageName, columns, "", previous);
    FileDescriptorProto file = FileDescriptorProto.newBuilder()
        .setName(tableName + ".proto")
        .setPackage(protoPackage == null ? "" : protoPackage)
        .addMessageType(message)
        .build();
    Descriptor d;
    try {
      d = FileDescriptor.buildFrom(file, new FileDescriptor[0]).findMessageTypeByName(messageName);
    } catch (DescriptorValidationException e) {
      throw new ConfigException("Unity Catalog table " + tableName + ": " + e.getProblemSymbolName() + ": "
          + e.getDescription());
    }
    Built built = new Built(d, new IdentityHashMap<>(), new IdentityHashMap<>(), new IdentityHashMap<>());
    mark(d, columns, built);
    return built;
  }

  private DescriptorProto.Builder message(String name, List<Column> cols, String path, Descriptor previous) {
    DescriptorProto.Builder m = DescriptorProto.newBuilder().setName(name);
    int position = 1;
    int next = previous == null ? 1 : previous.getFields().stream().mapToInt(FieldDescriptor::getNumber).max().orElse(0) + 1;
    for (Column c : cols) {
      String at = path + c.name();
      FieldDescriptor before = previous == null ? null : previous.findFieldByName(c.name());
      int number = previous == null ? position : before != null ? before.getNumber() : next++;
      position++;
      FieldDescriptorProto.Builder f = FieldDescriptorProto.newBuilder().setName(c.name()).setNumber(number);
      Type t = c.type();
      if (t.kind() == DeltaType.MAP) {
        String entry = pascal(c.name()) + "Entry";
        Descriptor valueBefore = before != null && before.isMapField()
            ? messageOf(before.getMessageType().findFieldByNumber(2)) : null;
        m.addNestedType(DescriptorProto.newBuilder().setName(entry)
            .setOptions(MessageOptions.newBuilder().setMapEntry(true))
            .addField(element(m, mapKey(at, t.key()), "key", 1, at + ".key", null, null)
                .setLabel(Label.LABEL_OPTIONAL))
            .addField(element(m, mapValue(at, t.value()), "value", 2, at + ".value", pascal(c.name()) + "Value",
                valueBefore).setLabel(Label.LABEL_OPTIONAL)));
        f.setLabel(Label.LABEL_REPEATED).setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(entry);
      } else if (t.kind() == DeltaType.ARRAY) {
        if (t.element().kind() == DeltaType.ARRAY || t.element().kind() == DeltaType.MAP) {
          throw unsupported(at, t, "protobuf has no repeated " + t.element().kind().sql()
              + "; wrap the element in a STRUCT");
        }
        f.mergeFrom(element(m, t.element(), c.name(), f.getNumber(), at, pascal(c.name()), messageOf(before)).build())
            .setLabel(Label.LABEL_REPEATED);
      } else {
        f.mergeFrom(element(m, t, c.name(), f.getNumber(), at, pascal(c.name()), messageOf(before)).build())
            .setLabel(c.nullable() ? Label.LABEL_OPTIONAL : Label.LABEL_REQUIRED);
      }
      m.addField(f);
    }
    return m;
  }

  /** The message type of a field that has one (a STRUCT's, not a map's entry); null otherwise. */
  private static Descriptor messageOf(FieldDescriptor f) {
    return f != null && f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField() ? f.getMessageType()
        : null;
  }

  /** A scalar or STRUCT value; a STRUCT adds its message to {@code parent}. */
  private FieldDescriptorProto.Builder element(DescriptorProto.Builder parent, Type t, String name, int number,
      String at, String messageName, Descriptor previous) {
    FieldDescriptorProto.Builder f = FieldDescriptorProto.newBuilder().setName(name).setNumber(number);
    if (t.kind() == DeltaType.STRUCT) {
      String nested = uniqueName(parent, messageName);
      parent.addNestedType(message(nested, t.fields(), at + ".", previous));
      return f.setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(nested);
    }
    if (!t.kind().scalar()) {
      throw unsupported(at, t, "protobuf cannot hold it here");
    }
    return f.setType(t.kind().proto());
  }

  private Type mapKey(String at, Type key) {
    DeltaType k = key.kind();
    if (!k.scalar() || k == DeltaType.FLOAT || k == DeltaType.DOUBLE || k == DeltaType.BINARY) {
      throw unsupported(at, key, "a protobuf map key must be a string, integer or boolean type");
    }
    return key;
  }

  private Type mapValue(String at, Type value) {
    if (value.kind() == DeltaType.ARRAY || value.kind() == DeltaType.MAP) {
      throw unsupported(at, value, "a protobuf map value cannot be " + value.kind().sql()
          + "; wrap it in a STRUCT");
    }
    return value;
  }

  private static String uniqueName(DescriptorProto.Builder parent, String base) {
    String name = base;
    for (int i = 2; nestedNamed(parent, name); i++) {
      name = base + i;
    }
    return name;
  }

  private static boolean nestedNamed(DescriptorProto.Builder parent, String name) {
    return parent.getNestedTypeList().stream().anyMatch(n -> n.getName().equals(name)) || parent.getName().equals(name);
  }

  private ConfigException unsupported(String at, Type t, String why) {
    return new ConfigException("Unity Catalog table " + tableName + " column '" + at + "' (" + t.sql() + "): " + why);
  }

  /** Records the column type of every field, walking descriptor and columns side by side. */
  private static void mark(Descriptor d, List<Column> cols, Built types) {
    types.structs().put(d, cols);
    for (Column c : cols) {
      FieldDescriptor f = d.findFieldByName(c.name());
      Type t = c.type();
      if (t.kind() == DeltaType.MAP) {
        Descriptor entry = f.getMessageType();
        markValue(entry.findFieldByNumber(1), t.key(), types);
        markValue(entry.findFieldByNumber(2), t.value(), types);
        types.types().put(f, DeltaType.MAP);
      } else if (t.kind() == DeltaType.ARRAY) {
        markValue(f, t.element(), types);
      } else {
        markValue(f, t, types);
      }
    }
  }

  private static void markValue(FieldDescriptor f, Type t, Built types) {
    types.types().put(f, t.kind());
    if (t.kind() == DeltaType.DECIMAL) {
      types.decimals().put(f, t.decimal());
    }
    if (t.kind() == DeltaType.STRUCT) {
      mark(f.getMessageType(), t.fields(), types);
    }
  }

  // ---------------------------------------------------------------- .proto text

  /** The message as a proto2 {@code schema.proto}, each field commented with its column type. */
  public String protoText(String protoPackage, String messageName) {
    Built built = build(protoPackage, messageName);
    Descriptor d = built.descriptor();
    Map<Descriptor, List<Column>> structs = built.structs();
    StringBuilder out = new StringBuilder();
    out.append("// ").append(tableName).append(", from Unity Catalog. Columns: ").append(abbreviate(sql()))
        .append("\n");
    out.append("syntax = \"proto2\";\n\n");
    if (protoPackage != null && !protoPackage.isEmpty()) {
      out.append("package ").append(protoPackage).append(";\n\n");
    }
    writeMessage(out, d, structs, "");
    return out.toString();
  }

  private static void writeMessage(StringBuilder out, Descriptor d, Map<Descriptor, List<Column>> structs,
      String indent) {
    List<Column> cols = structs.get(d);
    out.append(indent).append("message ").append(d.getName()).append(" {\n");
    for (Descriptor nested : d.getNestedTypes()) {
      if (!nested.getOptions().getMapEntry()) {
        writeMessage(out, nested, structs, indent + "  ");
      }
    }
    for (FieldDescriptor f : d.getFields()) {
      Column column = cols.stream().filter(c -> c.name().equals(f.getName())).findFirst().orElseThrow();
      out.append(indent).append("  ");
      if (f.isMapField()) {
        Descriptor entry = f.getMessageType();
        out.append("map<").append(typeName(entry.findFieldByNumber(1))).append(", ")
            .append(typeName(entry.findFieldByNumber(2))).append(">");
      } else {
        out.append(f.isRepeated() ? "repeated " : f.isRequired() ? "required " : "optional ").append(typeName(f));
      }
      out.append(' ').append(f.getName()).append(" = ").append(f.getNumber()).append(";");
      out.append(" // ").append(abbreviate(column.type().sql())).append(column.nullable() ? "" : " NOT NULL").append('\n');
    }
    out.append(indent).append("}\n");
  }

  private static String typeName(FieldDescriptor f) {
    return f.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? f.getMessageType().getName()
        : f.getType().name().toLowerCase(java.util.Locale.ROOT);
  }

  static String pascal(String snake) {
    StringBuilder out = new StringBuilder();
    boolean upper = true;
    for (char c : snake.toCharArray()) {
      if (c == '_' || !Character.isLetterOrDigit(c)) {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    if (out.length() == 0 || !Character.isLetter(out.charAt(0))) {
      out.insert(0, 'M');
    }
    return out.toString();
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}
