package dev.zerobus.station.emulator;

import static dev.zerobus.station.emulator.WireReader.FIXED64;
import static dev.zerobus.station.emulator.WireReader.LENGTH_DELIMITED;
import static dev.zerobus.station.emulator.WireReader.VARINT;

import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.emulator.ColumnType.DecimalOf;
import dev.zerobus.station.emulator.ColumnType.Primitive;
import dev.zerobus.station.emulator.ColumnType.StructOf;
import dev.zerobus.station.emulator.WireReader.Truncated;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;

/**
 * Decodes protobuf records straight from wire format to the landing JSON, guided by the stream's
 * descriptor: no message objects in between, since the emulator decodes every record it acks.
 * It is as strict as a server should be: unknown field numbers, wrong wire types, invalid UTF-8,
 * missing required fields, values out of range for TINYINT/SMALLINT columns and DECIMAL text the
 * column cannot hold exactly reject the record with the field's path. Fields absent from a record are left out of its row (null).
 */
final class ProtoRows implements RowDecoder {
  private final MessagePlan root;
  /** One scratch frame per nesting depth; a stream's records are decoded one at a time. */
  private TagFrame[] frames = new TagFrame[4];

  ProtoRows(Descriptor descriptor, TableSchema schema) {
    this.root = new MessagePlan(descriptor, schema == null ? null : new StructOf(schema.columns()), new HashMap<>());
  }

  @Override
  public void writeRow(JsonGenerator out, ByteString record) throws RecordRejected, IOException {
    byte[] bytes = record.toByteArray();
    writeMessage(out, root, bytes, 0, bytes.length, 0, "");
  }

  private void writeMessage(JsonGenerator out, MessagePlan plan, byte[] buf, int start, int end, int depth,
      String path) throws RecordRejected, IOException {
    if (depth > 64) {
      throw new RecordRejected("'" + path + "' nests messages more than 64 deep");
    }
    TagFrame f = frame(depth);
    f.scan(plan, buf, start, end, path);
    out.writeStartObject();
    for (FieldPlan field : plan.fields) {
      int first = f.first(field.index);
      if (first < 0) {
        if (field.required) {
          throw new RecordRejected("required field '" + path + field.name + "' is missing");
        }
        continue;
      }
      out.writeFieldName(field.jsonName);
      if (field.map) {
        out.writeStartObject();
        for (int i = first; i >= 0; i = f.next(i, field.index)) {
          writeMapEntry(out, field, buf, f.start[i], f.start[i] + f.length[i], depth, path + field.name);
        }
        out.writeEndObject();
      } else if (field.repeated) {
        out.writeStartArray();
        int n = 0;
        for (int i = first; i >= 0; i = f.next(i, field.index)) {
          if (f.wireType[i] == LENGTH_DELIMITED && field.packable) {
            n = writePacked(out, field, buf, f.start[i], f.start[i] + f.length[i], path, n);
          } else {
            writeValue(out, field, f, i, buf, depth, path + field.name + "[" + n++ + "]");
          }
        }
        out.writeEndArray();
      } else {
        writeValue(out, field, f, f.last(field.index), buf, depth, path + field.name);
      }
    }
    out.writeEndObject();
  }

  private void writeValue(JsonGenerator out, FieldPlan field, TagFrame f, int i, byte[] buf, int depth, String path)
      throws RecordRejected, IOException {
    if (field.message != null) {
      writeMessage(out, field.message, buf, f.start[i], f.start[i] + f.length[i], depth + 1, path + ".");
    } else if (f.wireType[i] == LENGTH_DELIMITED) {
      writeBytesValue(out, field, buf, f.start[i], f.length[i], path);
    } else {
      writeScalar(out, field, f.value[i], path);
    }
  }

  private int writePacked(JsonGenerator out, FieldPlan field, byte[] buf, int start, int end, String path, int n)
      throws RecordRejected, IOException {
    WireReader in = new WireReader().over(buf, start, end);
    try {
      while (in.more()) {
        long v = field.wireType == VARINT ? in.varint() : field.wireType == FIXED64 ? in.fixed64() : in.fixed32();
        writeScalar(out, field, v, path + field.name + "[" + n++ + "]");
      }
    } catch (Truncated e) {
      throw new RecordRejected("packed field '" + path + field.name + "' is truncated");
    }
    return n;
  }

  private void writeMapEntry(JsonGenerator out, FieldPlan field, byte[] buf, int start, int end, int depth, String path)
      throws RecordRejected, IOException {
    MessagePlan entry = field.message;
    TagFrame f = frame(depth + 1);
    f.scan(entry, buf, start, end, path + ".");
    FieldPlan keyField = entry.field(1);
    FieldPlan valueField = entry.field(2);
    int k = f.last(keyField.index);
    String key;
    if (k < 0) {
      key = keyField.kind == FieldDescriptor.JavaType.STRING ? "" : keyField.kind == FieldDescriptor.JavaType.BOOLEAN ? "false" : "0";
    } else if (f.wireType[k] == LENGTH_DELIMITED) {
      key = utf8(buf, f.start[k], f.length[k], path + ".key");
    } else {
      key = scalarText(keyField, f.value[k]);
    }
    out.writeFieldName(key);
    int v = f.last(valueField.index);
    if (v < 0) {
      out.writeNull();
    } else {
      writeValue(out, valueField, f, v, buf, depth + 1, path + "." + key);
    }
  }

  private static void writeScalar(JsonGenerator out, FieldPlan field, long v, String path)
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

  /** A map key's text: protobuf JSON writes map keys as strings. */
  private static String scalarText(FieldPlan field, long v) {
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

  private static void writeBytesValue(JsonGenerator out, FieldPlan field, byte[] buf, int start, int length, String path)
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

  private static String utf8(byte[] buf, int start, int length, String path) throws RecordRejected {
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

  private TagFrame frame(int depth) {
    if (depth >= frames.length) {
      frames = Arrays.copyOf(frames, depth * 2);
    }
    if (frames[depth] == null) {
      frames[depth] = new TagFrame();
    }
    return frames[depth];
  }
}
