package dev.zerobus.station.core.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.encode.RecordEncoder;
import dev.zerobus.station.core.encode.RecordEncoder.Batch;
import dev.zerobus.station.core.encode.RecordEncoder.BatchFormat;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.Fixtures;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad-input class, and how it is reported; what is accepted decodes back to what went in. */
class RecordEncoderTest {
  @TempDir
  static Path dir;
  static TableRegistry registry;
  static TableDefinition station;
  static TableDefinition all;

  @BeforeAll
  static void load() {
    registry = Fixtures.standard(dir, "http://127.0.0.1:1", "http://127.0.0.1:2", EncoderOptions.STRICT);
    station = registry.find("station_one").orElseThrow();
    all = registry.find("all_types").orElseThrow();
  }

  @Test
  void encodesTheSeedsExampleRecord() throws Exception {
    byte[] bytes = station.encoder().encode(json("{\"device_name\": \"sensor-001\", \"temp\": 25, \"humidity\": 60}"));
    DynamicMessage m = DynamicMessage.parseFrom(station.descriptor(), bytes);
    assertEquals("sensor-001", get(m, "device_name"));
    assertEquals(25, get(m, "temp"));
    assertEquals(60L, get(m, "humidity"));
  }

  @Test
  void aLargeRecordBetweenSmallOnesLeavesNoTraceInTheReusedWriter() throws Exception {
    String small = "{\"device_name\": \"s\", \"temp\": 1, \"humidity\": 2}";
    byte[] before = station.encoder().encode(json(small));
    String name = "x".repeat(200_000); // grows the thread's writer past what it keeps
    DynamicMessage large = DynamicMessage.parseFrom(station.descriptor(),
        station.encoder().encode(json("{\"device_name\": \"" + name + "\", \"temp\": 3, \"humidity\": 4}")));
    assertEquals(name, get(large, "device_name"));
    assertEquals(3, get(large, "temp"));
    assertEquals(4L, get(large, "humidity"));
    assertArrayEquals(before, station.encoder().encode(json(small)));
  }

  @Test
  void encodesEveryTypeAndDecodesBack() throws Exception {
    String record = """
        {"id": "r1", "name": "ünï ✓ \\"q\\"", "small": -2147483648, "big": "9223372036854775807", "ratio": 0.25,
         "score": -1.5e300, "active": true, "payload": "AAH/", "tags": ["a", "b"], "counters": {"x": 1, "y": -2},
         "location": {"lat": 52.5, "lon": 13.4, "label": "Berlin"}, "stops": [{"label": "one"}, {"label": "two"}],
         "day": "2024-02-29", "at": "2024-02-29T10:15:30.123456Z", "delta": -5, "flags": 4294967295,
         "huge": 18446744073709551615, "readings": [1, -2, 3], "labels": {"7": "seven", "-1": "minus one"}}
        """;
    Message m = DynamicMessage.parseFrom(all.descriptor(), all.encoder().encode(json(record)));
    assertEquals("ünï ✓ \"q\"", get(m, "name"));
    assertEquals(Integer.MIN_VALUE, get(m, "small"));
    assertEquals(Long.MAX_VALUE, get(m, "big"));
    assertEquals(0.25f, get(m, "ratio"));
    assertEquals(-1.5e300, get(m, "score"));
    assertEquals(true, get(m, "active"));
    assertEquals(ByteString.copyFrom(new byte[] {0, 1, (byte) 0xff}), get(m, "payload"));
    assertEquals(List.of("a", "b"), get(m, "tags"));
    assertEquals(2, m.getRepeatedFieldCount(all.descriptor().findFieldByName("counters")));
    Message location = (Message) get(m, "location");
    assertEquals(13.4, location.getField(location.getDescriptorForType().findFieldByName("lon")));
    assertEquals(2, m.getRepeatedFieldCount(all.descriptor().findFieldByName("stops")));
    assertEquals((int) LocalDate.of(2024, 2, 29).toEpochDay(), get(m, "day"));
    assertEquals(Instant.parse("2024-02-29T10:15:30.123456Z").getEpochSecond() * 1_000_000 + 123_456, get(m, "at"));
    assertEquals(-5L, get(m, "delta"));
    assertEquals(-1, get(m, "flags"), "uint32 max, as Java's signed int");
    assertEquals(-1L, get(m, "huge"), "uint64 max, as Java's signed long");
    assertEquals(List.of(1, -2, 3), get(m, "readings"));
    assertEquals(2, m.getRepeatedFieldCount(all.descriptor().findFieldByName("labels")));
    assertTrue(m.getUnknownFields().asMap().isEmpty());
  }

