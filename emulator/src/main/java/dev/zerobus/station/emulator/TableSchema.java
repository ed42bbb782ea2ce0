package dev.zerobus.station.emulator;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.emulator.ColumnType.ArrayOf;
import dev.zerobus.station.emulator.ColumnType.Column;
import dev.zerobus.station.emulator.ColumnType.DecimalOf;
import dev.zerobus.station.emulator.ColumnType.MapOf;
import dev.zerobus.station.emulator.ColumnType.Primitive;
import dev.zerobus.station.emulator.ColumnType.StructOf;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The columns of a landed table, and the rules a stream's protobuf descriptor must follow to write
 * to it: every descriptor field names a column of a matching type, and every NOT NULL column has a
 * field. Columns the descriptor leaves out stay null, as in Zerobus.
 */
public final class TableSchema {

  private final StructOf columns;

  private TableSchema(List<Column> columns) {
    this.columns = new StructOf(columns);
  }

  public static TableSchema of(List<Column> columns) {
    return new TableSchema(columns);
  }

  /** Parses a column list as in CREATE TABLE: {@code "id BIGINT NOT NULL, tags ARRAY<STRING>"}. */
  public static TableSchema parse(String columnList) {
    return new TableSchema(new Parser(columnList).columns());
  }

  /** The schema a table gets when its first stream creates it. */
  public static TableSchema fromDescriptor(Descriptor descriptor) {
    return new TableSchema(columnsOf(descriptor));
  }

  public List<Column> columns() {
    return columns.fields();
  }

  public Column column(String name) {
    return columns.field(name);
  }

  /** The column list in CREATE TABLE syntax; {@link #parse} reads it back. */
  public String sql() {
    return columns().stream().map(Column::sql).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return sql();
  }

  /**
   * Checks that a stream descriptor can write to this table.
   *
   * @return null when it fits, else a message naming the table and the first field that does not
   */
  public String mismatch(String table, Descriptor descriptor) {
    return mismatch("table " + table, "", columns, descriptor);
  }

  private static String mismatch(String where, String path, StructOf struct, Descriptor d) {
    for (FieldDescriptor field : d.getFields()) {
      String fieldPath = path + field.getName();
      Column column = struct.field(field.getName());
      if (column == null) {
        return where + ": descriptor field '" + fieldPath + "' is not a column (columns: "
            + struct.fields().stream().map(Column::name).collect(Collectors.joining(", ")) + ")";
      }
      String problem = typeMismatch(where, fieldPath, column.type(), field);
      if (problem != null) {
        return problem;
      }
    }
    for (Column column : struct.fields()) {
      if (!column.nullable() && d.findFieldByName(column.name()) == null
          && findIgnoringCase(d, column.name()) == null) {
        return where + ": column '" + path + column.name() + "' is NOT NULL but the descriptor has no field for it";
      }
    }
    return null;
  }

  private static FieldDescriptor findIgnoringCase(Descriptor d, String name) {
    for (FieldDescriptor f : d.getFields()) {
      if (f.getName().equalsIgnoreCase(name)) {
        return f;
      }
    }
    return null;
  }

  private static String typeMismatch(String where, String path, ColumnType type, FieldDescriptor field) {
    String found = describe(field);
    if (type instanceof MapOf map) {
      if (!field.isMapField()) {
        return where + ": field '" + path + "' is " + found + " but column is " + type.sql();
      }
      Descriptor entry = field.getMessageType();
      String k = elementMismatch(where, path + ".key", map.key(), entry.findFieldByNumber(1));
      return k != null ? k : elementMismatch(where, path + ".value", map.value(), entry.findFieldByNumber(2));
    }
    if (field.isMapField()) {
      return where + ": field '" + path + "' is " + found + " but column is " + type.sql();
    }
    if (type instanceof ArrayOf array) {
      if (!field.isRepeated()) {
        return where + ": field '" + path + "' is " + found + " but column is " + type.sql()
            + " (needs a repeated field)";
      }
      return elementMismatch(where, path, array.element(), field);
    }
    if (field.isRepeated()) {
      return where + ": field '" + path + "' is " + found + " but column is " + type.sql();
    }
    return elementMismatch(where, path, type, field);
  }

