package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.util.JsonFormat;
import dev.zerobus.station.emulator.testing.AllTypes;
import dev.zerobus.station.emulator.testing.LedgerEntry;
import dev.zerobus.station.emulator.testing.Reading;
import dev.zerobus.station.emulator.testing.ReadingPlus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The wire-to-JSON decoder, checked against protobuf's own JsonFormat on random messages. */
class ProtoRowsTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void randomMessagesDecodeAsProtobufJsonFormatPrintsThem() throws Exception {
    Random random = new Random(42);
    ProtoRows rows = new ProtoRows(AllTypes.getDescriptor(), TableSchema.fromDescriptor(AllTypes.getDescriptor()));
    for (int i = 0; i < 2_000; i++) {
      AllTypes message = randomAllTypes(random);
      JsonNode ours = decode(rows, message.toByteString());
      JsonNode reference = MAPPER.readTree(JsonFormat.printer().preservingProtoFieldNames().print(message));
      assertEquals(numbersFromText(reference), numbersFromText(ours), "message " + i + ": " + message);
    }
  }

  @Test
  void packedAndRepeatedEncodingsOfTheSameValuesAgree() throws Exception {
    // tags is not packable; counters is a map; build a packed int64 list by hand for a repeated field.
    ProtoRows rows = new ProtoRows(AllTypes.getDescriptor(), null);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeString(8, "x");
    out.writeString(1, "first");
    out.writeString(8, "y");
    out.writeString(1, "last wins");
    out.flush();
    JsonNode row = decode(rows, ByteString.copyFrom(bytes.toByteArray()));
    assertEquals(MAPPER.readTree("{\"name\":\"last wins\",\"tags\":[\"x\",\"y\"]}"), row);
  }

  @Test
  void unknownFieldNumbersAreRejectedNamingTheNumber() {
    ProtoRows rows = new ProtoRows(Reading.getDescriptor(), null);
    ByteString plus = ReadingPlus.newBuilder().setDeviceName("a").setExtra("b").build().toByteString();
    RowDecoder.RecordRejected e = assertThrows(RowDecoder.RecordRejected.class, () -> decode(rows, plus));
    assertTrue(e.getMessage().contains("field number 4"), e.getMessage());
  }

  @Test
  void wrongWireTypesAndTruncationAreRejected() throws Exception {
    ProtoRows rows = new ProtoRows(Reading.getDescriptor(), null);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeString(2, "not an int"); // temp is int32
    out.flush();
    RowDecoder.RecordRejected e = assertThrows(RowDecoder.RecordRejected.class,
        () -> decode(rows, ByteString.copyFrom(bytes.toByteArray())));
    assertTrue(e.getMessage().contains("field 'temp' came with wire type 2"), e.getMessage());

    byte[] whole = TestSdk.reading(3).toByteArray();
    ByteString truncated = ByteString.copyFrom(whole, 0, whole.length - 2);
    e = assertThrows(RowDecoder.RecordRejected.class, () -> decode(rows, truncated));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void invalidUtf8IsRejected() throws Exception {
    ProtoRows rows = new ProtoRows(Reading.getDescriptor(), null);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeByteArray(1, new byte[] {'a', (byte) 0xC3}); // a lone lead byte
    out.flush();
    RowDecoder.RecordRejected e = assertThrows(RowDecoder.RecordRejected.class,
        () -> decode(rows, ByteString.copyFrom(bytes.toByteArray())));
    assertTrue(e.getMessage().contains("'device_name' is not valid UTF-8"), e.getMessage());
  }

  @Test
  void narrowColumnsAreRangeChecked() {
    ProtoRows rows = new ProtoRows(Reading.getDescriptor(),
        TableSchema.parse("device_name STRING, temp SMALLINT, humidity BIGINT"));
    ByteString big = Reading.newBuilder().setTemp(40_000).build().toByteString();
    RowDecoder.RecordRejected e = assertThrows(RowDecoder.RecordRejected.class, () -> decode(rows, big));
    assertTrue(e.getMessage().contains("field 'temp' value 40000 is out of range for SMALLINT"), e.getMessage());
  }

  @Test
  void decimalTextLandsExactlyAndWhatWouldNeedRoundingIsRejected() throws Exception {
    ProtoRows rows = new ProtoRows(LedgerEntry.getDescriptor(),
        TableSchema.parse("id STRING NOT NULL, amount DECIMAL(10,2), note STRING"));
    for (String exact : new String[] {"12345678.91", "-0.5", "12.300", "1e3", "0", "-99999999.99"}) {
      JsonNode row = decode(rows, LedgerEntry.newBuilder().setId("a").setAmount(exact).build().toByteString());
      assertEquals(exact, row.get("amount").asText(), "the text as sent");
      assertTrue(row.get("amount").isTextual(), row.toString());
    }
    String[][] refused = {
        {"12.345", "it needs 3 digits after the point, DECIMAL(10,2) keeps 2"},
        {"123456789.1", "it needs 9 digits before the point, DECIMAL(10,2) keeps 8"},
        {"1e999999999", "it needs 1000000000 digits before the point"},
        {"1e-999999999", "it needs 999999999 digits after the point"},
        {"twelve", "it is not a decimal number"},
        {"", "it is not a decimal number"},
        {"1" + "0".repeat(2_000), "it is not a decimal number"}};
    for (String[] r : refused) {
      ByteString record = LedgerEntry.newBuilder().setId("b").setAmount(r[0]).build().toByteString();
      RowDecoder.RecordRejected e = assertThrows(RowDecoder.RecordRejected.class, () -> decode(rows, record), r[0]);
      assertTrue(e.getMessage().startsWith("field 'amount' value \"") && e.getMessage().contains("does not fit DECIMAL(10,2)")
          && e.getMessage().contains(r[1]), e.getMessage());
    }
  }

  @Test
  void jsonRecordsForADecimalColumnAreCheckedTheSameWay() throws Exception {
    RowDecoder json = new RowDecoder.Json(TableSchema.parse("id STRING NOT NULL, amount DECIMAL(10,2)"));
    assertEquals("\"12.30\"", decode(json, ByteString.copyFromUtf8("{\"id\": \"a\", \"amount\": \"12.30\"}"))
        .get("amount").toString(), "the text as sent");
    assertEquals(12.5, decode(json, ByteString.copyFromUtf8("{\"id\": \"a\", \"amount\": 12.5}")).get("amount")
        .asDouble());
    for (String bad : new String[] {"12.345", "\"123456789\"", "true", "\"x\""}) {
      RowDecoder.RecordRejected e = assertThrows(RowDecoder.RecordRejected.class,
          () -> decode(json, ByteString.copyFromUtf8("{\"id\": \"b\", \"amount\": " + bad + "}")), bad);
      assertTrue(e.getMessage().startsWith("field 'amount' value ") && e.getMessage().contains("DECIMAL(10,2)"),
          e.getMessage());
    }
  }

  static JsonNode decode(RowDecoder rows, ByteString record) throws Exception {
    ByteArrayOutputStream json = new ByteArrayOutputStream();
    try (JsonGenerator out = MAPPER.getFactory().createGenerator(json)) {
      rows.writeRow(out, record);
    }
    return MAPPER.readTree(json.toByteArray());
  }

  private static AllTypes randomAllTypes(Random r) {
    AllTypes.Builder b = AllTypes.newBuilder();
    if (r.nextBoolean()) {
      b.setName(randomString(r));
    }
    if (r.nextBoolean()) {
      b.setSmall(r.nextInt());
    }
    if (r.nextBoolean()) {
      b.setBig(r.nextLong());
    }
    if (r.nextBoolean()) {
      b.setRatio(r.nextFloat() * 1000 - 500);
    }
    if (r.nextBoolean()) {
      b.setScore(r.nextGaussian() * 1e9);
    }
    if (r.nextBoolean()) {
      b.setActive(r.nextBoolean());
    }
    if (r.nextBoolean()) {
      byte[] payload = new byte[r.nextInt(20)];
      r.nextBytes(payload);
      b.setPayload(ByteString.copyFrom(payload));
    }
    for (int i = r.nextInt(4); i > 0; i--) {
      b.addTags(randomString(r));
    }
    for (int i = r.nextInt(4); i > 0; i--) {
      b.putCounters(randomString(r), r.nextLong());
    }
    if (r.nextBoolean()) {
      b.setLocation(AllTypes.Location.newBuilder().setLat(r.nextDouble()).setLabel(randomString(r)));
    }
    for (int i = r.nextInt(3); i > 0; i--) {
      b.addStops(AllTypes.Location.newBuilder().setLon(r.nextDouble() * -180));
    }
    if (r.nextBoolean()) {
      b.setDay(r.nextInt(40_000));
    }
    if (r.nextBoolean()) {
      b.setAtMicros(r.nextLong());
    }
    if (r.nextBoolean()) {
      b.setDelta(r.nextLong());
    }
    return b.build();
  }

  private static String randomString(Random r) {
    String alphabet = "abcXYZ019 _-\"\\/\n\tÄöü€✓😀";
    StringBuilder s = new StringBuilder();
    for (int i = r.nextInt(12); i > 0; i--) {
      s.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, r.nextInt(alphabet.codePointCount(0, alphabet.length())))));
    }
    return s.toString();
  }

  /** JsonFormat writes 64-bit integers as strings; compare numbers as numbers. */
  private static JsonNode numbersFromText(JsonNode node) throws IOException {
    if (node.isObject()) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.set(e.getKey(), numbersFromText(e.getValue()));
      }
      return out;
    }
    if (node.isArray()) {
      var out = JsonNodeFactory.instance.arrayNode();
      for (JsonNode n : node) {
        out.add(numbersFromText(n));
      }
      return out;
    }
    if (node.isTextual() && node.asText().matches("-?(0|[1-9]\\d*)")) {
      return numbersFromText(MAPPER.readTree(node.asText()));
    }
    if (node.isNumber()) {
      return JsonNodeFactory.instance.numberNode(node.decimalValue().stripTrailingZeros());
    }
    return node;
  }
}
