package dev.zerobus.station.core.schema;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldOptions;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.DescriptorProtos.OneofDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.squareup.wire.Syntax;
import com.squareup.wire.schema.EnumType;
import com.squareup.wire.schema.Field;
import com.squareup.wire.schema.Location;
import com.squareup.wire.schema.MessageType;
import com.squareup.wire.schema.ProtoFile;
import com.squareup.wire.schema.ProtoType;
import com.squareup.wire.schema.Schema;
import com.squareup.wire.schema.SchemaLoader;
import com.squareup.wire.schema.Type;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.config.StationConfig.FieldSpec;
import dev.zerobus.station.core.config.StationConfig.TableSpec;
import dev.zerobus.station.core.errors.ConfigException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import okio.FileSystem;

/**
 * Builds a table's protobuf descriptor from its {@code schema.proto} (parsed and linked at run
 * time by Square's Wire schema loader: no protoc, no generated classes) or from config.json's
 * {@code fields}, and checks that the two agree when both exist.
 */
final class LocalSchemas {
  private LocalSchemas() {}

  /** The scalar protobuf types Zerobus columns take, by their .proto names. */
  private static final Map<String, FieldDescriptorProto.Type> SCALARS = Map.ofEntries(
      Map.entry("double", FieldDescriptorProto.Type.TYPE_DOUBLE),
      Map.entry("float", FieldDescriptorProto.Type.TYPE_FLOAT),
      Map.entry("int64", FieldDescriptorProto.Type.TYPE_INT64),
      Map.entry("uint64", FieldDescriptorProto.Type.TYPE_UINT64),
      Map.entry("int32", FieldDescriptorProto.Type.TYPE_INT32),
      Map.entry("fixed64", FieldDescriptorProto.Type.TYPE_FIXED64),
      Map.entry("fixed32", FieldDescriptorProto.Type.TYPE_FIXED32),
      Map.entry("bool", FieldDescriptorProto.Type.TYPE_BOOL),
      Map.entry("string", FieldDescriptorProto.Type.TYPE_STRING),
      Map.entry("bytes", FieldDescriptorProto.Type.TYPE_BYTES),
      Map.entry("uint32", FieldDescriptorProto.Type.TYPE_UINT32),
      Map.entry("sfixed32", FieldDescriptorProto.Type.TYPE_SFIXED32),
      Map.entry("sfixed64", FieldDescriptorProto.Type.TYPE_SFIXED64),
      Map.entry("sint32", FieldDescriptorProto.Type.TYPE_SINT32),
      Map.entry("sint64", FieldDescriptorProto.Type.TYPE_SINT64));

  /**
   * config.json's {@code type}: any name of the column-type table ({@code int32}, {@code BIGINT},
   * {@code timestamp_ntz}, ...), or null when the field gives only a proto_type.
   */
  static DeltaType columnType(String where, FieldSpec f) {
    if (f.type() == null) {
      return null;
    }
    DeltaType t = DeltaType.named(f.type());
    if (t == null || t == DeltaType.ARRAY || t == DeltaType.MAP) {
      throw new ConfigException(where + " field '" + f.name() + "': unknown type '" + f.type() + "' (use one of "
          + java.util.Arrays.stream(DeltaType.values()).filter(DeltaType::scalar)
              .map(d -> d == DeltaType.DECIMAL ? "decimal(p,s)" : d.name().toLowerCase(Locale.ROOT))
              .collect(java.util.stream.Collectors.joining(", "))
          + " or struct; describe arrays and maps with proto_type or in schema.proto)");
    }
    decimalType(where, f);
    return t;
  }