  @Test
  void timestampsAndDatesTakeNumbersToo() throws Exception {
    Message m = DynamicMessage.parseFrom(all.descriptor(),
        all.encoder().encode(json("{\"id\": \"x\", \"at\": 1700000000000000, \"day\": 19000}")));
    assertEquals(1_700_000_000_000_000L, get(m, "at"));
    assertEquals(19000, get(m, "day"));
    Message local = DynamicMessage.parseFrom(all.descriptor(),
        all.encoder().encode(json("{\"id\": \"x\", \"at\": \"2024-01-01 00:00:01\"}")));
    assertEquals(1_704_067_201_000_000L, get(local, "at"), "no zone: UTC");
  }

  @Test
  void nullAndIntegralFloatsAreTaken() throws Exception {
    Message m = DynamicMessage.parseFrom(station.descriptor(),
        station.encoder().encode(json("{\"device_name\": null, \"temp\": 25.0, \"humidity\": 1e3}")));
    assertFalse(m.hasField(station.descriptor().findFieldByName("device_name")), "null means absent");
    assertEquals(25, get(m, "temp"));
    assertEquals(1000L, get(m, "humidity"));
  }

  @Test
  void badInputsNameTheTableAndField() {
    assertRejected(station, "{\"temp\": \"hot\"}", "temp", "expected an integer, got string \"hot\"");
    assertRejected(station, "{\"temp\": 2147483648}", "temp", "2147483648 is out of range for int32 [-2147483648, 2147483647]");
    assertRejected(station, "{\"temp\": 25.5}", "temp", "expected an integer, got 25.5 (it has a fraction)");
    assertRejected(station, "{\"temp\": true}", "temp", "expected an integer, got boolean true");
    assertRejected(station, "{\"temp\": \"25\"}", "temp", "expected an integer, got string \"25\"");
    assertRejected(station, "{\"humidity\": 9223372036854775808}", "humidity", "out of range for int64");
    assertRejected(station, "{\"device_name\": 5}", "device_name", "expected a string, got number 5");
    assertRejected(station, "{\"device_name\": {\"a\": 1}}", "device_name", "expected a string, got an object");
    assertRejected(station, "{\"colour\": \"red\"}", "colour", "is not a field of the table (fields: device_name, temp, humidity)");
    assertRejected(station, "{\"temp\": 1, \"temp\": 2}", "temp", "appears twice in one object");
    assertRejected(station, "{\"temp\": 1", null, "malformed JSON");
    assertRejected(station, "[1]", null, "a record must be a JSON object, got an array");
    assertRejected(station, "{} {}", null, "unexpected content after the record");
    assertRejected(all, "{\"name\": \"x\"}", "id", "is required but missing (or null)");
    assertRejected(all, "{\"id\": null}", "id", "is required but missing (or null)");
    assertRejected(all, "{\"id\": \"x\", \"tags\": [\"a\", null]}", "tags[1]", "arrays cannot hold null");
    assertRejected(all, "{\"id\": \"x\", \"tags\": \"a\"}", "tags", "expected an array, got string \"a\"");
    assertRejected(all, "{\"id\": \"x\", \"location\": {\"lat\": \"north\"}}", "location.lat", "expected a number");
    assertRejected(all, "{\"id\": \"x\", \"location\": {\"alt\": 1}}", "location.alt", "is not a field of Location");
    assertRejected(all, "{\"id\": \"x\", \"labels\": {\"seven\": \"7\"}}", "labels.seven", "map key must be an integer");
    assertRejected(all, "{\"id\": \"x\", \"payload\": \"@@\"}", "payload", "is not valid base64");
    assertRejected(all, "{\"id\": \"x\", \"ratio\": 1e39}", "ratio", "out of range for float");
    assertRejected(all, "{\"id\": \"x\", \"flags\": -1}", "flags", "-1 is out of range for uint32");
    assertRejected(all, "{\"id\": \"x\", \"huge\": -1}", "huge", "out of range for uint64");
    assertRejected(all, "{\"id\": \"x\", \"at\": \"yesterday\"}", "at", "expected a timestamp");
    assertRejected(all, "{\"id\": \"x\", \"day\": \"31/01/2024\"}", "day", "expected a date");
    assertRejected(all, "{\"id\": \"\\ud800\"}", "id", "unpaired UTF-16 surrogate");
  }

