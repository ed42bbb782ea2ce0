package dev.zerobus.station.connector;

import static dev.zerobus.station.connector.ConnectHarness.EVENTS;
import static dev.zerobus.station.connector.ConnectHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * A record Zerobus refuses at ingest (it encodes fine, the service says no): it goes to the
 * dead-letter queue with the service's reason, everything around it lands, offsets keep moving.
 */
class SinkRefusedRecordIT extends ConnectClusterTest {

  @Test
  void aRecordTheServiceRefusesGoesToTheDeadLetterQueueAndTheRestLands() throws Exception {
    h.emulator.faults().rejectRecords(EVENTS, "device_name", "poison");
    String topic = "refused";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, 2);
    int n = 2000;
    for (int i = 0; i < n; i++) {
      String id = i == 1234 ? "poison" : "r-" + i;
      producer.send(new ProducerRecord<>(topic, i % 2, null, ConnectHarness.event(id, i)));
    }
    producer.flush();
    producer.close();
    Map<String, String> props = h.connector(topic, 1);
    props.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
    props.put("errors.tolerance", "all");
    props.put("errors.deadletterqueue.topic.name", "refused-dlq");
    props.put("errors.deadletterqueue.topic.replication.factor", "1");
    props.put("errors.deadletterqueue.context.headers.enable", "true");
    long started = System.nanoTime();
    h.start("refused", props, 1);
    h.awaitCommittedToEnd("refused", topic, 2, Duration.ofSeconds(90));
    long elapsedMs = Duration.ofNanos(System.nanoTime() - started).toMillis();

    Set<String> landed = new HashSet<>();
    for (JsonNode row : h.emulator.rowValues(EVENTS)) {
      landed.add(row.get("device_name").asText());
    }
    for (int i = 0; i < n; i++) {
      if (i != 1234) {
        assertTrue(landed.contains("r-" + i), "r-" + i + " landed");
      }
    }
    assertTrue(!landed.contains("poison"), "the refused record never lands");
    ConsumerRecords<byte[], byte[]> dead = h.connect.kafka().consume(1, 30_000, "refused-dlq");
    ConsumerRecord<byte[], byte[]> record = dead.iterator().next();
    assertTrue(new String(record.value(), StandardCharsets.UTF_8).contains("poison"));
    Header why = record.headers().lastHeader("__connect.errors.exception.message");
    String reason = new String(why.value(), StandardCharsets.UTF_8);
    assertTrue(reason.contains("Zerobus refused the record") && reason.contains("device_name")
        && reason.contains("partition 0"), reason);
    System.out.println("POISON-RESULT connector: " + n + " records, 1 refused and dead-lettered, the rest landed,"
        + " offsets committed to the end in " + elapsedMs + " ms");
  }

  @Test
  void withoutToleranceARefusedRecordFailsTheTaskNamingItsOffset() throws Exception {
    h.emulator.faults().rejectRecords(EVENTS, "device_name", "poison");
    String topic = "refused-strict";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, 1);
    for (int i = 0; i < 10; i++) {
      producer.send(new ProducerRecord<>(topic, 0, null, ConnectHarness.event(i == 6 ? "poison" : "s-" + i, i))).get();
    }
    producer.close();
    Map<String, String> props = h.connector(topic, 1);
    props.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
    h.connect.configureConnector("refused-strict", props);
    await(Duration.ofSeconds(90), "the task to fail", () -> "FAILED".equals(h.taskState("refused-strict", 0)));
    String trace = h.taskTrace("refused-strict", 0);
    // The warm-up record is offset 0, so the poison (the 7th produced after it) is offset 7.
    assertTrue(trace.contains("topic refused-strict partition 0 offset 7") && trace.contains("Zerobus refused"),
        trace);
    Long committed = h.committed("refused-strict").get(new TopicPartition(topic, 0));
    assertTrue(committed == null || committed <= 7, "nothing past the refused record is committed: " + committed);
  }
}
