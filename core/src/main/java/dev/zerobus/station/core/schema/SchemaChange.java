package dev.zerobus.station.core.schema;

import dev.zerobus.station.core.schema.CatalogTable.Column;
import dev.zerobus.station.core.schema.CatalogTable.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * How a table's Unity Catalog columns changed between two reads. Columns added as nullable (at any
 * position, or as fields of a STRUCT) are {@link #added()}: a record written for the old columns is
 * still a valid record of the new ones, because fields keep their numbers by name
 * ({@link CatalogTable#build(String, String, com.google.protobuf.Descriptors.Descriptor)}). Anything
 * else — a column dropped or renamed, a type changed, a column made NOT NULL or added as NOT NULL —
 * is {@link #breaking()}: records written for the old columns could be refused or mean something else.
 * Columns reordered or made nullable change nothing for records: {@link #harmless()}.
 *
 * @param added each added column, as {@code name TYPE} (a STRUCT's field as {@code struct.field TYPE})
 * @param harmless each change that leaves records as they were, one readable line each
 * @param breaking each other difference, one readable line each
 */
public record SchemaChange(List<String> added, List<String> harmless, List<String> breaking) {
  public SchemaChange {
    added = List.copyOf(added);
    harmless = List.copyOf(harmless);
    breaking = List.copyOf(breaking);
  }

  public static SchemaChange between(CatalogTable before, CatalogTable after) {
    Lists out = new Lists();
    columns("", before.columns(), after.columns(), out);
    List<String> kept = names(before.columns());
    kept.retainAll(names(after.columns()));
    List<String> keptAfter = names(after.columns());
    keptAfter.retainAll(kept);
    if (!kept.equals(keptAfter)) {
      out.harmless.add("columns reordered");
    }
    return new SchemaChange(out.added, out.harmless, out.breaking);
  }

  private static final class Lists {
    final List<String> added = new ArrayList<>();
    final List<String> harmless = new ArrayList<>();
    final List<String> breaking = new ArrayList<>();
  }

  private static List<String> names(List<Column> columns) {
    List<String> out = new ArrayList<>();
    columns.forEach(c -> out.add(c.name()));
    return out;
  }

  public boolean none() {
    return added.isEmpty() && harmless.isEmpty() && breaking.isEmpty();
  }

  /** Only nullable columns were added: records written before still fit. */
  public boolean onlyAdded() {
    return breaking.isEmpty() && !added.isEmpty();
  }

  /** One line: {@code columns added: a INT, b STRING; column c dropped or renamed}. */
  public String describe() {
    List<String> parts = new ArrayList<>();
    if (!added.isEmpty()) {
      parts.add((added.size() == 1 ? "column added: " : "columns added: ") + String.join(", ", added));
    }
    parts.addAll(harmless);
    parts.addAll(breaking);
    return parts.isEmpty() ? "no change" : String.join("; ", parts);
  }

  private static void columns(String path, List<Column> before, List<Column> after, Lists out) {
    for (Column b : before) {
      Column a = named(after, b.name());
      String at = path + b.name();
      if (a == null) {
        out.breaking.add("column " + at + " dropped or renamed");
        continue;
      }
      if (b.nullable() && !a.nullable()) {
        out.breaking.add("column " + at + " is now NOT NULL");
      } else if (!b.nullable() && a.nullable()) {
        out.harmless.add("column " + at + " may now be NULL");
      }
      type(at, b.type(), a.type(), out);
    }
    for (Column a : after) {
      if (named(before, a.name()) != null) {
        continue;
      }
      if (a.nullable()) {
        out.added.add(path + a.name() + " " + a.type().sql());
      } else {
        out.breaking.add("column " + path + a.name() + " added as NOT NULL");
      }
    }
  }

  private static void type(String at, Type before, Type after, Lists out) {
    if (before.kind() != after.kind()) {
      out.breaking.add("column " + at + " changed type from " + before.sql() + " to " + after.sql());
    } else if (before.kind() == DeltaType.STRUCT) {
      columns(at + ".", before.fields(), after.fields(), out);
    } else if (before.kind() == DeltaType.ARRAY) {
      type(at, before.element(), after.element(), out);
    } else if (before.kind() == DeltaType.MAP) {
      if (!before.key().equals(after.key())) {
        out.breaking.add("column " + at + " changed type from " + before.sql() + " to " + after.sql());
      } else {
        type(at + ".value", before.value(), after.value(), out);
      }
    } else if (!before.equals(after)) {
      out.breaking.add("column " + at + " changed type from " + before.sql() + " to " + after.sql());
    }
  }

  /** The column of exactly this name: a name differing only in case is another column to protobuf. */
  private static Column named(List<Column> columns, String name) {
    for (Column c : columns) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    return null;
  }
}