  @Test
  void unknownFieldsCanBeIgnoredAndStringsLimited(@TempDir Path other) throws Exception {
    TableRegistry lenient = Fixtures.standard(other, "http://x:1", "http://x:2", new EncoderOptions(true, 5));
    TableDefinition t = lenient.find("station_one").orElseThrow();
    Message m = DynamicMessage.parseFrom(t.descriptor(),
        t.encoder().encode(json("{\"temp\": 1, \"extra\": {\"deep\": [1, 2, {\"x\": null}]}}")));
    assertEquals(1, get(m, "temp"));
    assertRejected(t, "{\"device_name\": \"toolong\"}", "device_name", "string of 7 characters is longer than the limit of 5");
  }

  @Test
  void batchesReportEachBadRecordByIndex() throws Exception {
    Batch batch = station.encoder().encodeBatch(json("""
        [{"device_name": "a", "temp": 1},
         {"device_name": "b", "temp": "warm", "humidity": {"x": [1, 2]}},
         {"device_name": "c"},
         7,
         {"device_name": "e", "nested": [[]]}]
        """), BatchFormat.JSON);
    assertEquals(5, batch.total());
    assertEquals(2, batch.records().size());
    assertEquals(List.of(1, 3, 4), batch.rejected().stream().map(EncodeException::index).toList());
    assertEquals("table station_one, record 1, field 'temp': expected an integer, got string \"warm\"",
        batch.rejected().get(0).getMessage());
    assertFalse(batch.single());

    Batch one = station.encoder().encodeBatch(json("{\"temp\": 3}"), BatchFormat.JSON);
    assertTrue(one.single() && one.allValid() && one.total() == 1);
  }

  @Test
  void ndjsonBatchesSkipBlankLinesAndIsolateBadOnes() throws Exception {
    Batch batch = station.encoder().encodeBatch(json("{\"temp\": 1}\n\n{\"temp\": \n{\"temp\": 3}\r\n"), BatchFormat.NDJSON);
    assertEquals(3, batch.total());
    assertEquals(2, batch.records().size());
    assertEquals(1, batch.rejected().get(0).index());
    assertTrue(batch.rejected().get(0).reason().startsWith("malformed JSON"), batch.rejected().get(0).reason());
  }

  @Test
  void malformedJsonInsideAnArrayEndsTheBatchThere() {
    EncodeException e = assertThrows(EncodeException.class,
        () -> station.encoder().encodeBatch(json("[{\"temp\": 1}, {\"temp\": 2,, }]"), BatchFormat.JSON));
    assertEquals(1, e.index());
  }

  @Test
  void valueTreesEncodeLikeJson() throws Exception {
    Map<String, Object> location = new LinkedHashMap<>();
    location.put("lat", 52.5);
    location.put("label", "Berlin");
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("id", "v1");
    record.put("small", (short) 7);
    record.put("big", 1L << 40);
    record.put("ratio", 0.5f);
    record.put("score", new BigDecimal("2.5"));
    record.put("active", false);
    record.put("payload", new byte[] {9});
    record.put("tags", List.of("x"));
    record.put("counters", Map.of("k", 3));
    record.put("location", location);
    record.put("day", new Date(86_400_000L * 3 + 5));
    record.put("at", new Date(1_000));
    record.put("name", null);
    byte[] fromTree = all.encoder().encodeValue(record);
    Message m = DynamicMessage.parseFrom(all.descriptor(), fromTree);
    assertEquals(7, get(m, "small"));
    assertEquals(1L << 40, get(m, "big"));
    assertEquals(2.5, get(m, "score"));
    assertEquals(3, get(m, "day"));
    assertEquals(1_000_000L, get(m, "at"));
    assertFalse(m.hasField(all.descriptor().findFieldByName("name")));

    byte[] fromJson = all.encoder().encode(json("""
        {"id": "v1", "small": 7, "big": 1099511627776, "ratio": 0.5, "score": 2.5, "active": false, "payload": "CQ==",
         "tags": ["x"], "counters": {"k": 3}, "location": {"lat": 52.5, "label": "Berlin"}, "day": 3, "at": 1000000}
        """));
    assertArrayEquals(fromJson, fromTree, "the two front ends write the same bytes");

    EncodeException e = assertThrows(EncodeException.class,
        () -> all.encoder().encodeValue(Map.of("id", "x", "small", "seven")));
    assertEquals("small", e.field());
    e = assertThrows(EncodeException.class, () -> all.encoder().encodeValue(Map.of("id", "x", "small", 3_000_000_000L)));
    assertTrue(e.reason().contains("out of range for int32"), e.reason());
  }

