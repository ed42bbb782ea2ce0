package dev.zerobus.station.core.encode;

import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.encode.EncodePlan.FieldPlan;
import dev.zerobus.station.core.encode.ValueSource.Kind;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.schema.DeltaType;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Base64;

/**
 * The one place a value becomes a column's protobuf value: reads the current value of a
 * {@link ValueSource} as the field's column type asks (see {@link DeltaType}), checks it, and
 * writes it to a {@link ProtoWriter}. Numbers go to {@link Integers} (with dates and timestamps),
 * {@link Floats} and {@link Decimals}; strings, bytes and booleans are written here. Every refusal
 * is an {@link EncodeException} naming the field.
 */
final class Coercion {
  /** Client input echoed in an error is cut to this many characters. */
  static final int ECHO = 60;

  private final String table;
  private final EncoderOptions options;
  private final Integers integers;
  private final Floats floats;
  private final Decimals decimals;

  Coercion(String table, EncoderOptions options) {
    this.table = table;
    this.options = options;
    this.integers = new Integers(table);
    this.floats = new Floats(table);
    this.decimals = new Decimals(table);
  }

  /** Writes the source's current (non-null) value of scalar field f; tagged unless it goes into a packed run. */
  void write(ValueSource src, FieldPlan f, ProtoWriter w, String path, boolean tagged)
      throws EncodeException, IOException {
    Kind k = src.kind();
    switch (f.value) {
      case INTEGER:
      case DATE:
      case TIMESTAMP:
        integers.write(src, f, w, path, tagged);
        return;
      case FLOATING:
        floats.write(src, f, w, path, tagged);
        return;
      case DECIMAL:
        decimals.write(src, f, w, path);
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
      case DECIMAL:
        decimals.writeKey(entry, key, k, path);
        return;
      default:
        integers.writeKey(entry, key, k, path);
    }
  }

  private void writeOtherString(ValueSource src, FieldPlan f, ProtoWriter w, String path)
      throws EncodeException, IOException {
    if (src.kind() != Kind.DECIMAL) {
      throw wrongType(path, "a string", src.describe());
    }
    String s = ((BigDecimal) src.raw()).toPlainString();
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

  private byte[] base64(String s, String path) throws EncodeException {
    try {
      return s.indexOf('-') >= 0 || s.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(s) : Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new EncodeException(table, path, "is not valid base64: " + abbreviate(e.getMessage()));
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

  /** A scalar's tag, unless it goes into a packed run (which has one tag for all). */
  static void tag(ProtoWriter w, FieldPlan f, int wireType, boolean tagged) {
    if (tagged) {
      w.tag(f.number, wireType);
    }
  }

  EncodeException wrongType(String path, String expected, String got) {
    return wrongType(table, path, expected, got);
  }

  static EncodeException wrongType(String table, String path, String expected, String got) {
    return new EncodeException(table, path, "expected " + expected + ", got " + got);
  }

  /** Client input as it may appear in an error: at most {@link #ECHO} characters, then an ellipsis. */
  static String abbreviate(String s) {
    return s == null || s.length() <= ECHO ? s : s.substring(0, ECHO) + "…";
  }
}
