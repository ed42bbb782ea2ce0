package dev.zerobus.station.emulator;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.emulator.ColumnType.Column;
import dev.zerobus.station.emulator.ColumnType.StructOf;
import java.util.HashMap;
import java.util.Map;

/**
 * A message type compiled for decoding: its fields by number and in declaration order. Built once
 * per stream from its descriptor (and the table's columns, for the checks that need them), so
 * decoding a record looks a tag up in an array instead of asking the descriptor.
 */
final class MessagePlan {
  final String name;
  final FieldPlan[] fields;
  private final FieldPlan[] byNumber;
  private final Map<Integer, FieldPlan> sparse = new HashMap<>();

  MessagePlan(Descriptor d, StructOf columns, Map<Descriptor, MessagePlan> done) {
    this.name = d.getName();
    done.put(d, this);
    fields = new FieldPlan[d.getFields().size()];
    int max = 0;
    for (FieldDescriptor fd : d.getFields()) {
      max = Math.max(max, fd.getNumber());
    }
    byNumber = new FieldPlan[Math.min(max, 1024) + 1];
    for (int i = 0; i < fields.length; i++) {
      FieldDescriptor fd = d.getFields().get(i);
      Column column = columns == null ? null : columns.field(fd.getName());
      FieldPlan plan = new FieldPlan(fd, i, column == null ? null : column.type(), done);
      fields[i] = plan;
      if (fd.getNumber() < byNumber.length) {
        byNumber[fd.getNumber()] = plan;
      } else {
        sparse.put(fd.getNumber(), plan);
      }
    }
  }

  FieldPlan field(int number) {
    return number >= 0 && number < byNumber.length ? byNumber[number] : sparse.get(number);
  }
}
