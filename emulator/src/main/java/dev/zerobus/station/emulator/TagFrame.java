package dev.zerobus.station.emulator;

import static dev.zerobus.station.emulator.WireReader.FIXED32;
import static dev.zerobus.station.emulator.WireReader.FIXED64;
import static dev.zerobus.station.emulator.WireReader.LENGTH_DELIMITED;
import static dev.zerobus.station.emulator.WireReader.VARINT;

import dev.zerobus.station.emulator.RowDecoder.RecordRejected;
import dev.zerobus.station.emulator.WireReader.Truncated;
import java.util.Arrays;

/**
 * The tags of one message as read: per occurrence its field, wire type and value or slice. Fields
 * may come in any order and repeat, so a message is read whole before its JSON object is written
 * in declaration order. Reused: {@link ProtoRows} keeps one frame per nesting depth.
 */
final class TagFrame {
  private final WireReader reader = new WireReader();
  int count;
  int[] field = new int[16];
  int[] wireType = new int[16];
  long[] value = new long[16];
  int[] start = new int[16];
  int[] length = new int[16];

  /** Reads the tags of one message, {@code buf[from, to)}, into this frame, checking numbers and wire types. */
  void scan(MessagePlan plan, byte[] buf, int from, int to, String path) throws RecordRejected {
    count = 0;
    WireReader in = reader.over(buf, from, to);
    try {
      while (in.more()) {
        long tag = in.varint();
        int number = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        FieldPlan fieldPlan = plan.field(number);
        if (fieldPlan == null) {
          throw new RecordRejected("field number " + number + " at '" + path + "' is not in the stream's descriptor "
              + plan.name);
        }
        if (wire != fieldPlan.wireType && !(fieldPlan.packable && wire == LENGTH_DELIMITED)) {
          throw new RecordRejected("field '" + path + fieldPlan.name + "' came with wire type " + wire
              + ", its type " + fieldPlan.type + " needs " + fieldPlan.wireType);
        }
        int slot = add(fieldPlan.index, wire);
        switch (wire) {
          case VARINT:
            value[slot] = in.varint();
            break;
          case FIXED64:
            value[slot] = in.fixed64();
            break;
          case FIXED32:
            value[slot] = in.fixed32();
            break;
          case LENGTH_DELIMITED:
            long size = in.varint();
            start[slot] = in.pos;
            length[slot] = in.skip(size);
            break;
          default:
            throw new RecordRejected("field '" + path + fieldPlan.name + "' uses wire type " + wire
                + " (groups), which Zerobus does not take");
        }
      }
    } catch (Truncated e) {
      throw new RecordRejected("message at '" + path + "' is truncated or malformed");
    }
  }

  private int add(int fieldIndex, int wire) {
    if (count == field.length) {
      int n = count * 2;
      field = Arrays.copyOf(field, n);
      wireType = Arrays.copyOf(wireType, n);
      value = Arrays.copyOf(value, n);
      start = Arrays.copyOf(start, n);
      length = Arrays.copyOf(length, n);
    }
    field[count] = fieldIndex;
    wireType[count] = wire;
    return count++;
  }

  int first(int fieldIndex) {
    return next(-1, fieldIndex);
  }

  int next(int after, int fieldIndex) {
    for (int i = after + 1; i < count; i++) {
      if (field[i] == fieldIndex) {
        return i;
      }
    }
    return -1;
  }

  /** The last occurrence: for a singular field, the last value wins, as in protobuf. */
  int last(int fieldIndex) {
    for (int i = count - 1; i >= 0; i--) {
      if (field[i] == fieldIndex) {
        return i;
      }
    }
    return -1;
  }
}