  /** Compares one value's type, ignoring whether the field is repeated. */
  private static String elementMismatch(String where, String path, ColumnType type, FieldDescriptor field) {
    if (type instanceof StructOf struct) {
      if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        return where + ": field '" + path + "' is " + describe(field) + " but column is " + type.sql();
      }
      return mismatch(where, path + ".", struct, field.getMessageType());
    }
    if (type instanceof Primitive primitive) {
      if (!scalarFits(primitive, field.getType())) {
        return where + ": field '" + path + "' is " + describe(field) + " but column is " + type.sql()
            + " (write it as protobuf " + primitive.protoType + ")";
      }
      return null;
    }
    if (type instanceof DecimalOf) {
      if (field.getType() != FieldDescriptor.Type.STRING) {
        return where + ": field '" + path + "' is " + describe(field) + " but column is " + type.sql()
            + " (write it as protobuf string, the number's decimal text)";
      }
      return null;
    }
    return where + ": field '" + path + "' is " + describe(field) + " but column is " + type.sql();
  }

  private static boolean scalarFits(Primitive column, FieldDescriptor.Type type) {
    switch (column.protoType) {
      case "int32":
        return type == FieldDescriptor.Type.INT32 || type == FieldDescriptor.Type.SINT32
            || type == FieldDescriptor.Type.SFIXED32;
      case "int64":
        return type == FieldDescriptor.Type.INT64 || type == FieldDescriptor.Type.SINT64
            || type == FieldDescriptor.Type.SFIXED64;
      case "float":
        return type == FieldDescriptor.Type.FLOAT;
      case "double":
        return type == FieldDescriptor.Type.DOUBLE;
      case "string":
        return type == FieldDescriptor.Type.STRING;
      case "bool":
        return type == FieldDescriptor.Type.BOOL;
      case "bytes":
        return type == FieldDescriptor.Type.BYTES;
      default:
        return false;
    }
  }

  static String describe(FieldDescriptor field) {
    if (field.isMapField()) {
      Descriptor entry = field.getMessageType();
      return "map<" + describeScalar(entry.findFieldByNumber(1)) + ", "
          + describeScalar(entry.findFieldByNumber(2)) + ">";
    }
    return (field.isRepeated() ? "repeated " : "") + describeScalar(field);
  }

  private static String describeScalar(FieldDescriptor field) {
    return field.getJavaType() == FieldDescriptor.JavaType.MESSAGE
        ? "message " + field.getMessageType().getName()
        : field.getType().name().toLowerCase();
  }

  private static List<Column> columnsOf(Descriptor d) {
    List<Column> out = new ArrayList<>();
    for (FieldDescriptor f : d.getFields()) {
      out.add(new Column(f.getName(), typeOf(f), !f.isRequired()));
    }
    return out;
  }

  private static ColumnType typeOf(FieldDescriptor f) {
    if (f.isMapField()) {
      Descriptor entry = f.getMessageType();
      return new MapOf(elementTypeOf(entry.findFieldByNumber(1)), elementTypeOf(entry.findFieldByNumber(2)));
    }
    ColumnType element = elementTypeOf(f);
    return f.isRepeated() ? new ArrayOf(element) : element;
  }

  private static ColumnType elementTypeOf(FieldDescriptor f) {
    switch (f.getType()) {
      case INT32:
      case SINT32:
      case SFIXED32:
      case UINT32:
      case FIXED32:
        return Primitive.INT;
      case INT64:
      case SINT64:
      case SFIXED64:
      case UINT64:
      case FIXED64:
        return Primitive.BIGINT;
      case FLOAT:
        return Primitive.FLOAT;
      case DOUBLE:
        return Primitive.DOUBLE;
      case BOOL:
        return Primitive.BOOLEAN;
      case BYTES:
        return Primitive.BINARY;
      case MESSAGE:
      case GROUP:
        return new StructOf(columnsOf(f.getMessageType()));
      case STRING:
      case ENUM:
      default:
        return Primitive.STRING;
    }
  }

  /** Recursive descent over the CREATE TABLE column grammar, reduced to the types Zerobus writes. */
  private static final class Parser {
    private final String text;
    private int pos;

    Parser(String text) {
      this.text = text;
    }

    List<Column> columns() {
      List<Column> out = new ArrayList<>();
      skipSpace();
      if (pos == text.length()) {
        throw error("no columns");
      }
      do {
        out.add(column(false));
      } while (accept(','));
      skipSpace();
      if (pos != text.length()) {
        throw error("unexpected '" + text.charAt(pos) + "'");
      }
      return out;
    }

    private Column column(boolean inStruct) {
      String name = identifier();
      if (inStruct) {
        accept(':');
      }
      ColumnType type = type();
      boolean nullable = true;
      if (acceptWord("NOT")) {
        if (!acceptWord("NULL")) {
          throw error("expected NULL after NOT");
        }
        nullable = false;
      }
      if (acceptWord("COMMENT")) {
        quoted();
      }
      return new Column(name, type, nullable);
    }

    private ColumnType type() {
      String word = identifier();
      String upper = word.toUpperCase(java.util.Locale.ROOT);
      switch (upper) {
        case "ARRAY": {
          expect('<');
          ColumnType element = type();
          expect('>');
          return new ArrayOf(element);
        }
        case "MAP": {
          expect('<');
          ColumnType key = type();
          expect(',');
          ColumnType value = type();
          expect('>');
          boolean scalarKey = key instanceof DecimalOf
              || key instanceof Primitive p && p != Primitive.FLOAT && p != Primitive.DOUBLE && p != Primitive.BINARY;
          if (!scalarKey) {
            throw error("MAP key must be a string, integer or boolean type, not " + key.sql());
          }
          return new MapOf(key, value);
        }
        case "STRUCT": {
          expect('<');
          List<Column> fields = new ArrayList<>();
          do {
            fields.add(column(true));
          } while (accept(','));
          expect('>');
          return new StructOf(fields);
        }
        case "DECIMAL":
        case "DEC":
        case "NUMERIC":
          return decimal();
        case "VARCHAR":
        case "CHAR":
          if (accept('(')) {
            identifier();
            expect(')');
          }
          return Primitive.STRING;
        default:
          Primitive p = Primitive.parse(word);
          if (p == null) {
            throw error("unsupported column type " + word + " (supported: TINYINT, SMALLINT, INT, BIGINT,"
                + " FLOAT, DOUBLE, DECIMAL(p,s), STRING, BOOLEAN, BINARY, DATE, TIMESTAMP, TIMESTAMP_NTZ, VARIANT,"
                + " ARRAY<>, MAP<>, STRUCT<>)");
          }
          return p;
      }
    }

    /** {@code DECIMAL}, {@code DECIMAL(p)} or {@code DECIMAL(p, s)}; as in Databricks SQL, p defaults to 10 and s to 0. */
    private DecimalOf decimal() {
      int precision = 10;
      int scale = 0;
      if (accept('(')) {
        precision = number();
        if (accept(',')) {
          scale = number();
        }
        expect(')');
      }
      try {
        return new DecimalOf(precision, scale);
      } catch (IllegalArgumentException e) {
        throw error(e.getMessage());
      }
    }

    private int number() {
      String digits = identifier();
      if (!digits.matches("[0-9]{1,3}")) {
        throw error("expected a number, got '" + digits + "'");
      }
      return Integer.parseInt(digits);
    }

    private String identifier() {
      skipSpace();
      if (pos < text.length() && text.charAt(pos) == '`') {
        int end = text.indexOf('`', pos + 1);
        if (end < 0) {
          throw error("unclosed `");
        }
        String name = text.substring(pos + 1, end);
        pos = end + 1;
        return name;
      }
      int start = pos;
      while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
        pos++;
      }
      if (start == pos) {
        throw error("expected a name");
      }
      return text.substring(start, pos);
    }

    private void quoted() {
      skipSpace();
      char q = pos < text.length() ? text.charAt(pos) : 0;
      if (q != '\'' && q != '"') {
        throw error("expected a quoted comment");
      }
      int end = text.indexOf(q, pos + 1);
      if (end < 0) {
        throw error("unclosed comment");
      }
      pos = end + 1;
    }

    private boolean acceptWord(String word) {
      skipSpace();
      int end = pos + word.length();
      if (end <= text.length() && text.regionMatches(true, pos, word, 0, word.length())
          && (end == text.length() || !Character.isLetterOrDigit(text.charAt(end)))) {
        pos = end;
        return true;
      }
      return false;
    }

    private boolean accept(char c) {
      skipSpace();
      if (pos < text.length() && text.charAt(pos) == c) {
        pos++;
        return true;
      }
      return false;
    }

    private void expect(char c) {
      if (!accept(c)) {
        throw error("expected '" + c + "'");
      }
    }

    private void skipSpace() {
      while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
        pos++;
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("column list \"" + text + "\", at character " + pos + ": " + what);
    }
  }
}