  /** The precision and scale config.json's {@code type} gives a DECIMAL field ({@code decimal(10,2)}), or null. */
  static DecimalType decimalType(String where, FieldSpec f) {
    try {
      return f.type() == null ? null : DecimalType.parse(f.type());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + " field '" + f.name() + "': type " + e.getMessage());
    }
  }

  /** The descriptor config.json's {@code fields} describe (top-level scalar and repeated fields). */
  static Descriptor fromFields(String where, TableSpec spec) {
    DescriptorProto.Builder message = DescriptorProto.newBuilder().setName(messageName(spec));
    for (FieldSpec f : spec.fields()) {
      message.addField(fieldFromSpec(where, f));
    }
    FileDescriptorProto file = FileDescriptorProto.newBuilder()
        .setName(spec.key() + "/fields")
        .setPackage(spec.protoPackage() == null ? "" : spec.protoPackage())
        .addMessageType(message)
        .build();
    return build(where + " (fields)", file, message.getName());
  }

  private static FieldDescriptorProto fieldFromSpec(String where, FieldSpec f) {
    String protoType = f.protoType() != null ? f.protoType() : "optional " + protoTypeOf(where, f);
    String[] words = protoType.trim().split("\\s+");
    FieldDescriptorProto.Label label = FieldDescriptorProto.Label.LABEL_OPTIONAL;
    String typeName = words[words.length - 1];
    if (words.length == 2) {
      switch (words[0]) {
        case "optional":
          break;
        case "required":
          label = FieldDescriptorProto.Label.LABEL_REQUIRED;
          break;
        case "repeated":
          label = FieldDescriptorProto.Label.LABEL_REPEATED;
          break;
        default:
          throw new ConfigException(where + " field '" + f.name() + "': proto_type '" + protoType
              + "' must be [optional|required|repeated] <scalar type>");
      }
    } else if (words.length != 1) {
      throw new ConfigException(where + " field '" + f.name() + "': proto_type '" + protoType
          + "' must be [optional|required|repeated] <scalar type>");
    }
    FieldDescriptorProto.Type type = SCALARS.get(typeName);
    if (type == null) {
      throw new ConfigException(where + " field '" + f.name() + "': proto_type '" + protoType
          + "' is not a scalar type; describe messages, maps and nested fields in tables/" + "<key>/schema.proto");
    }
    FieldDescriptorProto field = FieldDescriptorProto.newBuilder().setName(f.name()).setNumber(f.fieldNum())
        .setLabel(label).setType(type).build();
    return field;
  }

  private static String protoTypeOf(String where, FieldSpec f) {
    DeltaType t = DeltaType.named(f.type());
    if (t == null || !t.scalar()) {
      throw new ConfigException(where + " field '" + f.name() + "': type '" + f.type()
          + "' needs a proto_type (or a schema.proto)");
    }
    return t.protoName();
  }

  /** Parses and links {@code protoFile}, then converts the table's message to a descriptor. */
  static Descriptor fromProtoFile(String where, Path protoFile, TableSpec spec) {
    Schema schema;
    try {
      SchemaLoader loader = new SchemaLoader(FileSystem.SYSTEM);
      Path dir = protoFile.toAbsolutePath().getParent();
      loader.initRoots(List.of(Location.get(dir.toString(), protoFile.getFileName().toString())), List.of());
      schema = loader.loadSchema();
    } catch (Exception e) {
      throw new ConfigException(where + ": " + protoFile + " does not parse: " + e.getMessage(), e);
    }
    ProtoFile file = schema.protoFile(protoFile.getFileName().toString());
    if (file == null) {
      throw new ConfigException(where + ": " + protoFile + " was not loaded");
    }
    String pkg = file.getPackageName() == null ? "" : file.getPackageName();
    if (spec.protoPackage() != null && !spec.protoPackage().equals(pkg)) {
      throw new ConfigException(where + ": proto_package is '" + spec.protoPackage() + "' but " + protoFile
          + " declares package '" + pkg + "'");
    }
    MessageType message = mainMessage(where, protoFile, file, spec);
    DescriptorProto.Builder proto = toProto(where, protoFile, message, message.getType().toString());
    FileDescriptorProto.Builder fd = FileDescriptorProto.newBuilder()
        .setName(spec.key() + "/" + protoFile.getFileName())
        .setPackage(pkg)
        .addMessageType(proto);
    if (message.getSyntax() == Syntax.PROTO_3) {
      fd.setSyntax("proto3");
    }
    return build(where + " (" + protoFile + ")", fd.build(), proto.getName());
  }

  private static MessageType mainMessage(String where, Path protoFile, ProtoFile file, TableSpec spec) {
    List<Type> messages = file.getTypes().stream().filter(t -> t instanceof MessageType).toList();
    if (spec.messageName() == null) {
      if (messages.size() != 1) {
        throw new ConfigException(where + ": " + protoFile + " declares " + messages.size()
            + " top-level messages; set message_name to choose one");
      }
      return (MessageType) messages.get(0);
    }
    for (Type t : messages) {
      if (t.getType().getSimpleName().equals(spec.messageName())) {
        return (MessageType) t;
      }
    }
    throw new ConfigException(where + ": message_name is '" + spec.messageName() + "' but " + protoFile
        + " declares " + messages.stream().map(t -> t.getType().getSimpleName()).toList());
  }

  /** Wire's linked message to a DescriptorProto; every referenced message must be nested inside the table's. */
  private static DescriptorProto.Builder toProto(String where, Path file, MessageType m, String root) {
    DescriptorProto.Builder out = DescriptorProto.newBuilder().setName(m.getType().getSimpleName());
    boolean proto3 = m.getSyntax() == Syntax.PROTO_3;
    for (Type nested : m.getNestedTypes()) {
      if (nested instanceof EnumType) {
        throw new ConfigException(where + ": " + file + ": enum " + nested.getType()
            + " is not supported (Zerobus columns take no enums; use a string)");
      }
      out.addNestedType(toProto(where, file, (MessageType) nested, root));
    }
    for (Field f : m.getFieldsAndOneOfFields()) {
      String at = where + ": " + file + " field '" + m.getType().getSimpleName() + "." + f.getName() + "'";
      if (f.isOneOf()) {
        throw new ConfigException(at + " is in a oneof, which Zerobus tables cannot hold; make it a plain field");
      }
      FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder().setName(f.getName()).setNumber(f.getTag());
      ProtoType type = f.getType();
      if (type.isMap()) {
        String entryName = camel(f.getName()) + "Entry";
        DescriptorProto.Builder entry = DescriptorProto.newBuilder().setName(entryName)
            .setOptions(MessageOptions.newBuilder().setMapEntry(true))
            .addField(element(at, "key", 1, type.getKeyType(), root).setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL))
            .addField(element(at, "value", 2, type.getValueType(), root).setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL));
        out.addNestedType(entry);
        field.setLabel(FieldDescriptorProto.Label.LABEL_REPEATED).setType(FieldDescriptorProto.Type.TYPE_MESSAGE)
            .setTypeName("." + m.getType() + "." + entryName);
      } else {
        field.mergeFrom(element(at, f.getName(), f.getTag(), type, root).build());
        if (f.isRepeated()) {
          field.setLabel(FieldDescriptorProto.Label.LABEL_REPEATED);
          if (!proto3 && f.isPacked()) {
            field.setOptions(FieldOptions.newBuilder().setPacked(true));
          }
        } else if (f.isRequired()) {
          field.setLabel(FieldDescriptorProto.Label.LABEL_REQUIRED);
        } else {
          field.setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL);
          if (proto3 && f.getLabel() == Field.Label.OPTIONAL) {
            // proto3 "optional": explicit presence through a synthetic oneof, as protoc writes it.
            field.setProto3Optional(true).setOneofIndex(out.getOneofDeclCount());
            out.addOneofDecl(OneofDescriptorProto.newBuilder().setName("_" + f.getName()));
          }
        }
      }
      out.addField(field);
    }
    // Synthetic oneofs must come after real ones and their fields last; protoc orders fields by declaration.
    return out;
  }

  private static FieldDescriptorProto.Builder element(String at, String name, int number, ProtoType type, String root) {
    FieldDescriptorProto.Builder b = FieldDescriptorProto.newBuilder().setName(name).setNumber(number);
    if (type.isScalar()) {
      FieldDescriptorProto.Type scalar = SCALARS.get(type.getSimpleName());
      if (scalar == null) {
        throw new ConfigException(at + " has type " + type + ", which Zerobus does not take");
      }
      return b.setType(scalar);
    }
    String qualified = type.toString();
    if (!qualified.startsWith(root + ".")) {
      throw new ConfigException(at + " uses message " + qualified + ", which is not nested inside " + root
          + ": Zerobus takes one self-contained message, so declare " + type.getSimpleName() + " inside it");
    }
    return b.setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName("." + qualified);
  }

  private static String camel(String snake) {
    StringBuilder out = new StringBuilder();
    boolean upper = true;
    for (char c : snake.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }

  private static Descriptor build(String where, FileDescriptorProto file, String message) {
    try {
      return FileDescriptor.buildFrom(file, new FileDescriptor[0]).findMessageTypeByName(message);
    } catch (DescriptorValidationException e) {
      throw new ConfigException(where + ": " + e.getProblemSymbolName() + ": " + e.getDescription());
    }
  }

  private static String messageName(TableSpec spec) {
    if (spec.messageName() != null) {
      return spec.messageName();
    }
    return camel(spec.key());
  }

  /**
   * Checks that config.json's fields agree with schema.proto: every listed field exists there
   * with the same number and type. The list may be a subset (say, only the timestamps to mark).
   *
   * @throws ConfigException naming the table and the first field on which they differ
   */
  static void checkAgreement(String where, Path protoFile, Descriptor fromProto, List<FieldSpec> fields) {
    Map<String, FieldSpec> configured = new java.util.LinkedHashMap<>();
    fields.forEach(f -> configured.put(f.name(), f));
    for (FieldDescriptor p : fromProto.getFields()) {
      FieldSpec c = configured.remove(p.getName());
      if (c == null) {
        continue;
      }
      if (c.fieldNum() != p.getNumber()) {
        throw new ConfigException(where + " field '" + p.getName() + "': field_num " + c.fieldNum()
            + " in config.json, " + p.getNumber() + " in " + protoFile);
      }
      if (c.protoType() != null && !sameProtoType(c.protoType(), p)) {
        throw new ConfigException(where + " field '" + p.getName() + "': config.json says '" + c.protoType()
            + "', " + protoFile + " says '" + describe(p) + "'");
      }
      if (c.type() != null && !typeFits(c.type(), p)) {
        throw new ConfigException(where + " field '" + p.getName() + "': config.json type '" + c.type()
            + "' does not fit '" + describe(p) + "' in " + protoFile);
      }
    }
    if (!configured.isEmpty()) {
      String name = configured.keySet().iterator().next();
      throw new ConfigException(where + " field '" + name + "': in config.json fields but not in " + protoFile);
    }
  }

  private static boolean sameProtoType(String protoType, FieldDescriptor p) {
    String[] words = protoType.trim().split("\\s+");
    String label = words.length == 2 ? words[0] : "optional";
    String type = words[words.length - 1];
    String expectedLabel = p.isMapField() ? "repeated" : p.isRepeated() ? "repeated" : p.isRequired() ? "required" : "optional";
    if (p.isMapField()) {
      return type.replace(" ", "").startsWith("map<");
    }
    String expectedType = p.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? p.getMessageType().getName()
        : p.getType().name().toLowerCase(Locale.ROOT);
    return label.equals(expectedLabel) && (type.equals(expectedType) || type.endsWith("." + expectedType));
  }

  /** Whether a config.json {@code type} can describe the field's values. */
  static boolean typeFits(String type, FieldDescriptor p) {
    DeltaType t = DeltaType.named(type);
    if (t == DeltaType.STRUCT) {
      return p.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !p.isMapField();
    }
    return t != null && t.fits(p.toProto().getType());
  }

  static String describe(FieldDescriptor f) {
    String label = f.isRepeated() ? "repeated " : f.isRequired() ? "required " : "optional ";
    String type = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? f.getMessageType().getName()
        : f.getType().name().toLowerCase(Locale.ROOT);
    return label + type;
  }
}
