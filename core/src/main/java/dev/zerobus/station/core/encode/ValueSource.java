package dev.zerobus.station.core.encode;

import java.io.IOException;

/**
 * Where the encoder reads a record from, one value at a time: JSON tokens ({@link JsonSource}) or a
 * Kafka Connect value tree ({@link ObjectSource}). The encoder's plan and coercion layer see only
 * this, so every column type is converted in one place whatever the record arrived as.
 */
interface ValueSource {
  /** What the current value is. */
  enum Kind {
    NULL, OBJECT, ARRAY,
    /** An integer number (JSON int token, Integer/Long/Short/Byte/BigInteger). */
    INTEGER,
    /** A number with a fraction or exponent (JSON float token, Double/Float). */
    FLOAT,
    /** An exact decimal object (Connect's Decimal: BigDecimal). */
    DECIMAL,
    STRING, TRUE, FALSE,
    /** Raw bytes (byte[] or ByteBuffer). */
    BYTES,
    /** Anything else, e.g. a java.time or java.util.Date value. */
    OTHER
  }

  Kind kind();

  /** On an OBJECT or ARRAY: starts reading its fields or elements. */
  void enter() throws IOException;

  /** Moves to the next field of the object being read and returns its name, or null after the last. */
  String nextField() throws IOException;

  /** Whether the last field name came from a key that was not a string (value trees only). */
  boolean keyNotString();

  /** Whether the last field name came from a null key (value trees only). */
  boolean keyNull();

  /** On an ARRAY: moves to its next element; false after the last. */
  boolean nextElement() throws IOException;

  /** Skips the current value (and anything inside it). */
  void skip() throws IOException;

  /** For INTEGER: whether {@link #longValue} holds it exactly. */
  boolean fitsLong() throws IOException;

  long longValue() throws IOException;

  double doubleValue() throws IOException;

  /** For INTEGER, FLOAT and DECIMAL: the number as decimal text (possibly with an exponent). */
  String numberText() throws IOException;

  /** For STRING. */
  String text() throws IOException;

  /** For STRING, without copying where the source allows: chars[offset, offset + length). */
  char[] textChars() throws IOException;

  int textOffset() throws IOException;

  int textLength() throws IOException;

  /** For BYTES. */
  byte[] bytes();

  /** The value itself, for OTHER and DECIMAL. */
  Object raw();

  /** The current value for an error message, abbreviated. */
  String describe() throws IOException;
}
