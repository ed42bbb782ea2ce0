package dev.zerobus.station.core.encode;

import dev.zerobus.station.core.encode.EncodePlan.FieldPlan;
import dev.zerobus.station.core.encode.ValueSource.Kind;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.schema.DeltaType;
import java.io.IOException;
import java.math.BigInteger;

/**
 * Integer columns (TINYINT to BIGINT, and the unsigned and fixed protobuf types) and the integers
 * DATE and TIMESTAMP columns are written as: numbers judged from their text, range-checked against
 * the field, and written in the field's wire encoding.
 */
final class Integers {
  private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

  private final String table;
  private final Temporals temporals;

  Integers(String table) {
    this.table = table;
    this.temporals = new Temporals(table);
  }

  /** Writes the source's current value of integer, date or timestamp field f. */
  void write(ValueSource src, FieldPlan f, ProtoWriter w, String path, boolean tagged)
      throws EncodeException, IOException {
    // The common form inline; every other form, and every refusal, goes through the slower methods below.
    long v = src.kind() == Kind.INTEGER && src.fitsLong() ? checkRange(src.longValue(), f, path) : integer(src, f, path);
    write(w, f, v, tagged);
  }

  /** A map key: keys arrive as text, so the integer is parsed from it. */
  void writeKey(ProtoWriter entry, FieldPlan key, String k, String path) throws EncodeException {
    if (!isDecimalInteger(k)) {
      throw new EncodeException(table, path, "map key must be an integer, got \"" + Coercion.abbreviate(k) + "\"");
    }
    write(entry, key, integerText(k, key, path), true);
  }

  private long integer(ValueSource src, FieldPlan f, String path) throws EncodeException, IOException {
    switch (src.kind()) {
      case INTEGER:
        return src.fitsLong() ? checkRange(src.longValue(), f, path) : integerText(src.numberText(), f, path);
      case FLOAT:
        return integerText(src.numberText(), f, path);
      case DECIMAL:
        return integerText(src.raw().toString(), f, path);
      case STRING: {
        String s = src.text();
        if (f.value == DeltaType.Value.TIMESTAMP) {
          return checkRange(temporals.timestampMicros(s, path), f, path);
        }
        if (f.value == DeltaType.Value.DATE) {
          return checkRange(temporals.dateDays(s, path), f, path);
        }
        if (f.wide && isDecimalInteger(s)) {
          return integerText(s, f, path);
        }
        break;
      }
      case OTHER:
        if (f.value == DeltaType.Value.TIMESTAMP || f.value == DeltaType.Value.DATE) {
          Long v = temporals.fromObject(src.raw(), f.value == DeltaType.Value.DATE, path);
          if (v != null) {
            return checkRange(v, f, path);
          }
        }
        break;
      default:
        break;
    }
    throw Coercion.wrongType(table, path, "an integer" + expectation(f), src.describe());
  }

  /**
   * An integer from decimal text such as {@code 12}, {@code 25.0} or {@code 1e3}. The range is
   * judged from the digits and the exponent before any number is built ({@link NumberText}), so text
   * like {@code 1e1000000} costs nothing; only up to 20 significant digits ever become a BigInteger.
   */
  private long integerText(String s, FieldPlan f, String path) throws EncodeException {
    NumberText t = NumberText.read(s);
    if (t == null) {
      throw Coercion.wrongType(table, path, "an integer" + expectation(f), "\"" + Coercion.abbreviate(s) + "\"");
    }
    if (t.isZero()) {
      return checkRange(0, f, path);
    }
    if (t.lastPower() < 0) {
      throw new EncodeException(table, path, "expected an integer" + expectation(f) + ", got "
          + Coercion.abbreviate(s) + " (it has a fraction)");
    }
    if (t.digitsBefore() > 20) {
      throw outOfRange(path, f, Coercion.abbreviate(s));
    }
    StringBuilder whole = new StringBuilder(21);
    if (t.negative) {
      whole.append('-');
    }
    t.appendSignificant(whole);
    whole.append("0".repeat((int) t.lastPower()));
    BigInteger b = new BigInteger(whole.toString());
    if (f.unsigned64) {
      if (b.signum() < 0 || b.compareTo(TWO_TO_64) >= 0) {
        throw outOfRange(path, f, Coercion.abbreviate(s));
      }
      return b.longValue();
    }
    if (b.bitLength() > 63) {
      throw outOfRange(path, f, Coercion.abbreviate(s));
    }
    return checkRange(b.longValue(), f, path);
  }

  private long checkRange(long v, FieldPlan f, String path) throws EncodeException {
    if (v < f.min || v > f.max || (f.unsigned64 && v < 0)) {
      throw outOfRange(path, f, Long.toString(v));
    }
    return v;
  }

  private static boolean isDecimalInteger(String s) {
    int n = s.length();
    int i = n > 0 && s.charAt(0) == '-' ? 1 : 0;
    if (i == n || n - i > 20) {
      return false;
    }
    for (; i < n; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static void write(ProtoWriter w, FieldPlan f, long v, boolean tagged) {
    switch (f.wire) {
      case INT32:
      case INT64:
      case UINT64:
        Coercion.tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(v);
        break;
      case UINT32:
        Coercion.tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(v & 0xFFFFFFFFL);
        break;
      case SINT32:
        Coercion.tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(((int) v << 1 ^ (int) v >> 31) & 0xFFFFFFFFL);
        break;
      case SINT64:
        Coercion.tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(v << 1 ^ v >> 63);
        break;
      case FIXED32:
      case SFIXED32:
        Coercion.tag(w, f, ProtoWriter.FIXED32, tagged);
        w.fixed32((int) v);
        break;
      default: // FIXED64, SFIXED64
        Coercion.tag(w, f, ProtoWriter.FIXED64, tagged);
        w.fixed64(v);
    }
  }

  private EncodeException outOfRange(String path, FieldPlan f, String value) {
    return new EncodeException(table, path, value + " is out of range for " + f.typeName + " ["
        + (f.unsigned64 ? "0" : Long.toString(f.min)) + ", "
        + (f.unsigned64 ? "18446744073709551615" : Long.toString(f.max)) + "]");
  }

  private static String expectation(FieldPlan f) {
    switch (f.value) {
      case TIMESTAMP:
        return " (microseconds since the epoch) or an ISO-8601 timestamp";
      case DATE:
        return " (days since the epoch) or a YYYY-MM-DD date";
      default:
        return "";
    }
  }
}
