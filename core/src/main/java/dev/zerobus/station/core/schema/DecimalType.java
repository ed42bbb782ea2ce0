package dev.zerobus.station.core.schema;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * A DECIMAL column's precision (digits in all, 1 to 38) and scale (digits after the point, 0 to
 * the precision), as Databricks declares it: {@code DECIMAL(10,2)} holds -99999999.99 to
 * 99999999.99. Zerobus writes its values as the decimal text in a protobuf string.
 */
public record DecimalType(int precision, int scale) {
  public static final int MAX_PRECISION = 38;
  /** What {@code DECIMAL} without arguments means in Databricks SQL. */
  public static final DecimalType DEFAULT = new DecimalType(10, 0);

  public DecimalType {
    if (precision < 1 || precision > MAX_PRECISION || scale < 0 || scale > precision) {
      throw new IllegalArgumentException("DECIMAL(" + precision + "," + scale + ") is not a DECIMAL Databricks has:"
          + " precision must be 1 to " + MAX_PRECISION + " and scale 0 to the precision");
    }
  }

  /** How many digits the column holds before the point. */
  public int integralDigits() {
    return precision - scale;
  }

  /** As SQL and error messages spell it, e.g. {@code DECIMAL(10,2)}. */
  public String sql() {
    return "DECIMAL(" + precision + "," + scale + ")";
  }

  /**
   * The precision and scale a type name gives: {@code decimal(10,2)}, {@code DECIMAL(5)} (scale 0),
   * {@code numeric} (DECIMAL(10,0)); any name of {@link DeltaType#DECIMAL}.
   *
   * @return null when the name is not a DECIMAL type
   * @throws IllegalArgumentException when the arguments are not numbers, or not a DECIMAL Databricks has
   */
  public static DecimalType parse(String typeName) {
    if (DeltaType.named(typeName) != DeltaType.DECIMAL) {
      return null;
    }
    String t = typeName.trim().toLowerCase(Locale.ROOT);
    int open = t.indexOf('(');
    if (open < 0) {
      return DEFAULT;
    }
    if (!t.endsWith(")")) {
      throw new IllegalArgumentException("'" + typeName + "' does not close its parenthesis");
    }
    String[] args = t.substring(open + 1, t.length() - 1).split(",", -1);
    if (args.length > 2) {
      throw new IllegalArgumentException("'" + typeName + "' has more than precision and scale");
    }
    return new DecimalType(number(typeName, args[0]), args.length == 2 ? number(typeName, args[1]) : 0);
  }

  private static int number(String typeName, String arg) {
    String digits = arg.trim();
    if (!digits.matches("[0-9]{1,3}")) {
      throw new IllegalArgumentException("'" + typeName + "': '" + digits + "' is not a precision or scale");
    }
    return Integer.parseInt(digits);
  }

  /** The OpenAPI schema of one value: the type table's DECIMAL schema, with this precision and scale. */
  public ObjectNode openApi() {
    return DeltaType.DECIMAL.openApi().put("description", sql() + ": at most " + integralDigits()
        + " digits before the point and " + scale + " after; written as exact decimal text, a value that would"
        + " need rounding is refused");
  }
}
