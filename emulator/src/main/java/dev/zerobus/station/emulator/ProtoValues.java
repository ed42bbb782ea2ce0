package dev.zerobus.station.emulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.emulator.ColumnType.DecimalOf;
import dev.zerobus.station.emulator.ColumnType.Primitive;
import dev.zerobus.station.emulator.RowDecoder.RecordRejected;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * One protobuf value as read off the wire (a varint or fixed value, or a byte slice) written as
 * its JSON value, the way protobuf JSON writes it. The checks a value fails on its own are here:
 * TINYINT/SMALLINT range, UTF-8, DECIMAL text its column cannot hold exactly.
 */
final class ProtoValues {
  private ProtoValues() {}

  static void writeScalar(JsonGenerator out, FieldPlan field, long v, String path)
      throws RecordRejected, IOException {
    switch (field.type) {
      case INT32:
      case SFIXED32:
        checkRange(field, (int) v, path);
        out.writeNumber((int) v);
        break;
      case SINT32:
        int zz = (int) (v >>> 1) ^ -((int) v & 1);
        checkRange(field, zz, path);
        out.writeNumber(zz);
        break;
      case UINT32:
      case FIXED32:
        out.writeNumber(v & 0xFFFFFFFFL);
        break;
      case INT64:
      case SFIXED64:
        out.writeNumber(v);
        break;
      case SINT64:
        out.writeNumber((v >>> 1) ^ -(v & 1));
        break;
      case UINT64:
      case FIXED64:
        if (v >= 0) {
          out.writeNumber(v);
        } else {
          out.writeNumber(new java.math.BigInteger(Long.toUnsignedString(v)));
        }
        break;
      case BOOL:
        out.writeBoolean(v != 0);
        break;
      case FLOAT:
        float fl = Float.intBitsToFloat((int) v);
        if (Float.isFinite(fl)) {
          out.writeNumber(fl);
        } else {
          out.writeString(Float.toString(fl));
        }
        break;
      case DOUBLE:
        double d = Double.longBitsToDouble(v);
        if (Double.isFinite(d)) {
          out.writeNumber(d);
        } else {
          out.writeString(Double.toString(d));
        }
        break;
      case ENUM:
        out.writeString(scalarText(field, v));
        break;
      default:
        throw new RecordRejected("field '" + path + "' has type " + field.type + ", which is not a scalar");
    }
  }

  /** A scalar's text, for a map key: protobuf JSON writes map keys as strings. */
  static String scalarText(FieldPlan field, long v) {
    switch (field.type) {
      case SINT32:
        return Integer.toString((int) (v >>> 1) ^ -((int) v & 1));
      case SINT64:
        return Long.toString((v >>> 1) ^ -(v & 1));
      case UINT32:
      case FIXED32:
        return Long.toString(v & 0xFFFFFFFFL);
      case UINT64:
      case FIXED64:
        return Long.toUnsignedString(v);
      case BOOL:
        return Boolean.toString(v != 0);
      case ENUM:
        EnumValueDescriptor value = field.descriptor.getEnumType().findValueByNumber((int) v);
        return value == null ? Integer.toString((int) v) : value.getName();
      case INT32:
      case SFIXED32:
        return Integer.toString((int) v);
      default:
        return Long.toString(v);
    }
  }

  static void writeBytesValue(JsonGenerator out, FieldPlan field, byte[] buf, int start, int length, String path)
      throws RecordRejected, IOException {
    if (field.type == FieldDescriptor.Type.BYTES) {
      out.writeBinary(buf, start, length);
    } else if (field.column instanceof DecimalOf decimal) {
      out.writeString(DecimalCheck.checked(utf8(buf, start, length, path), decimal, path));
    } else if (isAscii(buf, start, length)) {
      out.writeUTF8String(buf, start, length);
    } else {
      out.writeString(utf8(buf, start, length, path));
    }
  }

  private static boolean isAscii(byte[] buf, int start, int length) {
    for (int i = start, end = start + length; i < end; i++) {
      if (buf[i] < 0) {
        return false;
      }
    }
    return true;
  }

  static String utf8(byte[] buf, int start, int length, String path) throws RecordRejected {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(buf, start, length))
          .toString();
    } catch (CharacterCodingException e) {
      throw new RecordRejected("field '" + path + "' is not valid UTF-8");
    }
  }

  private static void checkRange(FieldPlan field, int value, String path) throws RecordRejected {
    if (field.column == Primitive.TINYINT && (value < Byte.MIN_VALUE || value > Byte.MAX_VALUE)) {
      throw new RecordRejected("field '" + path + "' value " + value + " is out of range for TINYINT");
    }
    if (field.column == Primitive.SMALLINT && (value < Short.MIN_VALUE || value > Short.MAX_VALUE)) {
      throw new RecordRejected("field '" + path + "' value " + value + " is out of range for SMALLINT");
    }
  }
}
