package dev.zerobus.station.core.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FieldOptions;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.testing.Fixtures;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random JSON against random descriptors: the encoder never throws anything but
 * EncodeException, never refuses a record built only of valid values, and what it writes decodes
 * (with protobuf's own parser) to exactly what went in.
 */
class RecordEncoderPropertyTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Type[] SCALARS = {Type.TYPE_INT32, Type.TYPE_INT64, Type.TYPE_UINT32, Type.TYPE_UINT64,
      Type.TYPE_SINT32, Type.TYPE_SINT64, Type.TYPE_FIXED32, Type.TYPE_FIXED64, Type.TYPE_SFIXED32,
      Type.TYPE_SFIXED64, Type.TYPE_FLOAT, Type.TYPE_DOUBLE, Type.TYPE_BOOL, Type.TYPE_STRING, Type.TYPE_BYTES};

  @TempDir
  Path dir;

  @Test
  void randomRecordsRoundTripOrFailCleanly() throws Exception {
    Random random = new Random(20261125);
    int accepted = 0;
    int rejected = 0;
    for (int schema = 0; schema < 60; schema++) {
      DescriptorProto proto = randomMessage(random, "Row" + schema, 0);
      Path schemaDir = dir.resolve("s" + schema);
      TableDefinition table = define(schemaDir, proto);
      Descriptor d = table.descriptor();
      for (int record = 0; record < 300; record++) {
        boolean[] valid = {true};
        JsonNode input = randomObject(random, d, valid, 0);
        byte[] json = MAPPER.writeValueAsBytes(input);
        byte[] encoded;
        try {
          encoded = table.encoder().encode(json);
        } catch (EncodeException e) {
          rejected++;
          if (valid[0]) {
            fail("a valid record was refused: " + e.getMessage() + "\nrecord: " + input + "\nschema: " + proto);
          }
          continue;
        } catch (RuntimeException e) {
          throw new AssertionError("not an EncodeException for " + input + "\nschema: " + proto, e);
        }
        accepted++;
        assertTrue(valid[0], "an invalid record was accepted: " + input + "\nschema: " + proto);
        Message decoded = DynamicMessage.parseFrom(d, encoded);
        assertTrue(decoded.getUnknownFields().asMap().isEmpty());
        assertMatches(input, decoded, "");
      }
    }
    assertTrue(accepted > 3_000 && rejected > 3_000, "both kinds exercised: " + accepted + " accepted, " + rejected + " rejected");
  }

  private TableDefinition define(Path schemaDir, DescriptorProto message) {
    String proto = ProtoText.of(message, "fuzz");
    String config = Fixtures.config("http://x:1", "http://x:2",
        "{\"fuzz\": " + Fixtures.table("main.fuzz.t", "fuzz", message.getName(), null) + "}");
    return Fixtures.registry(schemaDir, config, Map.of("fuzz", proto), EncoderOptions.STRICT)
        .find("fuzz").orElseThrow();
  }

  // ---------------------------------------------------------------- random schemas

  private static DescriptorProto randomMessage(Random r, String name, int depth) {
    DescriptorProto.Builder m = DescriptorProto.newBuilder().setName(name);
    int fields = 1 + r.nextInt(8);
    for (int i = 1; i <= fields; i++) {
      String fieldName = "f" + i;
      FieldDescriptorProto.Builder f = FieldDescriptorProto.newBuilder().setName(fieldName).setNumber(i);
      int shape = r.nextInt(10);
      if (shape == 0 && depth < 2) {
        DescriptorProto nested = randomMessage(r, "N" + depth + i, depth + 1);
        m.addNestedType(nested);
        f.setType(Type.TYPE_MESSAGE).setTypeName(nested.getName()).setLabel(r.nextBoolean() ? Label.LABEL_OPTIONAL : Label.LABEL_REPEATED);
      } else if (shape == 1) {
        String entry = "F" + i + "Entry";
        Type key = new Type[] {Type.TYPE_STRING, Type.TYPE_INT32, Type.TYPE_INT64, Type.TYPE_BOOL}[r.nextInt(4)];
        Type value = SCALARS[r.nextInt(SCALARS.length)];
        m.addNestedType(DescriptorProto.newBuilder().setName(entry).setOptions(MessageOptions.newBuilder().setMapEntry(true))
            .addField(FieldDescriptorProto.newBuilder().setName("key").setNumber(1).setType(key).setLabel(Label.LABEL_OPTIONAL))
            .addField(FieldDescriptorProto.newBuilder().setName("value").setNumber(2).setType(value).setLabel(Label.LABEL_OPTIONAL)));
        f.setType(Type.TYPE_MESSAGE).setTypeName(entry).setLabel(Label.LABEL_REPEATED);
      } else {
        Type t = SCALARS[r.nextInt(SCALARS.length)];
        Label label = shape == 2 ? Label.LABEL_REPEATED : shape == 3 ? Label.LABEL_REQUIRED : Label.LABEL_OPTIONAL;
        f.setType(t).setLabel(label);
        if (label == Label.LABEL_REPEATED && t != Type.TYPE_STRING && t != Type.TYPE_BYTES && r.nextBoolean()) {
          f.setOptions(FieldOptions.newBuilder().setPacked(true));
        }
      }
      m.addField(f);
    }
    return m.build();
  }

  // ---------------------------------------------------------------- random records

  private static ObjectNode randomObject(Random r, Descriptor d, boolean[] valid, int depth) {
    ObjectNode o = NODES.objectNode();
    for (FieldDescriptor f : d.getFields()) {
      int choice = r.nextInt(10);
      if (choice == 0 && !f.isRequired()) {
        continue; // absent
      }
      if (choice == 1) {
        o.putNull(f.getName());
        if (f.isRequired()) {
          valid[0] = false;
        }
        continue;
      }
      if (f.isMapField()) {
        ObjectNode map = NODES.objectNode();
        FieldDescriptor key = f.getMessageType().findFieldByNumber(1);
        FieldDescriptor value = f.getMessageType().findFieldByNumber(2);
        for (int i = r.nextInt(3); i > 0; i--) {
          String k = randomKey(r, key, valid);
          if (!map.has(k)) { // a repeated key would hide the first value from the check
            map.set(k, randomScalar(r, value, valid));
          }
        }
        o.set(f.getName(), map);
      } else if (f.isRepeated()) {
        ArrayNode a = NODES.arrayNode();
        for (int i = r.nextInt(4); i > 0; i--) {
          a.add(f.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? randomObject(r, f.getMessageType(), valid, depth + 1)
              : randomScalar(r, f, valid));
        }
        o.set(f.getName(), a);
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        o.set(f.getName(), randomObject(r, f.getMessageType(), valid, depth + 1));
      } else {
        o.set(f.getName(), randomScalar(r, f, valid));
      }
    }
    if (r.nextInt(40) == 0) {
      o.put("not_a_field", 1);
      valid[0] = false;
    }
    return o;
  }

  private static String randomKey(Random r, FieldDescriptor key, boolean[] valid) {
    switch (key.getType()) {
      case BOOL:
        return r.nextBoolean() ? "true" : "false";
      case INT32:
        return Integer.toString(r.nextInt(2000) - 1000);
      case INT64:
        return Long.toString(r.nextLong());
      default:
        return "k" + r.nextInt(100);
    }
  }

  /** A value for a scalar field; one in ten is of the wrong kind or out of range, and marks the record invalid. */
  private static JsonNode randomScalar(Random r, FieldDescriptor f, boolean[] valid) {
    boolean wrong = r.nextInt(10) == 0;
    if (wrong) {
      valid[0] = false;
      return wrongValue(r, f);
    }
    switch (f.getType()) {
      case INT32:
      case SINT32:
      case SFIXED32:
        return r.nextInt(5) == 0 ? NODES.numberNode(new BigDecimal(r.nextInt(100) + ".0")) : NODES.numberNode(r.nextInt());
      case UINT32:
      case FIXED32:
        return NODES.numberNode(r.nextLong() & 0xFFFFFFFFL);
      case INT64:
      case SINT64:
      case SFIXED64:
        long v = r.nextLong();
        return r.nextBoolean() ? NODES.numberNode(v) : NODES.textNode(Long.toString(v));
      case UINT64:
      case FIXED64:
        BigInteger u = new BigInteger(64, r);
        return r.nextBoolean() ? NODES.numberNode(u) : NODES.textNode(u.toString());
      case FLOAT:
        return r.nextInt(20) == 0 ? NODES.textNode("NaN") : NODES.numberNode((r.nextFloat() - 0.5f) * 1e6f);
      case DOUBLE:
        return r.nextInt(20) == 0 ? NODES.textNode("-Infinity") : NODES.numberNode(r.nextGaussian() * 1e100);
      case BOOL:
        return NODES.booleanNode(r.nextBoolean());
      case STRING:
        return NODES.textNode(randomText(r));
      case BYTES:
        byte[] b = new byte[r.nextInt(8)];
        r.nextBytes(b);
        return NODES.textNode(Base64.getEncoder().encodeToString(b));
      default:
        throw new IllegalStateException(f.getType().toString());
    }
  }

  private static JsonNode wrongValue(Random r, FieldDescriptor f) {
    switch (f.getJavaType()) {
      case INT:
      case LONG:
        return new JsonNode[] {NODES.textNode("twelve"), NODES.numberNode(1.5), NODES.booleanNode(true),
            NODES.numberNode(new BigInteger("99999999999999999999999"))}[r.nextInt(4)];
      case FLOAT:
      case DOUBLE:
        return new JsonNode[] {NODES.textNode("pi"), NODES.booleanNode(false), NODES.arrayNode()}[r.nextInt(3)];
      case BOOLEAN:
        return new JsonNode[] {NODES.textNode("yes"), NODES.numberNode(1)}[r.nextInt(2)];
      case STRING:
        return new JsonNode[] {NODES.numberNode(5), NODES.objectNode(), NODES.booleanNode(true)}[r.nextInt(3)];
      default:
        return new JsonNode[] {NODES.textNode("not base64!"), NODES.numberNode(3)}[r.nextInt(2)];
    }
  }

  private static String randomText(Random r) {
    String alphabet = "aZ09 _\"\\/\n\tÄß€✓😀";
    StringBuilder s = new StringBuilder();
    for (int i = r.nextInt(10); i > 0; i--) {
      int at = alphabet.offsetByCodePoints(0, r.nextInt(alphabet.codePointCount(0, alphabet.length())));
      s.appendCodePoint(alphabet.codePointAt(at));
    }
    return s.toString();
  }

  // ---------------------------------------------------------------- decoded == input

  private static void assertMatches(JsonNode input, Message m, String path) {
    Descriptor d = m.getDescriptorForType();
    for (FieldDescriptor f : d.getFields()) {
      JsonNode in = input.get(f.getName());
      String at = path + f.getName();
      if (in == null || in.isNull()) {
        if (f.isRepeated()) {
          assertEquals(0, m.getRepeatedFieldCount(f), at);
        } else {
          assertTrue(!m.hasField(f), at + " should be absent");
        }
        continue;
      }
      if (f.isMapField()) {
        Map<String, JsonNode> expected = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          expected.put(e.getKey(), e.getValue());
        }
        Map<String, Object> actual = new HashMap<>();
        FieldDescriptor keyField = f.getMessageType().findFieldByNumber(1);
        FieldDescriptor valueField = f.getMessageType().findFieldByNumber(2);
        for (int i = 0; i < m.getRepeatedFieldCount(f); i++) {
          Message entry = (Message) m.getRepeatedField(f, i);
          actual.put(String.valueOf(entry.getField(keyField)), entry.getField(valueField));
        }
        assertEquals(expected.keySet(), actual.keySet(), at);
        for (String k : expected.keySet()) {
          assertScalar(expected.get(k), valueField, actual.get(k), at + "." + k);
        }
      } else if (f.isRepeated()) {
        assertEquals(in.size(), m.getRepeatedFieldCount(f), at);
        for (int i = 0; i < in.size(); i++) {
          Object v = m.getRepeatedField(f, i);
          if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            assertMatches(in.get(i), (Message) v, at + "[" + i + "].");
          } else {
            assertScalar(in.get(i), f, v, at + "[" + i + "]");
          }
        }
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        assertMatches(in, (Message) m.getField(f), at + ".");
      } else {
        assertScalar(in, f, m.getField(f), at);
      }
    }
  }

  private static void assertScalar(JsonNode in, FieldDescriptor f, Object actual, String at) {
    switch (f.getType()) {
      case UINT32:
      case FIXED32:
        assertEquals(integer(in), BigInteger.valueOf(Integer.toUnsignedLong((Integer) actual)), at);
        break;
      case UINT64:
      case FIXED64:
        assertEquals(integer(in), new BigInteger(Long.toUnsignedString((Long) actual)), at);
        break;
      case INT32:
      case SINT32:
      case SFIXED32:
      case INT64:
      case SINT64:
      case SFIXED64:
        assertEquals(integer(in), BigInteger.valueOf(((Number) actual).longValue()), at);
        break;
      case FLOAT:
        assertEquals(Float.floatToIntBits((float) floating(in)), Float.floatToIntBits((Float) actual), at);
        break;
      case DOUBLE:
        assertEquals(Double.doubleToLongBits(floating(in)), Double.doubleToLongBits((Double) actual), at);
        break;
      case BOOL:
        assertEquals(in.booleanValue(), actual, at);
        break;
      case STRING:
        assertEquals(in.textValue(), actual, at);
        break;
      case BYTES:
        assertEquals(ByteString.copyFrom(Base64.getDecoder().decode(in.textValue())), actual, at);
        break;
      default:
        fail("unexpected type " + f.getType());
    }
  }

  private static BigInteger integer(JsonNode in) {
    return in.isTextual() ? new BigInteger(in.textValue()) : in.decimalValue().toBigIntegerExact();
  }

  private static double floating(JsonNode in) {
    if (in.isTextual()) {
      return Double.parseDouble(in.textValue().replace("Infinity", "Infinity"));
    }
    return in.doubleValue();
  }

  /** Renders a generated DescriptorProto as .proto text, so the registry loads it as users' files are. */
  static final class ProtoText {
    static String of(DescriptorProto m, String pkg) {
      StringBuilder out = new StringBuilder("syntax = \"proto2\";\npackage ").append(pkg).append(";\n");
      message(out, m, "");
      return out.toString();
    }

    private static void message(StringBuilder out, DescriptorProto m, String indent) {
      out.append(indent).append("message ").append(m.getName()).append(" {\n");
      List<String> mapEntries = new ArrayList<>();
      for (DescriptorProto nested : m.getNestedTypeList()) {
        if (nested.getOptions().getMapEntry()) {
          mapEntries.add(nested.getName());
        } else {
          message(out, nested, indent + "  ");
        }
      }
      for (FieldDescriptorProto f : m.getFieldList()) {
        out.append(indent).append("  ");
        DescriptorProto entry = m.getNestedTypeList().stream()
            .filter(n -> n.getName().equals(f.getTypeName()) && n.getOptions().getMapEntry()).findFirst().orElse(null);
        if (entry != null) {
          out.append("map<").append(typeName(entry.getField(0))).append(", ").append(typeName(entry.getField(1))).append("> ");
        } else {
          out.append(f.getLabel().name().substring("LABEL_".length()).toLowerCase()).append(' ').append(typeName(f)).append(' ');
        }
        out.append(f.getName()).append(" = ").append(f.getNumber());
        if (f.getOptions().getPacked()) {
          out.append(" [packed = true]");
        }
        out.append(";\n");
      }
      out.append(indent).append("}\n");
    }

    private static String typeName(FieldDescriptorProto f) {
      return f.getType() == Type.TYPE_MESSAGE ? f.getTypeName() : f.getType().name().substring("TYPE_".length()).toLowerCase();
    }
  }
}
