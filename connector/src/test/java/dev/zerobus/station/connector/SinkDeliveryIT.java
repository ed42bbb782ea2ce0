package dev.zerobus.station.connector;

import static dev.zerobus.station.connector.ConnectHarness.EVENTS;
import static dev.zerobus.station.connector.ConnectHarness.TYPED;
import static dev.zerobus.station.connector.ConnectHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.table.TableRegistry;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;

/** The connector in a real Connect worker, against the emulator: volume, every value form, bad records, bad credentials. */
class SinkDeliveryIT extends ConnectClusterTest {
  @Test
  void hundredThousandRecordsOverThreePartitionsAndTwoTasksLandExactlyOnce() throws Exception {
    String topic = "volume";
    int partitions = 3;
    int n = 100_000;
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, partitions);
    Map<String, String> props = h.connector(topic, 2);
    props.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
    props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter"); // schemaless: Map values
    props.put("value.converter.schemas.enable", "false");
    props.put(ZerobusSinkConfig.MAP_INTEGERS, "accept"); // our ids are small; see integersFromASchemaless... in ZerobusSinkTaskTest
    h.start("volume", props, 2);
    long t0 = System.nanoTime();
    ConnectHarness.produce(producer, topic, partitions, 0, n);
    producer.close();
    int expected = n + partitions; // and one warm-up record per partition
    await(Duration.ofSeconds(120), expected + " rows", () -> h.emulator.rowCount(EVENTS) >= expected);
    double seconds = (System.nanoTime() - t0) / 1e9;
    h.awaitCommittedToEnd("volume", topic, partitions, Duration.ofSeconds(30));

    List<JsonNode> rows = h.emulator.rowValues(EVENTS);
    assertEquals(expected, rows.size(), "every record exactly once");
    Set<String> ids = new HashSet<>();
    Map<Integer, Set<Long>> offsets = new HashMap<>();
    for (JsonNode r : rows) {
      ids.add(r.get("device_name").asText());
      offsets.computeIfAbsent(r.get("_kafka_partition").asInt(), p -> new HashSet<>()).add(r.get("_kafka_offset").asLong());
      if (r.get("device_name").asText().equals("k-4242")) {
        assertEquals(4242 % 50, r.get("temp").asInt());
        assertEquals(4242, r.get("humidity").asLong());
        assertEquals(topic, r.get("_kafka_topic").asText());
      }
    }
    assertEquals(expected, ids.size());
    for (int p = 0; p < partitions; p++) {
      assertEquals(h.endOffset(topic, p), offsets.get(p).size(), "partition " + p + " has every offset");
    }
    System.out.printf("CONNECTOR-RESULT no faults: produced %d, landed %d, duplicates %d, %.0f records/s end to end%n",
        expected, rows.size(), rows.size() - ids.size(), n / seconds);

