package dev.zerobus.station.core.encode;

import dev.zerobus.station.core.encode.EncodePlan.FieldPlan;
import dev.zerobus.station.core.encode.ValueSource.Kind;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.schema.DecimalType;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.CharBuffer;

/**
 * DECIMAL(p,s) columns, written as the number's decimal text in a protobuf string (the form the
 * SDK's Unity Catalog conversion gives DECIMAL). A JSON number or string, a BigDecimal (Connect's
 * Decimal), an integer or a double is read from its text: at most p - s digits before the point and
 * s after, leading and trailing zeros aside, or the record is refused; a value is never rounded.
 *
 * <p>The text written is canonical: an optional {@code -}, the integral digits without leading
 * zeros (or one {@code 0}), then exactly s decimals ({@code 12.3} in DECIMAL(10,2) is written
 * {@code 12.30}, {@code 1e3} is {@code 1000.00}), no exponent, no {@code +}. That is the text
 * Databricks itself shows for the stored value, so every value has one text and nothing is left
 * for the service to round or pad. Like integers, the text is judged by {@link NumberText} before
 * anything is built, so {@code 1e1000000} is refused at once.
 */
final class Decimals {
  /** A BigDecimal whose unscaled value is longer (about 1,200 digits) is refused before it is printed. */
  private static final int MAX_UNSCALED_BITS = 4096;

  private final String table;

  Decimals(String table) {
    this.table = table;
  }

  /** Writes the source's current value of DECIMAL field f as its canonical text. */
  void write(ValueSource src, FieldPlan f, ProtoWriter w, String path) throws EncodeException, IOException {
    CharSequence text;
    switch (src.kind()) {
      case STRING:
        text = CharBuffer.wrap(src.textChars(), src.textOffset(), src.textLength());
        break;
      case INTEGER:
      case FLOAT:
        if (src.raw() instanceof BigInteger b && b.bitLength() > MAX_UNSCALED_BITS) {
          throw tooManyDigits(path, f);
        }
        text = src.numberText();
        break;
      case DECIMAL:
        if (((BigDecimal) src.raw()).unscaledValue().bitLength() > MAX_UNSCALED_BITS) {
          throw tooManyDigits(path, f);
        }
        text = src.raw().toString();
        break;
      default:
        throw Coercion.wrongType(table, path, expected(f.decimal), src.describe());
    }
    String canonical = canonical(text, f.decimal, path);
    if (canonical == null) {
      throw Coercion.wrongType(table, path, expected(f.decimal), src.describe());
    }
    writeText(w, f, canonical);
  }

  /** A map key: keys arrive as text. */
  void writeKey(ProtoWriter entry, FieldPlan key, String k, String path) throws EncodeException {
    String canonical = canonical(k, key.decimal, path);
    if (canonical == null) {
      throw new EncodeException(table, path, "map key must be a " + key.decimal.sql() + " number, got \""
          + shown(k) + "\"");
    }
    writeText(entry, key, canonical);
  }

  private static void writeText(ProtoWriter w, FieldPlan f, String text) {
    // Canonical text is ASCII: as many UTF-8 bytes as chars.
    w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
    w.utf8(text.toCharArray(), 0, text.length(), text.length());
  }

  /**
   * The canonical text of a decimal number for the column, from text such as {@code -12.5},
   * {@code 0.125e2} or {@code .5}.
   *
   * @return null when the text is not a decimal number
   * @throws EncodeException when the column cannot hold the number without rounding it
   */
  private String canonical(CharSequence s, DecimalType type, String path) throws EncodeException {
    NumberText t = NumberText.read(s);
    if (t == null) {
      return null;
    }
    if (t.isZero()) {
      return zero(type);
    }
    if (t.digitsAfter() > type.scale()) {
      throw tooPrecise(path, s, count(t.digitsAfter()) + " digits after the point, " + type.sql() + " keeps "
          + type.scale());
    }
    if (t.digitsBefore() > type.integralDigits()) {
      throw tooPrecise(path, s, count(t.digitsBefore()) + " digits before the point, " + type.sql() + " keeps "
          + type.integralDigits());
    }
    // At most p significant digits now: the unscaled value is they followed by zeros, then the point goes in.
    int zeros = (int) (t.lastPower() + type.scale());
    int pad = (int) Math.max(0, type.scale() + 1 - (t.significantCount() + zeros));
    StringBuilder out = new StringBuilder(type.precision() + 3);
    if (t.negative) {
      out.append('-');
    }
    out.append("0".repeat(pad));
    t.appendSignificant(out);
    out.append("0".repeat(zeros));
    if (type.scale() > 0) {
      out.insert(out.length() - type.scale(), '.');
    }
    return out.toString();
  }

  private static String zero(DecimalType type) {
    return type.scale() == 0 ? "0" : "0." + "0".repeat(type.scale());
  }

  private static String count(long digits) {
    return digits >= NumberText.EXPONENT_CAP ? "over " + NumberText.EXPONENT_CAP : Long.toString(digits);
  }

  private EncodeException tooPrecise(String path, CharSequence value, String needs) {
    return new EncodeException(table, path, shown(value) + " needs " + needs + " (a value is never rounded)");
  }

  /** As {@link Coercion#abbreviate}, without copying all of a long text first. */
  private static String shown(CharSequence s) {
    return s.length() <= Coercion.ECHO ? s.toString() : s.subSequence(0, Coercion.ECHO) + "…";
  }

  private EncodeException tooManyDigits(String path, FieldPlan f) {
    return new EncodeException(table, path, "a number of over a thousand digits does not fit " + f.decimal.sql());
  }

  private static String expected(DecimalType type) {
    return "a " + type.sql() + " number (a JSON number, or a string such as \"12.34\")";
  }
}
