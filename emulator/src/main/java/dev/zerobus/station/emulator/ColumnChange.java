package dev.zerobus.station.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.emulator.ColumnType.Column;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A change to a table's columns at run time, as Databricks makes it with {@code ALTER TABLE … ADD
 * COLUMNS} (at the end, nullable) or {@code ALTER TABLE … DROP COLUMNS}. Column names compare
 * case-insensitively, as in Unity Catalog.
 */
sealed interface ColumnChange {

  /**
   * The columns after the change.
   *
   * @throws Conflict when the change does not fit the table's columns as they are
   */
  TableSchema applyTo(String table, TableSchema columns) throws Conflict;

  /** The change in SQL, for logs: {@code ADD COLUMNS (note STRING)}. */
  String sql();

  /**
   * Reads the admin API's body: {@code {"add": "note STRING, score DOUBLE"}} or
   * {@code {"drop": "note, score"}}.
   *
   * @throws IllegalArgumentException saying what is wrong with the body
   */
  static ColumnChange of(JsonNode body) {
    Set<String> keys = new LinkedHashSet<>();
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      keys.add(it.next());
    }
    if (keys.size() != 1 || !(keys.contains("add") || keys.contains("drop"))) {
      throw new IllegalArgumentException("the body takes one of {\"add\": \"<column> <TYPE>, ...\"} or"
          + " {\"drop\": \"<column>, ...\"}, got " + (keys.isEmpty() ? "no field" : "fields " + keys));
    }
    String key = keys.iterator().next();
    JsonNode value = body.get(key);
    if (!value.isTextual() || value.asText().isBlank()) {
      throw new IllegalArgumentException("'" + key + "' must be a string listing columns, as in ALTER TABLE, got "
          + value);
    }
    return key.equals("add") ? add(value.asText()) : drop(value.asText());
  }

  /**
   * Columns to add, in CREATE TABLE syntax.
   *
   * @throws IllegalArgumentException when the list does not parse, names a column twice, or has a
   *     NOT NULL column (Databricks adds a column only as nullable: the rows already there have no value for it)
   */
  static Add add(String columnList) {
    List<Column> columns = TableSchema.parse(columnList).columns();
    List<String> notNull = columns.stream().filter(c -> !c.nullable()).map(Column::name).toList();
    if (!notNull.isEmpty()) {
      throw new IllegalArgumentException(quoted(notNull) + (notNull.size() == 1 ? " is" : " are")
          + " NOT NULL: columns are added as nullable"
          + " (the rows already landed have no value for them), as Databricks refuses ADD COLUMNS of a NOT NULL"
          + " column without a default");
    }
    requireDistinct(columns.stream().map(Column::name).toList());
    return new Add(columns);
  }

  /**
   * Columns to drop, by name: {@code "note, `odd name`"}.
   *
   * @throws IllegalArgumentException when the list is not names separated by commas, or names one twice
   */
  static Drop drop(String nameList) {
    List<String> names = new ArrayList<>();
    int pos = 0;
    while (true) {
      while (pos < nameList.length() && Character.isWhitespace(nameList.charAt(pos))) {
        pos++;
      }
      int start = pos;
      String name;
      if (pos < nameList.length() && nameList.charAt(pos) == '`') {
        int end = nameList.indexOf('`', pos + 1);
        if (end < 0) {
          throw new IllegalArgumentException("column names \"" + nameList + "\": unclosed `");
        }
        name = nameList.substring(pos + 1, end);
        pos = end + 1;
      } else {
        while (pos < nameList.length() && (Character.isLetterOrDigit(nameList.charAt(pos)) || nameList.charAt(pos) == '_')) {
          pos++;
        }
        name = nameList.substring(start, pos);
      }
      while (pos < nameList.length() && Character.isWhitespace(nameList.charAt(pos))) {
        pos++;
      }
      if (name.isEmpty() || pos < nameList.length() && nameList.charAt(pos) != ',') {
        throw new IllegalArgumentException("column names \"" + nameList + "\", at character " + pos
            + ": expected top-level column names separated by commas");
      }
      names.add(name);
      if (pos == nameList.length()) {
        break;
      }
      pos++;
    }
    requireDistinct(names);
    return new Drop(names);
  }

  /** Columns added at the end of the table, each nullable. */
  record Add(List<Column> columns) implements ColumnChange {
    public Add {
      columns = List.copyOf(columns);
    }

    @Override
    public TableSchema applyTo(String table, TableSchema current) throws Conflict {
      List<String> taken = columns.stream().map(c -> current.column(c.name())).filter(c -> c != null)
          .map(Column::name).toList();
      if (!taken.isEmpty()) {
        throw new Conflict("table " + table + " already has " + quoted(taken) + " (column names are"
            + " case-insensitive; columns: " + columnNames(current.columns()) + ")");
      }
      List<Column> after = new ArrayList<>(current.columns());
      after.addAll(columns);
      return TableSchema.of(after);
    }

    @Override
    public String sql() {
      return "ADD COLUMNS (" + TableSchema.of(columns).sql() + ")";
    }
  }

  /** Columns dropped from the table. */
  record Drop(List<String> names) implements ColumnChange {
    public Drop {
      names = List.copyOf(names);
    }

    @Override
    public TableSchema applyTo(String table, TableSchema current) throws Conflict {
      List<String> missing = names.stream().filter(n -> current.column(n) == null).toList();
      if (!missing.isEmpty()) {
        throw new Conflict("table " + table + " has no " + quoted(missing) + " (columns: "
            + columnNames(current.columns()) + ")");
      }
      Set<String> dropped = names.stream().map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
      List<Column> after = current.columns().stream()
          .filter(c -> !dropped.contains(c.name().toLowerCase(Locale.ROOT))).toList();
      if (after.isEmpty()) {
        throw new Conflict("table " + table + " would have no column left: a table keeps at least one");
      }
      return TableSchema.of(after);
    }

    @Override
    public String sql() {
      return "DROP COLUMNS (" + String.join(", ", names) + ")";
    }
  }

  /** A change the table's columns as they are do not allow. */
  final class Conflict extends Exception {
    Conflict(String message) {
      super(message, null, false, false);
    }
  }

  private static void requireDistinct(List<String> names) {
    Set<String> seen = new LinkedHashSet<>();
    for (String n : names) {
      if (!seen.add(n.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("column '" + n + "' is named twice (column names are case-insensitive)");
      }
    }
  }

  /** {@code column 'a'} or {@code columns 'a', 'b'}. */
  private static String quoted(List<String> names) {
    return (names.size() == 1 ? "column " : "columns ")
        + names.stream().map(n -> "'" + n + "'").collect(Collectors.joining(", "));
  }

  private static String columnNames(List<Column> columns) {
    return columns.stream().map(Column::name).collect(Collectors.joining(", "));
  }
}
