package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import dev.zerobus.station.connector.ZerobusSinkConfig.MetadataKind;
import dev.zerobus.station.connector.ZerobusSinkConfig.ValueFormat;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordConverterTest {
  @TempDir
  static Path dir;
  static TableRegistry registry;
  static TableDefinition typed;
  static TableDefinition events;

  static final Schema POINT = SchemaBuilder.struct().name("Point")
      .field("lat", Schema.FLOAT64_SCHEMA).field("lon", Schema.FLOAT64_SCHEMA).build();
  static final Schema TYPED = SchemaBuilder.struct().name("Typed")
      .field("id", Schema.STRING_SCHEMA)
      .field("ts", Timestamp.SCHEMA)
      .field("day", Date.SCHEMA)
      .field("price", Decimal.schema(2))
      .field("amount", Decimal.schema(3))
      .field("flag", Schema.OPTIONAL_BOOLEAN_SCHEMA)
      .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
      .field("payload", Schema.OPTIONAL_BYTES_SCHEMA)
      .field("location", POINT)
      .field("counters", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build())
      .field("minute_of_day", Time.SCHEMA)
      .build();

  @BeforeAll
  static void tables() {
    Path config = TestTables.write(dir, "http://127.0.0.1:1", "http://127.0.0.1:2");
    registry = TableRegistry.build(StationConfig.load(config, Env.of(Map.of())), EncoderOptions.STRICT);
    typed = registry.find("typed").orElseThrow();
    events = registry.find("events").orElseThrow();
  }

  private static SinkRecord record(Schema schema, Object value) {
    return new SinkRecord("topic-a", 2, Schema.STRING_SCHEMA, "key-7", schema, value, 41L, 1_700_000_000_123L,
        org.apache.kafka.common.record.TimestampType.CREATE_TIME);
  }

  private static DynamicMessage decode(TableDefinition t, byte[] bytes) throws Exception {
    return DynamicMessage.parseFrom(t.descriptor(), bytes);
  }

  private static Object field(DynamicMessage m, String name) {
    return m.getField(m.getDescriptorForType().findFieldByName(name));
  }

  @Test
  void structWithLogicalTypes() throws Exception {
    Instant at = Instant.parse("2026-11-25T10:15:30.123Z");
    Struct v = new Struct(TYPED)
        .put("id", "s-1")
        .put("ts", java.util.Date.from(at))
        .put("day", java.util.Date.from(LocalDate.parse("2026-11-25").atStartOfDay().toInstant(java.time.ZoneOffset.UTC)))
        .put("price", new BigDecimal("19.99"))
        .put("amount", new BigDecimal("123456789012.345"))
        .put("flag", true)
        .put("tags", List.of("a", "b"))
        .put("payload", new byte[] {1, 2, 3})
        .put("location", new Struct(POINT).put("lat", 52.5).put("lon", 13.4))
        .put("counters", Map.of("x", 5L))
        .put("minute_of_day", new java.util.Date(3_600_000L));
    RecordConverter c = new RecordConverter(ValueFormat.AUTO, Map.of());
    DynamicMessage m = decode(typed, c.convert(record(TYPED, v), typed));
    assertEquals("s-1", field(m, "id"));
    assertEquals(at.toEpochMilli() * 1000, field(m, "ts"));
    assertEquals((int) LocalDate.parse("2026-11-25").toEpochDay(), field(m, "day"));
    assertEquals(19.99, field(m, "price"));
    assertEquals("123456789012.345", field(m, "amount"));
    assertEquals(true, field(m, "flag"));
    assertEquals(List.of("a", "b"), field(m, "tags"));
    assertEquals(ByteString.copyFrom(new byte[] {1, 2, 3}), field(m, "payload"));
    DynamicMessage loc = (DynamicMessage) field(m, "location");
    assertEquals(52.5, field(loc, "lat"));
    assertEquals(3_600_000, field(m, "minute_of_day"));
    assertEquals(1, ((List<?>) field(m, "counters")).size());
  }

  @Test
  void schemalessMapStringAndBytesJsonGiveTheSameRecord() throws Exception {
    RecordConverter c = new RecordConverter(ValueFormat.AUTO, Map.of());
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("device_name", "d1");
    map.put("temp", 21L); // JsonConverter gives Long for every integer
    map.put("humidity", 40L);
    String json = "{\"device_name\":\"d1\",\"temp\":21,\"humidity\":40}";
    byte[] fromMap = c.convert(record(null, map), events);
    byte[] fromString = c.convert(record(Schema.STRING_SCHEMA, json), events);
    byte[] fromBytes = c.convert(record(Schema.BYTES_SCHEMA, (" \n" + json).getBytes(StandardCharsets.UTF_8)), events);
    assertEquals(decode(events, fromMap), decode(events, fromString));
    assertEquals(decode(events, fromMap), decode(events, fromBytes));
    assertEquals(21, field(decode(events, fromMap), "temp"));
  }

  @Test
  void protobufBytesPassThroughAfterACheck() throws Exception {
    Descriptor d = events.descriptor();
    byte[] proto = DynamicMessage.newBuilder(d).setField(d.findFieldByName("device_name"), "p1")
        .setField(d.findFieldByName("temp"), 7).build().toByteArray();
    RecordConverter c = new RecordConverter(ValueFormat.AUTO, Map.of());
    assertArrayEquals(proto, c.convert(record(Schema.BYTES_SCHEMA, proto), events));
    RecordConverter strict = new RecordConverter(ValueFormat.PROTOBUF, Map.of());
    assertArrayEquals(proto, strict.convert(record(Schema.BYTES_SCHEMA, proto), events));

    byte[] stray = new byte[] {(byte) 0xF8, 0x01, 0x01}; // field 31, varint: not in the table
    EncodeException e = assertThrows(EncodeException.class, () -> c.convert(record(Schema.BYTES_SCHEMA, stray), events));
    assertTrue(e.getMessage().contains("[31]"), e.getMessage());
    EncodeException broken = assertThrows(EncodeException.class,
        () -> c.convert(record(Schema.BYTES_SCHEMA, new byte[] {0x0A, 0x7F}), events));
    assertTrue(broken.getMessage().contains("neither JSON nor a valid protobuf"), broken.getMessage());
  }

  @Test
  void metadataColumnsAreAddedToEveryForm() throws Exception {
    Map<MetadataKind, String> meta = new LinkedHashMap<>();
    meta.put(MetadataKind.TOPIC, "_kafka_topic");
    meta.put(MetadataKind.PARTITION, "_kafka_partition");
    meta.put(MetadataKind.OFFSET, "_kafka_offset");
    meta.put(MetadataKind.KEY, "no_such_column"); // skipped: the table has no such column
    RecordConverter c = new RecordConverter(ValueFormat.AUTO, meta);
    String json = "{\"device_name\":\"d1\",\"temp\":21}";
    for (Object value : List.of(json, json.getBytes(StandardCharsets.UTF_8), Map.of("device_name", "d1", "temp", 21))) {
      DynamicMessage m = decode(events, c.convert(record(null, value), events));
      assertEquals("d1", field(m, "device_name"));
      assertEquals("topic-a", field(m, "_kafka_topic"));
      assertEquals(2, field(m, "_kafka_partition"));
      assertEquals(41L, field(m, "_kafka_offset"));
    }
    // a table without the columns is left alone
    DynamicMessage t = decode(typed, c.convert(record(null, Map.of("id", "x")), typed));
    assertEquals("x", field(t, "id"));
  }

  @Test
  void badValuesNameTableAndField() {
    RecordConverter c = new RecordConverter(ValueFormat.AUTO, Map.of());
    EncodeException wrongType = assertThrows(EncodeException.class,
        () -> c.convert(record(null, Map.of("temp", "warm")), events));
    assertTrue(wrongType.getMessage().contains("events") && wrongType.getMessage().contains("temp"),
        wrongType.getMessage());
    EncodeException unknown = assertThrows(EncodeException.class,
        () -> c.convert(record(Schema.STRING_SCHEMA, "{\"colour\":\"red\"}"), events));
    assertTrue(unknown.getMessage().contains("colour"), unknown.getMessage());
    EncodeException notJson = assertThrows(EncodeException.class,
        () -> c.convert(record(Schema.STRING_SCHEMA, "{\"temp\": 1"), events));
    assertFalse(notJson.getMessage().isBlank());
    EncodeException wrongForm = assertThrows(EncodeException.class,
        () -> c.convert(record(Schema.INT64_SCHEMA, 5L), events));
    assertTrue(wrongForm.getMessage().contains("java.lang.Long"), wrongForm.getMessage());
  }
}
