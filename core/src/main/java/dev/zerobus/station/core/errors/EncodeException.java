package dev.zerobus.station.core.errors;

/**
 * A record that cannot be written to its table: wrong type, out of range, unknown or missing
 * field, malformed JSON. The message names the table, the record (in a batch) and the field.
 */
public final class EncodeException extends Exception {
  /** A field path built from client keys is cut here, so an error never echoes a huge key. */
  private static final int MAX_FIELD = 120;

  private final String table;
  private final String field;
  private final String reason;
  private final int index;
  private final boolean unknownField;

  public EncodeException(String table, String field, String reason) {
    this(table, field, reason, -1, false);
  }

  private EncodeException(String table, String field, String reason, int index, boolean unknownField) {
    super(null, null, false, false);
    this.table = table;
    this.field = field == null || field.length() <= MAX_FIELD ? field : field.substring(0, MAX_FIELD) + "…";
    this.reason = reason;
    this.index = index;
    this.unknownField = unknownField;
  }

  /** A field the table has no column for: columns may have been added since its schema was read. */
  public static EncodeException unknownField(String table, String field, String reason) {
    return new EncodeException(table, field, reason, -1, true);
  }

  /** The same problem, placed at record {@code index} of a batch. */
  public EncodeException at(int index) {
    return new EncodeException(table, field, reason, index, unknownField);
  }

  /** Whether the record carries a field the table does not know (reading the table's columns again may help). */
  public boolean unknownField() {
    return unknownField;
  }

  public String table() {
    return table;
  }

  /** The field's path, e.g. {@code location.lat} or {@code tags[2]}; null when the record as a whole is wrong. */
  public String field() {
    return field;
  }

  public String reason() {
    return reason;
  }

  /** The record's index in its batch, or -1. */
  public int index() {
    return index;
  }

  @Override
  public String getMessage() {
    return "table " + table + (index >= 0 ? ", record " + index : "") + (field != null ? ", field '" + field + "'" : "")
        + ": " + reason;
  }
}
