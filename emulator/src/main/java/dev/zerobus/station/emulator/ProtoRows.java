package dev.zerobus.station.emulator;

import static dev.zerobus.station.emulator.WireReader.FIXED64;
import static dev.zerobus.station.emulator.WireReader.LENGTH_DELIMITED;
import static dev.zerobus.station.emulator.WireReader.VARINT;

import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.emulator.ColumnType.StructOf;
import dev.zerobus.station.emulator.WireReader.Truncated;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;

/**
 * Decodes protobuf records straight from wire format to the landing JSON, guided by the stream's
 * descriptor: no message objects in between, since the emulator decodes every record it acks.
 * It is as strict as a server should be: unknown field numbers, wrong wire types, invalid UTF-8,
 * missing required fields, values out of range for TINYINT/SMALLINT columns and DECIMAL text the
 * column cannot hold exactly reject the record with the field's path. Fields absent from a record
 * are left out of its row (null).
 *
 * <p>This class writes a row's shape: objects, arrays, maps and nesting. The steps under it:
 * {@link MessagePlan} (the descriptor compiled once per stream), {@link TagFrame} (one message's
 * tags, read with {@link WireReader}) and {@link ProtoValues} (one value as JSON).
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
      ProtoValues.writeBytesValue(out, field, buf, f.start[i], f.length[i], path);
    } else {
      ProtoValues.writeScalar(out, field, f.value[i], path);
    }
  }

  private int writePacked(JsonGenerator out, FieldPlan field, byte[] buf, int start, int end, String path, int n)
      throws RecordRejected, IOException {
    WireReader in = new WireReader().over(buf, start, end);
    try {
      while (in.more()) {
        long v = field.wireType == VARINT ? in.varint() : field.wireType == FIXED64 ? in.fixed64() : in.fixed32();
        ProtoValues.writeScalar(out, field, v, path + field.name + "[" + n++ + "]");
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
      key = ProtoValues.utf8(buf, f.start[k], f.length[k], path + ".key");
    } else {
      key = ProtoValues.scalarText(keyField, f.value[k]);
    }
    out.writeFieldName(key);
    int v = f.last(valueField.index);
    if (v < 0) {
      out.writeNull();
    } else {
      writeValue(out, valueField, f, v, buf, depth + 1, path + "." + key);
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