  @Test
  void hugeNumbersAreJudgedFromTheirTextAndRefused() {
    // Range from digits and exponent, before any BigInteger/BigDecimal: these would take seconds
    // of CPU (or all memory) if expanded. The time itself is measured in the bench module.
    assertRejected(station, "{\"device_name\":\"e\",\"temp\":1e1000000}", "temp", "1e1000000 is out of range for int32");
    assertRejected(station, "{\"temp\":9e999999999}", "temp", "9e999999999 is out of range for int32");
    assertRejected(station, "{\"humidity\":-9e999999999}", "humidity", "out of range for int64");
    assertRejected(station, "{\"temp\":1e-999999999}", "temp", "(it has a fraction)");
    assertRejected(station, "{\"temp\":" + "9".repeat(900) + "}", "temp", "out of range for int32");
    assertRejected(all, "{\"id\": \"x\", \"score\": 1e400}", "score", "1e400 is out of range for double");
    assertRejected(all, "{\"id\": \"x\", \"huge\": 18446744073709551616}", "huge", "out of range for uint64");
    // Integral forms still work, exactly.
    assertEquals(1000, decodeStation("{\"temp\": 1e3}").getField(station.descriptor().findFieldByName("temp")));
    assertEquals(12, decodeStation("{\"temp\": 120e-1}").getField(station.descriptor().findFieldByName("temp")));
    assertEquals(0, decodeStation("{\"temp\": 0e999999999}").getField(station.descriptor().findFieldByName("temp")));
    assertEquals(-5, decodeStation("{\"temp\": -0.5e1}").getField(station.descriptor().findFieldByName("temp")));
  }

  @Test
  void errorsEchoAtMostAFewDozenCharactersOfInput() {
    String longName = "k".repeat(100_000);
    String longValue = "v".repeat(100_000);
    for (String json : List.of(
        "{\"" + longName + "\": 1}",
        "{\"temp\": \"" + longValue + "\"}",
        "{\"temp\": " + "1".repeat(990) + ".5}",
        "{\"temp\": 1" + "0".repeat(990) + "e-3}",
        "{\"device_name\": " + "7".repeat(990) + "}",
        "{\"temp\": tru" + "e".repeat(5000) + "}")) {
      EncodeException e = assertThrows(EncodeException.class, () -> station.encoder().encode(json(json)));
      assertTrue(e.getMessage().length() < 300, e.getMessage().length() + " characters: " + e.getMessage());
    }
    EncodeException map = assertThrows(EncodeException.class, () -> all.encoder().encode(
        json("{\"id\": \"x\", \"labels\": {\"" + longName + "\": \"7\"}}")));
    assertTrue(map.getMessage().length() < 300, map.getMessage());
    EncodeException tree = assertThrows(EncodeException.class,
        () -> all.encoder().encodeValue(Map.of("id", "x", "small", longValue)));
    assertTrue(tree.getMessage().length() < 300, tree.getMessage());
  }

