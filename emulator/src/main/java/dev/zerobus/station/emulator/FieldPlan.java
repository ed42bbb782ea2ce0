package dev.zerobus.station.emulator;

import static dev.zerobus.station.emulator.WireReader.FIXED32;
import static dev.zerobus.station.emulator.WireReader.FIXED64;
import static dev.zerobus.station.emulator.WireReader.LENGTH_DELIMITED;
import static dev.zerobus.station.emulator.WireReader.VARINT;

import com.fasterxml.jackson.core.io.SerializedString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.emulator.ColumnType.ArrayOf;
import dev.zerobus.station.emulator.ColumnType.Column;
import dev.zerobus.station.emulator.ColumnType.MapOf;
import dev.zerobus.station.emulator.ColumnType.StructOf;
import java.util.List;
import java.util.Map;

/** One field: how it is read, how it is named in JSON, and the column it lands in. */
final class FieldPlan {
  final FieldDescriptor descriptor;
  final int index;
  final String name;
  final SerializedString jsonName;
  final FieldDescriptor.Type type;
  final FieldDescriptor.JavaType kind;
  final boolean repeated;
  final boolean map;
  final boolean required;
  final boolean packable;
  final int wireType;
  /** The element's column type, for range checks (null when the table has none for it). */
  final ColumnType column;
  final MessagePlan message;

  FieldPlan(FieldDescriptor fd, int index, ColumnType columnType, Map<Descriptor, MessagePlan> done) {
    this.descriptor = fd;
    this.index = index;
    this.name = fd.getName();
    this.jsonName = new SerializedString(fd.getName());
    this.type = fd.getType();
    this.kind = fd.getJavaType();
    this.repeated = fd.isRepeated();
    this.map = fd.isMapField();
    this.required = fd.isRequired();
    this.packable = fd.isRepeated() && fd.isPackable();
    this.wireType = wireTypeOf(fd.getType());
    ColumnType element = columnType instanceof ArrayOf array ? array.element() : columnType;
    this.column = element;
    if (kind == FieldDescriptor.JavaType.MESSAGE) {
      Descriptor nested = fd.getMessageType();
      MessagePlan known = done.get(nested);
      StructOf nestedColumns = element instanceof StructOf s ? s
          : columnType instanceof MapOf m ? mapEntryColumns(m) : null;
      this.message = known != null && nestedColumns == null ? known : new MessagePlan(nested, nestedColumns, done);
    } else {
      this.message = null;
    }
  }

  private static StructOf mapEntryColumns(MapOf map) {
    return new StructOf(List.of(new Column("key", map.key(), true), new Column("value", map.value(), true)));
  }

  private static int wireTypeOf(FieldDescriptor.Type type) {
    switch (type) {
      case DOUBLE:
      case FIXED64:
      case SFIXED64:
        return FIXED64;
      case FLOAT:
      case FIXED32:
      case SFIXED32:
        return FIXED32;
      case STRING:
      case BYTES:
      case MESSAGE:
        return LENGTH_DELIMITED;
      case GROUP:
        return 3;
      default:
        return VARINT;
    }
  }
}
