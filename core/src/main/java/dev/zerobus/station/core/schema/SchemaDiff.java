package dev.zerobus.station.core.schema;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.schema.CatalogTable.Column;
import dev.zerobus.station.core.schema.CatalogTable.Type;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compares a table's local schema (schema.proto or config.json fields) with its Unity Catalog
 * columns. A drift is what makes Zerobus refuse the stream or its records: a field with no column,
 * a field whose type cannot carry the column's, a NOT NULL column the schema does not write, a
 * DECIMAL whose precision or scale config.json gives otherwise. Where they agree, the catalog's
 * column types are collected for the encoder (a TINYINT column's range, a DATE column's date forms,
 * a DECIMAL column's precision and scale) for the fields config.json gives no type of its own.
 */
final class SchemaDiff {
  /** The differences, one readable line each, and the catalog's type for every field that matches. */
  record Result(List<String> drift, Map<FieldDescriptor, DeltaType> catalogTypes,
      Map<FieldDescriptor, DecimalType> catalogDecimals) {}

  private final List<String> drift = new ArrayList<>();
  private final Map<FieldDescriptor, DeltaType> types = new IdentityHashMap<>();
  private final Map<FieldDescriptor, DecimalType> decimals = new IdentityHashMap<>();
  private final Map<FieldDescriptor, DeltaType> explicit;
  private final Map<FieldDescriptor, DecimalType> explicitDecimals;
  private final String tableName;

  private SchemaDiff(String tableName, Map<FieldDescriptor, DeltaType> explicit,
      Map<FieldDescriptor, DecimalType> explicitDecimals) {
    this.tableName = tableName;
    this.explicit = explicit;
    this.explicitDecimals = explicitDecimals;
  }

  /**
   * @param explicit column types config.json's {@code type} gives; they stand, but for DECIMAL columns
   * @param explicitDecimals the precision and scale config.json's {@code type} gives (decimal(p,s))
   */
  static Result compare(Descriptor local, Map<FieldDescriptor, DeltaType> explicit,
      Map<FieldDescriptor, DecimalType> explicitDecimals, CatalogTable catalog) {
    SchemaDiff diff = new SchemaDiff(catalog.tableName(), explicit, explicitDecimals);
    diff.message("", local, catalog.columns());
    return new Result(List.copyOf(diff.drift), diff.types, diff.decimals);
  }

  private void message(String path, Descriptor d, List<Column> columns) {
    for (FieldDescriptor f : d.getFields()) {
      Column c = column(columns, f.getName());
      String at = path + f.getName();
      if (c == null) {
        drift.add("missing column: field '" + at + "' (" + LocalSchemas.describe(f) + ") has no column " + at
            + " in " + tableName);
        continue;
      }
      field(at, f, c.type());
    }
    for (Column c : columns) {
      if (!c.nullable() && findIgnoringCase(d, c.name()) == null) {
        drift.add("NOT NULL column not written: " + path + c.name() + " " + c.type().sql()
            + " NOT NULL has no field in the local schema, so every record would be refused");
      }
    }
  }

  private void field(String at, FieldDescriptor f, Type t) {
    String found = LocalSchemas.describe(f);
    if (t.kind() == DeltaType.MAP) {
      if (!f.isMapField()) {
        typeChange(at, found, t, "a map<" + protoOf(t.key()) + ", " + protoOf(t.value()) + ">");
        return;
      }
      Descriptor entry = f.getMessageType();
      types.put(f, DeltaType.MAP);
      value(at + ".key", entry.findFieldByNumber(1), t.key());
      value(at + ".value", entry.findFieldByNumber(2), t.value());
      return;
    }
    if (f.isMapField()) {
      typeChange(at, found, t, protoOf(t));
      return;
    }
    if (t.kind() == DeltaType.ARRAY) {
      if (!f.isRepeated()) {
        typeChange(at, found, t, "a repeated " + protoOf(t.element()));
        return;
      }
      value(at, f, t.element());
      return;
    }
    if (f.isRepeated()) {
      typeChange(at, found, t, "a non-repeated " + protoOf(t));
      return;
    }
    value(at, f, t);
  }

  /** One value's type, whether or not the field is repeated. */
  private void value(String at, FieldDescriptor f, Type t) {
    if (t.kind() == DeltaType.STRUCT) {
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE || f.isMapField()) {
        typeChange(at, LocalSchemas.describe(f), t, "a message");
        return;
      }
      types.put(f, DeltaType.STRUCT);
      message(at + ".", f.getMessageType(), t.fields());
      return;
    }
    if (!t.kind().fits(f.toProto().getType())) {
      typeChange(at, LocalSchemas.describe(f), t, protoOf(t));
      return;
    }
    if (t.kind() == DeltaType.DECIMAL) {
      decimal(at, f, t);
      return;
    }
    // A type config.json names (say timestamp on a BIGINT column) is the user's choice of forms for
    // the same wire type, not a drift; the catalog's type fills in only where config.json says nothing.
    if (!explicit.containsKey(f)) {
      types.put(f, t.kind());
    }
  }

  /**
   * A string field for a DECIMAL column: the column's precision and scale are what Zerobus holds its
   * values to, so they apply even where config.json calls the field a string (as the seed's configs
   * call every text field); only a decimal(p,s) of its own that says otherwise is a drift.
   */
  private void decimal(String at, FieldDescriptor f, Type t) {
    DecimalType local = explicitDecimals.get(f);
    if (local != null && !local.equals(t.decimal())) {
      drift.add("precision change: field '" + at + "' is " + local.sql() + " in config.json but column " + at
          + " is " + t.sql() + " (written as string)");
      return;
    }
    types.put(f, DeltaType.DECIMAL);
    decimals.put(f, t.decimal());
  }

  private void typeChange(String at, String found, Type t, String wanted) {
    drift.add("type change: field '" + at + "' is " + found + " but column " + at + " is " + t.sql()
        + " (written as " + wanted + ")");
  }

  private static String protoOf(Type t) {
    switch (t.kind()) {
      case ARRAY:
        return "repeated " + protoOf(t.element());
      case MAP:
        return "map<" + protoOf(t.key()) + ", " + protoOf(t.value()) + ">";
      case STRUCT:
        return "message";
      default:
        return t.kind().protoName() == null ? t.sql() + " (not writable)" : t.kind().protoName();
    }
  }

  /** Unity Catalog column names are case-insensitive. */
  private static Column column(List<Column> columns, String name) {
    for (Column c : columns) {
      if (c.name().equalsIgnoreCase(name)) {
        return c;
      }
    }
    return null;
  }

  private static FieldDescriptor findIgnoringCase(Descriptor d, String name) {
    for (FieldDescriptor f : d.getFields()) {
      if (f.getName().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        return f;
      }
    }
    return null;
  }
}
