package dev.zerobus.station.emulator;

import dev.zerobus.station.emulator.ColumnType.DecimalOf;
import dev.zerobus.station.emulator.RowDecoder.RecordRejected;
import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * Whether the text a record carries for a DECIMAL(p,s) column is a value the column holds exactly:
 * a decimal number (optionally with an exponent) with at most s digits after the point and p - s
 * before it, once leading and trailing zeros are set aside. A value that would need rounding is
 * refused rather than rounded, so a client that rounds silently is caught here, not in the table.
 */
final class DecimalCheck {
  /** Longer text is refused before it is parsed: no DECIMAL(38) value needs this many characters. */
  static final int MAX_TEXT = 1000;
  /** An exponent of at most 9 digits keeps BigDecimal's scale within an int. */
  private static final Pattern NUMBER = Pattern.compile("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]{1,9})?");

  private DecimalCheck() {}

  /** The text itself when the column holds it; otherwise the refusal names the field, the value and why. */
  static String checked(String text, DecimalOf column, String path) throws RecordRejected {
    String problem = problem(text, column);
    if (problem != null) {
      String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
      throw new RecordRejected("field '" + path + "' value \"" + shown + "\" does not fit " + column.sql() + ": "
          + problem);
    }
    return text;
  }

  /** Why the column cannot hold the text, or null when it can. */
  static String problem(String text, DecimalOf column) {
    if (text.length() > MAX_TEXT || !NUMBER.matcher(text).matches()) {
      return "it is not a decimal number";
    }
    BigDecimal value = new BigDecimal(text).stripTrailingZeros();
    if (value.signum() == 0) {
      return null;
    }
    long after = Math.max(0, value.scale());
    long before = Math.max(0, (long) value.precision() - value.scale());
    if (after > column.scale()) {
      return "it needs " + after + " digits after the point, " + column.sql() + " keeps " + column.scale();
    }
    if (before > column.precision() - column.scale()) {
      return "it needs " + before + " digits before the point, " + column.sql() + " keeps "
          + (column.precision() - column.scale());
    }
    return null;
  }
}
