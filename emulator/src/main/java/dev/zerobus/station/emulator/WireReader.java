package dev.zerobus.station.emulator;

/**
 * A position in a byte range of protobuf wire format, read without allocating: {@link ProtoRows}
 * decodes every record the emulator acknowledges, so it reads the bytes in place. Running off the
 * end throws {@link Truncated}, which the caller turns into a rejection naming the field.
 */
final class WireReader {
  static final int VARINT = 0;
  static final int FIXED64 = 1;
  static final int LENGTH_DELIMITED = 2;
  static final int FIXED32 = 5;

  byte[] buf;
  int pos;
  int end;

  WireReader over(byte[] buf, int start, int end) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  boolean more() {
    return pos < end;
  }

  long varint() throws Truncated {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      check(pos < end);
      byte b = buf[pos++];
      result |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return result;
      }
    }
    throw Truncated.INSTANCE;
  }

  long fixed64() throws Truncated {
    check(pos + 8 <= end);
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (buf[pos + i] & 0xFFL);
    }
    pos += 8;
    return v;
  }

  long fixed32() throws Truncated {
    check(pos + 4 <= end);
    long v = (buf[pos] & 0xFFL) | (buf[pos + 1] & 0xFFL) << 8 | (buf[pos + 2] & 0xFFL) << 16
        | (buf[pos + 3] & 0xFFL) << 24;
    pos += 4;
    return v;
  }

  /** Skips a length-delimited payload, returning its length. */
  int skip(long length) throws Truncated {
    check(length >= 0 && length <= end - pos);
    pos += (int) length;
    return (int) length;
  }

  private static void check(boolean ok) throws Truncated {
    if (!ok) {
      throw Truncated.INSTANCE;
    }
  }

  /** Thrown while reading past the end of a message; turned into a RecordRejected by the caller. */
  static final class Truncated extends Exception {
    // One shared instance without a stack trace: a malformed record is an answer, not a bug.
    private static final Truncated INSTANCE = new Truncated();

    private Truncated() {
      super(null, null, false, false);
    }
  }
}