    // the task metrics are in JMX, beside the worker's own
    MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    Set<ObjectName> names = jmx.queryNames(new ObjectName("kafka.connect:type=plugins,connector=volume,table=events,*"), null);
    assertEquals(2, names.size(), "one per task: " + names);
    long acked = 0;
    long lastAckAge = Long.MAX_VALUE;
    for (ObjectName name : names) { // a task that joined late may have had no partition to write
      acked += ((Number) jmx.getAttribute(name, "records-acked-total")).longValue();
      long age = ((Number) jmx.getAttribute(name, "last-ack-age-ms")).longValue();
      lastAckAge = age >= 0 ? Math.min(lastAckAge, age) : lastAckAge;
      assertEquals(0L, ((Number) jmx.getAttribute(name, "ack-lag-records")).longValue());
    }
    assertEquals(expected, acked);
    assertTrue(lastAckAge < 60_000, "an acknowledgement arrived recently");
  }

  @Test
  void everyValueFormLandsTheSameRow() throws Exception {
    // Struct through JsonConverter with schemas (as Avro/Protobuf/JSON Schema converters also give Structs)
    Schema point = SchemaBuilder.struct().field("lat", Schema.FLOAT64_SCHEMA).field("lon", Schema.FLOAT64_SCHEMA).build();
    Schema schema = SchemaBuilder.struct().name("Typed")
        .field("id", Schema.STRING_SCHEMA)
        .field("ts", Timestamp.SCHEMA)
        .field("day", Date.SCHEMA)
        .field("price", Decimal.schema(2))
        .field("amount", Decimal.schema(3))
        .field("flag", Schema.BOOLEAN_SCHEMA)
        .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
        .field("location", point)
        .build();
    Instant ts = Instant.parse("2026-11-25T10:15:30.123Z");
    Struct struct = new Struct(schema).put("id", "struct")
        .put("ts", java.util.Date.from(ts))
        .put("day", java.util.Date.from(LocalDate.parse("2026-11-25").atStartOfDay().toInstant(ZoneOffset.UTC)))
        .put("price", new BigDecimal("19.99"))
        .put("amount", new BigDecimal("1234.567"))
        .put("flag", true)
        .put("tags", List.of("a", "b"))
        .put("location", new Struct(point).put("lat", 52.5).put("lon", 13.4));
    JsonConverter withSchemas = new JsonConverter();
    withSchemas.configure(Map.of("schemas.enable", "true"), false);
    byte[] structJson = withSchemas.fromConnectData("form-struct", schema, struct);

    String plain = "{\"id\":\"%s\",\"ts\":\"2026-11-25T10:15:30.123Z\",\"day\":\"2026-11-25\",\"price\":19.99,"
        + "\"amount\":\"1234.567\",\"flag\":true,\"tags\":[\"a\",\"b\"],\"location\":{\"lat\":52.5,\"lon\":13.4}}";
    TableRegistry registry = TableRegistry.build(StationConfig.load(h.configFile, Env.of(Map.of())), EncoderOptions.STRICT);
    byte[] protobuf = registry.find("typed").orElseThrow().encoder()
        .encode(plain.formatted("protobuf").getBytes(StandardCharsets.UTF_8));
    Descriptor d = registry.find("typed").orElseThrow().descriptor();
    assertEquals("protobuf", DynamicMessage.parseFrom(d, protobuf).getField(d.findFieldByName("id")));

    Map<String, Map<String, String>> forms = new HashMap<>();
    forms.put("form-struct", Map.of("value.converter", "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable", "true"));
    forms.put("form-map", Map.of("value.converter", "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable", "false", ZerobusSinkConfig.MAP_INTEGERS, "accept"));
    forms.put("form-string", Map.of("value.converter", "org.apache.kafka.connect.storage.StringConverter"));
    forms.put("form-bytes", Map.of("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"));
    for (Map.Entry<String, Map<String, String>> f : forms.entrySet()) {
      KafkaProducer<byte[], byte[]> producer = h.topic(f.getKey(), 1);
      if (f.getKey().equals("form-struct")) {
        producer.send(new ProducerRecord<>(f.getKey(), 0, null, structJson)).get();
      } else if (f.getKey().equals("form-bytes")) {
        producer.send(new ProducerRecord<>(f.getKey(), 0, null, plain.formatted("bytes-json").getBytes(StandardCharsets.UTF_8))).get();
        producer.send(new ProducerRecord<>(f.getKey(), 0, null, protobuf)).get();
      } else {
        producer.send(new ProducerRecord<>(f.getKey(), 0, null,
            plain.formatted(f.getKey().substring(5)).getBytes(StandardCharsets.UTF_8))).get();
      }
      producer.close();
      Map<String, String> props = h.connector(f.getKey(), 1);
      props.putAll(f.getValue());
      props.put(ZerobusSinkConfig.TOPIC_TABLES, f.getKey() + ":typed");
      props.put("errors.tolerance", "all"); // the warm-up record is not a Typed row: dead-lettered (logged)
      h.start(f.getKey(), props, 1);
    }
    await(Duration.ofSeconds(60), "5 typed rows", () -> h.emulator.rowCount(TYPED) >= 5);
    for (String form : forms.keySet()) {
      h.awaitCommittedToEnd(form, form, 1, Duration.ofSeconds(30)); // everything read was handled: no late rows
    }
    List<JsonNode> rows = h.emulator.rowValues(TYPED);
    Set<String> ids = new HashSet<>();
    for (JsonNode r : rows) {
      String id = r.get("id").asText();
      ids.add(id);
      String where = "row " + id + ": " + r;
      assertEquals(ts.toEpochMilli() * 1000, r.get("ts").asLong(), where);
      assertEquals(LocalDate.parse("2026-11-25").toEpochDay(), r.get("day").asLong(), where);
      assertEquals(19.99, r.get("price").asDouble(), where);
      assertEquals(new BigDecimal("1234.567"), new BigDecimal(r.get("amount").asText()), where);
      assertTrue(r.get("flag").asBoolean(), where);
      assertEquals("b", r.get("tags").get(1).asText(), where);
      assertEquals(13.4, r.get("location").get("lon").asDouble(), where);
    }
    assertEquals(Set.of("struct", "map", "string", "bytes-json", "protobuf"), ids);
    assertEquals(5, rows.size());
  }

  @Test
  void aTableDeclaredOnlyInTheCatalogIsWritten() throws Exception {
    String topic = "catalog-only";
    java.nio.file.Path config = java.nio.file.Files.writeString(dir.resolve("catalog-only.json"),
        "{\"databricks\": {\"server_endpoint\": \"" + h.emulator.zerobusEndpoint() + "\", \"workspace_url\": \""
            + h.emulator.workspaceUrl() + "\"}, \"tables\": {\"from_catalog\": {\"table_name\": \""
            + ConnectHarness.FROM_CATALOG + "\"}}}");
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, 1);
    Map<String, String> props = h.connector(topic, 1);
    props.put(ZerobusSinkConfig.CONFIG_FILE, config.toString());
    props.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":from_catalog");
    props.put(ZerobusSinkConfig.METADATA_COLUMNS, "offset:_kafka_offset");
    h.start("catalog-only", props, 1);
    ConnectHarness.produce(producer, topic, 1, 0, 20);
    producer.close();
    await(Duration.ofSeconds(60), "21 rows", () -> h.emulator.rowCount(ConnectHarness.FROM_CATALOG) >= 21);
    JsonNode row = h.emulator.rowValues(ConnectHarness.FROM_CATALOG).stream()
        .filter(r -> r.get("device_name").asText().equals("k-7")).findFirst().orElseThrow();
    assertEquals(7, row.get("temp").asInt());
    assertEquals(7, row.get("humidity").asLong());
  }

  @Test
  void badRecordsGoToTheDeadLetterQueueWithTheReason() throws Exception {
    String topic = "mixed";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, 1);
    List<String> bad = List.of(
        "{\"device_name\":\"bad-type\",\"temp\":\"warm\"}",
        "{\"device_name\":\"bad-field\",\"colour\":\"red\"}",
        "{\"device_name\":\"bad-json\",",
        "{\"device_name\":\"bad-range\",\"temp\":3000000000}");
    for (int i = 0; i < 100; i++) {
      String v = i % 25 == 7 ? bad.get(i / 25) : new String(ConnectHarness.event("ok-" + i, i), StandardCharsets.UTF_8);
      producer.send(new ProducerRecord<>(topic, 0, null, v.getBytes(StandardCharsets.UTF_8))).get();
    }
    producer.send(new ProducerRecord<>(topic, 0, "tombstone".getBytes(StandardCharsets.UTF_8), null)).get();
    producer.close();
    Map<String, String> props = h.connector(topic, 1);
    props.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
    props.put("errors.tolerance", "all");
    props.put("errors.deadletterqueue.topic.name", "mixed-dlq");
    props.put("errors.deadletterqueue.topic.replication.factor", "1");
    props.put("errors.deadletterqueue.context.headers.enable", "true");
    h.start("dlq", props, 1);
    await(Duration.ofSeconds(60), "97 rows", () -> h.emulator.rowCount(EVENTS) >= 97);
    h.awaitCommittedToEnd("dlq", topic, 1, Duration.ofSeconds(30));
    assertEquals(97, h.emulator.rowCount(EVENTS), "96 good records and the warm-up one; the tombstone is skipped");

    ConsumerRecords<byte[], byte[]> dead = h.connect.kafka().consume(4, 30_000, "mixed-dlq");
    Map<String, String> reasons = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      Header h1 = r.headers().lastHeader("__connect.errors.exception.message");
      reasons.put(new String(r.value(), StandardCharsets.UTF_8), new String(h1.value(), StandardCharsets.UTF_8));
    }
    assertEquals(4, reasons.size());
    assertTrue(reasons.get(bad.get(0)).contains("field 'temp'") && reasons.get(bad.get(0)).contains("offset 8"),
        reasons.get(bad.get(0)));
    assertTrue(reasons.get(bad.get(1)).contains("colour"), reasons.get(bad.get(1)));
    assertTrue(reasons.get(bad.get(3)).contains("temp"), reasons.get(bad.get(3)));
  }

  @Test
  void withoutToleranceABadRecordFailsTheTaskNamingWhereAndWhy() throws Exception {
    String topic = "strict";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, 1);
    producer.send(new ProducerRecord<>(topic, 0, null, "{\"device_name\":\"x\",\"temp\":1.5}".getBytes(StandardCharsets.UTF_8))).get();
    producer.close();
    Map<String, String> props = h.connector(topic, 1);
    props.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
    h.connect.configureConnector("strict", props);
    await(Duration.ofSeconds(60), "the task to fail", () -> "FAILED".equals(h.taskState("strict", 0)));
    String trace = h.taskTrace("strict", 0);
    assertTrue(trace.contains("topic strict partition 0 offset 1") && trace.contains("field 'temp'")
        && trace.contains("errors.tolerance=all"), trace);
    h.awaitCommittedToEnd("strict", topic, 0, Duration.ofSeconds(1)); // trivially: no partition asked
    assertEquals(Long.valueOf(1), h.committed("strict").getOrDefault(new org.apache.kafka.common.TopicPartition(topic, 0), 1L),
        "nothing past the bad record is committed");
  }

  @Test
  void wrongCredentialsFailTheTaskWithTheCause() throws Exception {
    String topic = "denied";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, 1);
    producer.close();
    Map<String, String> props = h.connector(topic, 1);
    props.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
    props.put(ZerobusSinkConfig.CLIENT_SECRET, "wrong");
    h.connect.configureConnector("denied", props);
    await(Duration.ofSeconds(90), "the task to fail", () -> "FAILED".equals(h.taskState("denied", 0)));
    String trace = h.taskTrace("denied", 0);
    assertTrue(trace.contains("will not take them on retry") && !trace.contains("wrong\""), trace);
    System.out.println("AUTH-FAILURE " + trace.lines().filter(l -> l.contains("will not take them")).findFirst().orElse(""));
    assertTrue(h.committed("denied").isEmpty() || h.committed("denied").values().stream().allMatch(o -> o == 0L),
        "nothing committed: " + h.committed("denied"));
  }
}
