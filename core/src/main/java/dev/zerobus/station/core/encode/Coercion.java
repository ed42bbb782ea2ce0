package dev.zerobus.station.core.encode;

import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.encode.EncodePlan.FieldPlan;
import dev.zerobus.station.core.encode.ValueSource.Kind;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.schema.DeltaType;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * The one place a value becomes a column's protobuf value: reads the current value of a
 * {@link ValueSource} as the field's column type asks (see {@link DeltaType}), checks it, and
 * writes it to a {@link ProtoWriter}. Every refusal is an {@link EncodeException} naming the field.
 */
final class Coercion {
  private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);
  /** Client input echoed in an error is cut to this many characters. */
  static final int ECHO = 60;

  private final String table;
  private final EncoderOptions options;

  Coercion(String table, EncoderOptions options) {
    this.table = table;
    this.options = options;
  }

  /** Writes the source's current (non-null) value of scalar field f; tagged unless it goes into a packed run. */
  void write(ValueSource src, FieldPlan f, ProtoWriter w, String path, boolean tagged)
      throws EncodeException, IOException {
    // The common forms inline here; every other form, and every refusal, goes through the slower methods below.
    Kind k = src.kind();
    switch (f.value) {
      case INTEGER:
      case DATE:
      case TIMESTAMP: {
        long v = k == Kind.INTEGER && src.fitsLong() ? checkRange(src.longValue(), f, path) : integer(src, f, path);
        writeInteger(w, f, v, tagged);
        return;
      }
      case FLOATING:
        writeFloating(w, f, k == Kind.FLOAT ? finite(src, f, path) : floating(src, f, path), path, tagged);
        return;
      case BOOL:
        if (k != Kind.TRUE && k != Kind.FALSE) {
          throw wrongType(path, "true or false", src.describe());
        }
        writeBool(w, f, k == Kind.TRUE, tagged);
        return;
      case STRING:
        if (k == Kind.STRING) {
          writeString(w, f, src.textChars(), src.textOffset(), src.textLength(), path);
        } else {
          writeOtherString(src, f, w, path);
        }
        return;
      case BYTES:
        writeBytes(src, f, w, path);
        return;
      default:
        throw new EncodeException(table, path, "has an unsupported type " + f.wire);
    }
  }

  private void writeOtherString(ValueSource src, FieldPlan f, ProtoWriter w, String path)
      throws EncodeException, IOException {
    if (src.kind() != Kind.DECIMAL) {
      throw wrongType(path, "a string", src.describe());
    }
    String s = ((java.math.BigDecimal) src.raw()).toPlainString();
    writeString(w, f, s.toCharArray(), 0, s.length(), path);
  }

  private void writeBytes(ValueSource src, FieldPlan f, ProtoWriter w, String path) throws EncodeException, IOException {
    Kind k = src.kind();
    byte[] b;
    if (k == Kind.BYTES) {
      b = src.bytes();
    } else if (k == Kind.STRING) {
      b = base64(src.text(), path);
    } else {
      throw wrongType(path, "a base64 string", src.describe());
    }
    w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
    w.bytes(b);
  }

  /** A map key, written as the entry's field 1: keys arrive as text, so integers and booleans are parsed. */
  void writeKey(ProtoWriter entry, FieldPlan key, String k, String path) throws EncodeException {
    switch (key.value) {
      case STRING:
        writeString(entry, key, k.toCharArray(), 0, k.length(), path);
        return;
      case BOOL:
        if (!k.equals("true") && !k.equals("false")) {
          throw new EncodeException(table, path, "map key must be true or false, got \"" + abbreviate(k) + "\"");
        }
        writeBool(entry, key, k.equals("true"), true);
        return;
      default:
        if (!isDecimalInteger(k)) {
          throw new EncodeException(table, path, "map key must be an integer, got \"" + abbreviate(k) + "\"");
        }
        writeInteger(entry, key, integerText(k, key, path), true);
    }
  }

  // ---------------------------------------------------------------- integers, dates, timestamps

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
          return checkRange(timestampMicros(s, path), f, path);
        }
        if (f.value == DeltaType.Value.DATE) {
          return checkRange(dateDays(s, path), f, path);
        }
        if (f.wide && isDecimalInteger(s)) {
          return integerText(s, f, path);
        }
        break;
      }
      case OTHER:
        if (f.value == DeltaType.Value.TIMESTAMP || f.value == DeltaType.Value.DATE) {
          Long v = temporal(src.raw(), f, path);
          if (v != null) {
            return checkRange(v, f, path);
          }
        }
        break;
      default:
        break;
    }
    throw wrongType(path, "an integer" + expectation(f), src.describe());
  }

  /** A java.util.Date or java.time value as microseconds or days; null for anything else. */
  private Long temporal(Object v, FieldPlan f, String path) throws EncodeException {
    boolean days = f.value == DeltaType.Value.DATE;
    Instant instant;
    if (v instanceof java.util.Date d) {
      instant = d.toInstant();
    } else if (v instanceof Instant i) {
      instant = i;
    } else if (v instanceof OffsetDateTime o) {
      instant = o.toInstant();
    } else if (v instanceof ZonedDateTime z) {
      instant = z.toInstant();
    } else if (v instanceof LocalDateTime l) {
      instant = l.toInstant(ZoneOffset.UTC);
    } else if (v instanceof LocalDate l) {
      return days ? l.toEpochDay() : micros(l.atStartOfDay(ZoneOffset.UTC).toInstant(), path);
    } else {
      return null;
    }
    return days ? Math.floorDiv(instant.getEpochSecond(), 86_400L) : micros(instant, path);
  }

  /**
   * An integer from decimal text such as {@code 12}, {@code 25.0} or {@code 1e3}. The range is
   * judged from the digits and the exponent before any number is built, so text like
   * {@code 1e1000000} costs nothing; only up to 20 significant digits ever become a BigInteger.
   */
  long integerText(String s, FieldPlan f, String path) throws EncodeException {
    int n = s.length();
    int i = 0;
    boolean negative = false;
    if (i < n && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    StringBuilder digits = new StringBuilder(24);
    int intDigits = 0;
    boolean seenPoint = false;
    boolean any = false;
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        any = true;
        if (digits.length() == 0 && c == '0') {
          if (seenPoint) {
            intDigits--; // a leading zero after the point moves the digits right
          }
          continue;
        }
        if (digits.length() < 64) {
          digits.append(c);
        } else if (c != '0') {
          digits.setCharAt(63, '1'); // keep "something non-zero beyond" without keeping it all
        }
        if (!seenPoint) {
          intDigits++;
        }
      } else if (c == '.' && !seenPoint) {
        seenPoint = true;
      } else {
        break;
      }
    }
    long exponent = 0;
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      boolean expNegative = false;
      if (i < n && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
        expNegative = s.charAt(i) == '-';
        i++;
      }
      int start = i;
      for (; i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9'; i++) {
        if (exponent < 1_000_000_000_000L) {
          exponent = exponent * 10 + (s.charAt(i) - '0');
        }
      }
      if (i == start) {
        any = false;
      }
      exponent = expNegative ? -exponent : exponent;
    }
    if (!any || i != n) {
      throw wrongType(path, "an integer" + expectation(f), "\"" + abbreviate(s) + "\"");
    }
    // Count digits without trailing zeros; every digit past the integral ones is a fraction.
    int significant = digits.length();
    while (significant > 0 && digits.charAt(significant - 1) == '0') {
      significant--;
    }
    if (significant == 0) {
      return checkRange(0, f, path);
    }
    long integral = intDigits + exponent;
    if (significant > integral) {
      throw new EncodeException(table, path, "expected an integer" + expectation(f) + ", got " + abbreviate(s)
          + " (it has a fraction)");
    }
    if (integral > 20) {
      throw outOfRange(path, f, abbreviate(s));
    }
    StringBuilder whole = new StringBuilder(21);
    if (negative) {
      whole.append('-');
    }
    whole.append(digits, 0, significant);
    for (long z = significant; z < integral; z++) {
      whole.append('0');
    }
    BigInteger b = new BigInteger(whole.toString());
    if (f.unsigned64) {
      if (b.signum() < 0 || b.compareTo(TWO_TO_64) >= 0) {
        throw outOfRange(path, f, abbreviate(s));
      }
      return b.longValue();
    }
    if (b.bitLength() > 63) {
      throw outOfRange(path, f, abbreviate(s));
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

  private long timestampMicros(String s, String path) throws EncodeException {
    String t = s.trim();
    if (t.length() > 10 && t.charAt(10) == ' ') {
      t = t.substring(0, 10) + 'T' + t.substring(11);
    }
    try {
      return micros(OffsetDateTime.parse(t).toInstant(), path);
    } catch (DateTimeParseException offsetMissing) {
      try {
        return micros(LocalDateTime.parse(t).toInstant(ZoneOffset.UTC), path);
      } catch (DateTimeParseException e) {
        throw new EncodeException(table, path, "expected a timestamp (microseconds since the epoch, or ISO-8601 such as"
            + " 2024-01-31T10:15:30.123456Z), got \"" + abbreviate(s) + "\"");
      }
    }
  }

  private long micros(Instant i, String path) throws EncodeException {
    try {
      return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
    } catch (ArithmeticException e) {
      throw new EncodeException(table, path, "timestamp " + i + " is out of range for microseconds since the epoch");
    }
  }

  private long dateDays(String s, String path) throws EncodeException {
    try {
      return LocalDate.parse(s.trim()).toEpochDay();
    } catch (DateTimeParseException e) {
      throw new EncodeException(table, path, "expected a date (days since the epoch, or YYYY-MM-DD), got \""
          + abbreviate(s) + "\"");
    }
  }

  // ---------------------------------------------------------------- floating point

  private double floating(ValueSource src, FieldPlan f, String path) throws EncodeException, IOException {
    Kind k = src.kind();
    if (k == Kind.INTEGER || k == Kind.FLOAT || k == Kind.DECIMAL) {
      return finite(src, f, path);
    }
    if (k == Kind.STRING) {
      return specialFloat(src.text(), path);
    }
    throw wrongType(path, "a number", src.describe());
  }

  /**
   * A number as a double. Finite text too large for a double (1e400) is refused, not stored as
   * Infinity; only a Double or Float object can be infinite itself.
   */
  private double finite(ValueSource src, FieldPlan f, String path) throws EncodeException, IOException {
    double d = src.kind() == Kind.DECIMAL ? ((java.math.BigDecimal) src.raw()).doubleValue() : src.doubleValue();
    if (Double.isInfinite(d) && !(src.raw() instanceof Double) && !(src.raw() instanceof Float)) {
      throw outOfRange(path, f, abbreviate(src.numberText()));
    }
    return d;
  }

  private double specialFloat(String s, String path) throws EncodeException {
    switch (s) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        throw wrongType(path, "a number", "string \"" + abbreviate(s) + "\"");
    }
  }

  // ---------------------------------------------------------------- wire format

  private static void writeInteger(ProtoWriter w, FieldPlan f, long v, boolean tagged) {
    switch (f.wire) {
      case INT32:
      case INT64:
      case UINT64:
        tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(v);
        break;
      case UINT32:
        tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(v & 0xFFFFFFFFL);
        break;
      case SINT32:
        tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(((int) v << 1 ^ (int) v >> 31) & 0xFFFFFFFFL);
        break;
      case SINT64:
        tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(v << 1 ^ v >> 63);
        break;
      case FIXED32:
      case SFIXED32:
        tag(w, f, ProtoWriter.FIXED32, tagged);
        w.fixed32((int) v);
        break;
      default: // FIXED64, SFIXED64
        tag(w, f, ProtoWriter.FIXED64, tagged);
        w.fixed64(v);
    }
  }

  private void writeFloating(ProtoWriter w, FieldPlan f, double d, String path, boolean tagged) throws EncodeException {
    if (f.wire == com.google.protobuf.Descriptors.FieldDescriptor.Type.FLOAT) {
      if (Double.isFinite(d) && Math.abs(d) > Float.MAX_VALUE) {
        throw outOfRange(path, f, Double.toString(d));
      }
      tag(w, f, ProtoWriter.FIXED32, tagged);
      w.fixed32(Float.floatToIntBits((float) d));
    } else {
      tag(w, f, ProtoWriter.FIXED64, tagged);
      w.fixed64(Double.doubleToLongBits(d));
    }
  }

  private static void writeBool(ProtoWriter w, FieldPlan f, boolean b, boolean tagged) {
    tag(w, f, ProtoWriter.VARINT, tagged);
    w.varint32(b ? 1 : 0);
  }

  /** Checks length and UTF-16 validity while counting UTF-8 bytes, then writes the chars as UTF-8. */
  private void writeString(ProtoWriter w, FieldPlan f, char[] chars, int offset, int length, String path)
      throws EncodeException {
    if (options.maxStringLength() > 0 && length > options.maxStringLength()) {
      throw new EncodeException(table, path, "string of " + length + " characters is longer than the limit of "
          + options.maxStringLength());
    }
    int utf8 = 0;
    for (int i = offset, end = offset + length; i < end; i++) {
      char c = chars[i];
      if (c < 0x80) {
        utf8++;
      } else if (c < 0x800) {
        utf8 += 2;
      } else if (!Character.isSurrogate(c)) {
        utf8 += 3;
      } else if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(chars[i + 1])) {
        utf8 += 4;
        i++;
      } else {
        throw new EncodeException(table, path, "contains an unpaired UTF-16 surrogate at character " + (i - offset));
      }
    }
    w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
    w.utf8(chars, offset, length, utf8);
  }

  private static void tag(ProtoWriter w, FieldPlan f, int wireType, boolean tagged) {
    if (tagged) {
      w.tag(f.number, wireType);
    }
  }

  private byte[] base64(String s, String path) throws EncodeException {
    try {
      return s.indexOf('-') >= 0 || s.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(s) : Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new EncodeException(table, path, "is not valid base64: " + abbreviate(e.getMessage()));
    }
  }

  // ---------------------------------------------------------------- errors

  EncodeException wrongType(String path, String expected, String got) {
    return new EncodeException(table, path, "expected " + expected + ", got " + got);
  }

  private EncodeException outOfRange(String path, FieldPlan f, String value) {
    return new EncodeException(table, path, value + " is out of range for " + f.typeName
        + (f.value == DeltaType.Value.FLOATING ? ""
            : " [" + (f.unsigned64 ? "0" : Long.toString(f.min)) + ", "
                + (f.unsigned64 ? "18446744073709551615" : Long.toString(f.max)) + "]"));
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

  /** Client input as it may appear in an error: at most {@link #ECHO} characters, then an ellipsis. */
  static String abbreviate(String s) {
    return s == null || s.length() <= ECHO ? s : s.substring(0, ECHO) + "…";
  }
}
