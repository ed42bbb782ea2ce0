package dev.zerobus.station.core.encode;

import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.schema.DecimalType;
import dev.zerobus.station.core.schema.DeltaType;
import dev.zerobus.station.core.schema.TableSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A table's message compiled once for the encoder: per field its column type (from the type
 * table), the coercion it takes, its wire type and tag, the range its integers must fall in and a
 * DECIMAL's precision and scale.
 */
final class EncodePlan {
  private EncodePlan() {}

  /** A message type: its fields by JSON name (proto and camelCase) and number. */
  static final class MessagePlan {
    final String name;
    final Map<String, FieldPlan> byName = new HashMap<>();
    final List<FieldPlan> required = new ArrayList<>();
    final List<String> names = new ArrayList<>();
    final int fieldCount;
    private final Map<Integer, FieldPlan> byNumber = new HashMap<>();

    MessagePlan(Descriptor d, TableSchema schema, Map<Descriptor, MessagePlan> done) {
      this.name = d.getName();
      done.put(d, this);
      List<FieldDescriptor> fields = d.getFields();
      this.fieldCount = fields.size();
      for (int i = 0; i < fields.size(); i++) {
        FieldDescriptor fd = fields.get(i);
        FieldPlan f = new FieldPlan(fd, i, schema, done);
        byName.put(fd.getName(), f);
        byName.putIfAbsent(fd.getJsonName(), f);
        byNumber.put(fd.getNumber(), f);
        names.add(fd.getName());
        if (fd.isRequired()) {
          required.add(f);
        }
      }
    }

    FieldPlan byNumber(int number) {
      return byNumber.get(number);
    }
  }

  /** One field: its column type, coercion, wire details, integer range and DECIMAL precision and scale. */
  static final class FieldPlan {
    final FieldDescriptor descriptor;
    final FieldDescriptor.Type wire;
    final DeltaType column;
    /** The coercion the value takes: the column type's, or MESSAGE for a nested message or map entry. */
    final DeltaType.Value value;
    final boolean message;
    final int index;
    final String name;
    final int number;
    final boolean repeated;
    final boolean map;
    final boolean packed;
    final MessagePlan nested;
    final long min;
    final long max;
    final boolean unsigned64;
    /** 64-bit integers, which may also come as decimal strings. */
    final boolean wide;
    /** The type named in range errors. */
    final String typeName;
    /** For a DECIMAL column: its precision and scale; else null. */
    final DecimalType decimal;

    FieldPlan(FieldDescriptor fd, int index, TableSchema schema, Map<Descriptor, MessagePlan> done) {
      this.descriptor = fd;
      this.wire = fd.getType();
      this.index = index;
      this.name = fd.getName();
      this.number = fd.getNumber();
      this.repeated = fd.isRepeated();
      this.map = fd.isMapField();
      this.packed = fd.isPacked();
      this.message = fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
      FieldDescriptorProto.Type proto = fd.toProto().getType();
      DeltaType explicit = schema.columnType(fd);
      DeltaType col = explicit != null && explicit.fits(proto) ? explicit : DeltaType.ofProto(proto);
      this.column = col;
      this.value = message || col == null ? DeltaType.Value.NONE : col.value();
      this.decimal = col == DeltaType.DECIMAL ? schema.decimal(fd) : null;
      String wireName = wire.name().toLowerCase(java.util.Locale.ROOT);
      long lo = 0;
      long hi = 0;
      boolean u64 = false;
      switch (wire) {
        case INT32:
        case SINT32:
        case SFIXED32:
          lo = Integer.MIN_VALUE;
          hi = Integer.MAX_VALUE;
          break;
        case UINT32:
        case FIXED32:
          hi = 0xFFFFFFFFL;
          break;
        case INT64:
        case SINT64:
        case SFIXED64:
          lo = Long.MIN_VALUE;
          hi = Long.MAX_VALUE;
          break;
        case UINT64:
        case FIXED64:
          lo = Long.MIN_VALUE;
          hi = Long.MAX_VALUE;
          u64 = true;
          break;
        default:
          break;
      }
      boolean narrower = col != null && col.integral() && !u64 && (col.min() > lo || col.max() < hi);
      this.min = narrower ? Math.max(lo, col.min()) : lo;
      this.max = narrower ? Math.min(hi, col.max()) : hi;
      this.typeName = narrower ? col.sql() : wireName;
      this.unsigned64 = u64;
      this.wide = wire == FieldDescriptor.Type.INT64 || wire == FieldDescriptor.Type.SINT64
          || wire == FieldDescriptor.Type.SFIXED64 || u64;
      if (message) {
        MessagePlan known = done.get(fd.getMessageType());
        this.nested = known != null ? known : new MessagePlan(fd.getMessageType(), schema, done);
      } else {
        this.nested = null;
      }
    }
  }
}
