package dev.zerobus.station.emulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.zerobus.station.emulator.ColumnType.ArrayOf;
import dev.zerobus.station.emulator.ColumnType.Column;
import dev.zerobus.station.emulator.ColumnType.DecimalOf;
import dev.zerobus.station.emulator.ColumnType.MapOf;
import dev.zerobus.station.emulator.ColumnType.Primitive;
import dev.zerobus.station.emulator.ColumnType.StructOf;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Turns one ingested record into the JSON object the landing file stores, or rejects it with a
 * reason that names the field. Proto records: {@link ProtoRows}; JSON records: {@link Json}.
 */
interface RowDecoder {

  /** Writes the record as one JSON object. */
  void writeRow(JsonGenerator out, ByteString record) throws RecordRejected, IOException;

  /** A record the table cannot take; the message names the field. */
  final class RecordRejected extends Exception {
    RecordRejected(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Rebuilds a message descriptor from the DescriptorProto a client sent. The SDK sends one
   * message with its nested types inside; type references may be fully qualified with the
   * package the message was compiled in, so that package is recovered from them.
   */
  static Descriptor descriptorOf(ByteString descriptorProto) throws InvalidDescriptor {
    DescriptorProto message;
    try {
      message = DescriptorProto.parseFrom(descriptorProto);
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidDescriptor("descriptor_proto is not a serialized DescriptorProto: " + e.getMessage());
    }
    if (message.getName().isEmpty()) {
      throw new InvalidDescriptor("descriptor_proto has no message name");
    }
    FileDescriptorProto.Builder file = FileDescriptorProto.newBuilder()
        .setName("zerobus_stream.proto")
        .setPackage(packageOf(message))
        .addMessageType(message);
    if (usesProto3Optional(message)) {
      file.setSyntax("proto3");
    }
    try {
      FileDescriptor fd = FileDescriptor.buildFrom(file.build(), new FileDescriptor[0]);
      return fd.findMessageTypeByName(message.getName());
    } catch (DescriptorValidationException e) {
      throw new InvalidDescriptor("descriptor_proto for message " + message.getName() + " is invalid: "
          + e.getDescription() + " (at " + e.getProblemSymbolName() + ")");
    }
  }

  private static String packageOf(DescriptorProto message) {
    String marker = "." + message.getName() + ".";
    for (String typeName : typeNames(message)) {
      int at = typeName.indexOf(marker);
      if (at == 0) {
        return "";
      }
      if (typeName.startsWith(".") && at > 0) {
        return typeName.substring(1, at);
      }
    }
    return "";
  }

  private static List<String> typeNames(DescriptorProto message) {
    List<String> names = new java.util.ArrayList<>();
    for (FieldDescriptorProto f : message.getFieldList()) {
      if (f.hasTypeName()) {
        names.add(f.getTypeName());
      }
    }
    for (DescriptorProto nested : message.getNestedTypeList()) {
      names.addAll(typeNames(nested));
    }
    return names;
  }

  private static boolean usesProto3Optional(DescriptorProto message) {
    for (FieldDescriptorProto f : message.getFieldList()) {
      if (f.getProto3Optional()) {
        return true;
      }
    }
    for (DescriptorProto nested : message.getNestedTypeList()) {
      if (usesProto3Optional(nested)) {
        return true;
      }
    }
    return false;
  }

  /** A descriptor the emulator cannot build a message type from. */
  final class InvalidDescriptor extends Exception {
    InvalidDescriptor(String message) {
      super(message);
    }
  }

  /**
   * Checks JSON records against the table's columns (when the table has any: a table created by a
   * JSON stream takes any object).
   */
  final class Json implements RowDecoder {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final StructOf columns;

    Json(TableSchema schema) {
      this.columns = schema == null ? null : new StructOf(schema.columns());
    }

    @Override
    public void writeRow(JsonGenerator out, ByteString record) throws RecordRejected, IOException {
      JsonNode node;
      try {
        node = MAPPER.readTree(record.newInput());
      } catch (JsonProcessingException e) {
        throw new RecordRejected("not valid JSON: " + e.getOriginalMessage());
      }
      if (node == null || !node.isObject()) {
        throw new RecordRejected("a JSON record must be an object, got " + (node == null ? "nothing" : node.getNodeType()));
      }
      if (columns != null) {
        check(node, columns, "");
      }
      MAPPER.writeTree(out, node);
    }

    private static void check(JsonNode object, StructOf struct, String path) throws RecordRejected {
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> e = fields.next();
        Column column = struct.field(e.getKey());
        if (column == null) {
          throw new RecordRejected("field '" + path + e.getKey() + "' is not a column");
        }
        if (!e.getValue().isNull()) {
          checkValue(e.getValue(), column.type(), path + e.getKey());
        }
      }
      for (Column c : struct.fields()) {
        JsonNode v = object.get(c.name());
        if (!c.nullable() && (v == null || v.isNull())) {
          throw new RecordRejected("column '" + path + c.name() + "' is NOT NULL but the record has no value for it");
        }
      }
    }

    private static void checkValue(JsonNode v, ColumnType type, String path) throws RecordRejected {
      if (type instanceof StructOf struct) {
        if (!v.isObject()) {
          throw wrong(path, v, type);
        }
        check(v, struct, path + ".");
      } else if (type instanceof ArrayOf array) {
        if (!v.isArray()) {
          throw wrong(path, v, type);
        }
        for (int i = 0; i < v.size(); i++) {
          checkValue(v.get(i), array.element(), path + "[" + i + "]");
        }
      } else if (type instanceof MapOf map) {
        if (!v.isObject()) {
          throw wrong(path, v, type);
        }
        Iterator<Map.Entry<String, JsonNode>> it = v.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          checkValue(e.getValue(), map.value(), path + "." + e.getKey());
        }
      } else if (type instanceof DecimalOf decimal) {
        if (!v.isTextual() && !v.isNumber()) {
          throw wrong(path, v, type);
        }
        DecimalCheck.checked(v.asText(), decimal, path);
      } else {
        Primitive p = (Primitive) type;
        boolean ok;
        switch (p.protoType) {
          case "int32":
            ok = v.isIntegralNumber() && v.canConvertToInt()
                && (p != Primitive.TINYINT || (v.intValue() >= Byte.MIN_VALUE && v.intValue() <= Byte.MAX_VALUE))
                && (p != Primitive.SMALLINT || (v.intValue() >= Short.MIN_VALUE && v.intValue() <= Short.MAX_VALUE));
            break;
          case "int64":
            ok = (v.isIntegralNumber() && v.canConvertToLong()) || (v.isTextual() && v.asText().matches("-?\\d{1,19}"));
            break;
          case "float":
          case "double":
            ok = v.isNumber();
            break;
          case "bool":
            ok = v.isBoolean();
            break;
          case "bytes":
          case "string":
          default:
            ok = v.isTextual() || p == Primitive.VARIANT;
        }
        if (!ok) {
          throw wrong(path, v, type);
        }
      }
    }

    private static RecordRejected wrong(String path, JsonNode v, ColumnType type) {
      String shown = v.toString();
      if (shown.length() > 40) {
        shown = shown.substring(0, 40) + "...";
      }
      return new RecordRejected("field '" + path + "' value " + shown + " does not fit column type " + type.sql());
    }
  }
}
