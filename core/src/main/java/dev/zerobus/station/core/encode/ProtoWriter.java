package dev.zerobus.station.core.encode;

import java.util.Arrays;

/** Protobuf wire format into a growable array: the encoder's output, one record at a time. */
final class ProtoWriter {
  static final int VARINT = 0;
  static final int FIXED64 = 1;
  static final int LENGTH_DELIMITED = 2;
  static final int FIXED32 = 5;

  private byte[] buf;
  private int size;

  ProtoWriter(int capacity) {
    buf = new byte[capacity];
  }

  void reset() {
    size = 0;
  }

  int size() {
    return size;
  }

  int capacity() {
    return buf.length;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  void tag(int number, int wireType) {
    if (number < 1 << 28) {
      varint32((number << 3) | wireType);
    } else {
      // number << 3 no longer fits a signed int; field numbers go up to 2^29 - 1.
      varint64(((long) number << 3) | wireType);
    }
  }

  void varint32(int v) {
    if (v < 0) {
      varint64(v);
      return;
    }
    ensure(5);
    while ((v & ~0x7F) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  void varint64(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  void fixed32(int v) {
    ensure(4);
    buf[size++] = (byte) v;
    buf[size++] = (byte) (v >> 8);
    buf[size++] = (byte) (v >> 16);
    buf[size++] = (byte) (v >> 24);
  }

  void fixed64(long v) {
    ensure(8);
    for (int i = 0; i < 8; i++) {
      buf[size++] = (byte) (v >> (8 * i));
    }
  }

  void bytes(byte[] b) {
    varint32(b.length);
    ensure(b.length);
    System.arraycopy(b, 0, buf, size, b.length);
    size += b.length;
  }

  /**
   * A length-delimited string from chars, encoded to UTF-8 in place.
   *
   * @param utf8Length the encoded length, computed by the caller while it validated the chars
   */
  void utf8(char[] chars, int offset, int length, int utf8Length) {
    varint32(utf8Length);
    ensure(utf8Length);
    for (int i = offset, end = offset + length; i < end; i++) {
      char c = chars[i];
      if (c < 0x80) {
        buf[size++] = (byte) c;
      } else if (c < 0x800) {
        buf[size++] = (byte) (0xC0 | c >> 6);
        buf[size++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c)) {
        int cp = Character.toCodePoint(c, chars[++i]);
        buf[size++] = (byte) (0xF0 | cp >> 18);
        buf[size++] = (byte) (0x80 | (cp >> 12 & 0x3F));
        buf[size++] = (byte) (0x80 | (cp >> 6 & 0x3F));
        buf[size++] = (byte) (0x80 | (cp & 0x3F));
      } else {
        buf[size++] = (byte) (0xE0 | c >> 12);
        buf[size++] = (byte) (0x80 | (c >> 6 & 0x3F));
        buf[size++] = (byte) (0x80 | (c & 0x3F));
      }
    }
  }

  /** Appends another writer's bytes as one length-delimited field value. */
  void embed(ProtoWriter child) {
    varint32(child.size);
    ensure(child.size);
    System.arraycopy(child.buf, 0, buf, size, child.size);
    size += child.size;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }
}