  @Test
  void datesAreRangeCheckedInEveryForm() {
    assertRejected(all, "{\"id\": \"x\", \"day\": \"+999999999-12-31\"}", "day", "out of range for int32");
    assertRejected(all, "{\"id\": \"x\", \"day\": 2147483648}", "day", "out of range for int32");
    EncodeException e = assertThrows(EncodeException.class,
        () -> all.encoder().encodeValue(Map.of("id", "x", "day", new Date(Long.MAX_VALUE))));
    assertTrue(e.reason().contains("out of range for int32"), e.getMessage());
    e = assertThrows(EncodeException.class,
        () -> all.encoder().encodeValue(Map.of("id", "x", "day", LocalDate.MAX)));
    assertTrue(e.reason().contains("out of range for int32"), e.getMessage());
    e = assertThrows(EncodeException.class,
        () -> all.encoder().encodeValue(Map.of("id", "x", "at", new Date(Long.MAX_VALUE))));
    assertTrue(e.reason().contains("out of range"), e.getMessage());
  }

  @Test
  void fieldNumbersUpToProtobufsMaximumAreWritten() throws Exception {
    String proto = """
        syntax = "proto2";
        package big;
        message Big {
          optional int32 low = 1;
          optional string high = 268435456;
          optional int64 top = 536870911;
          repeated int32 packed_top = 536870910 [packed = true];
        }
        """;
    TableDefinition big = Fixtures.registry(dir.resolve("big"), Fixtures.config("http://x:1", "http://x:2",
        "{\"big\": " + Fixtures.table("main.t.big", "big", "Big", null) + "}"), Map.of("big", proto),
        EncoderOptions.STRICT).find("big").orElseThrow();
    Message m = DynamicMessage.parseFrom(big.descriptor(), big.encoder().encode(json(
        "{\"low\": 1, \"high\": \"h\", \"top\": 7, \"packed_top\": [1, 2]}")));
    assertEquals("h", get(m, "high"));
    assertEquals(7L, get(m, "top"));
    assertEquals(List.of(1, 2), get(m, "packed_top"));
    assertTrue(m.getUnknownFields().asMap().isEmpty());
  }

  @Test
  void narrowColumnTypesFromConfigAreRangeChecked() throws Exception {
    String fields = """
        [{"name": "level", "type": "tinyint", "field_num": 1},
         {"name": "count", "type": "SMALLINT", "field_num": 2},
         {"name": "doc", "type": "variant", "field_num": 3},
         {"name": "seen", "type": "timestamp_ntz", "field_num": 4}]
        """;
    TableDefinition t = Fixtures.registry(dir.resolve("narrow"), Fixtures.config("http://x:1", "http://x:2",
        "{\"narrow\": " + Fixtures.table("main.t.narrow", "narrow", "Narrow", fields) + "}"), Map.of(),
        EncoderOptions.STRICT).find("narrow").orElseThrow();
    assertRejected(t, "{\"level\": 128}", "level", "128 is out of range for TINYINT [-128, 127]");
    assertRejected(t, "{\"count\": -32769}", "count", "out of range for SMALLINT [-32768, 32767]");
    Message m = DynamicMessage.parseFrom(t.descriptor(), t.encoder().encode(json(
        "{\"level\": -128, \"count\": 32767, \"doc\": \"{\\\"a\\\": 1}\", \"seen\": \"1970-01-01T00:00:01\"}")));
    assertEquals(-128, get(m, "level"));
    assertEquals("{\"a\": 1}", get(m, "doc"));
    assertEquals(1_000_000L, get(m, "seen"));
  }

  private static Message decodeStation(String json) {
    try {
      return DynamicMessage.parseFrom(station.descriptor(), station.encoder().encode(json(json)));
    } catch (Exception e) {
      throw new AssertionError(json + ": " + e.getMessage(), e);
    }
  }

  @Test
  void exceptionWithoutFieldNamesOnlyTheTable() {
    EncodeException e = new EncodeException("t", null, "broken").at(4);
    assertEquals("table t, record 4: broken", e.getMessage());
    assertNull(e.field());
  }

  private static void assertRejected(TableDefinition table, String json, String field, String reason) {
    EncodeException e = assertThrows(EncodeException.class, () -> table.encoder().encode(json(json)), json);
    assertEquals(table.key(), e.table());
    assertEquals(field, e.field(), e.getMessage());
    assertTrue(e.reason().contains(reason), "for " + json + ": " + e.getMessage());
  }

  private static Object get(Message m, String field) {
    Descriptor d = m.getDescriptorForType();
    return m.getField(d.findFieldByName(field));
  }

  static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
