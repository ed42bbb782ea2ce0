package dev.zerobus.station.connector;

import static dev.zerobus.station.connector.ConnectHarness.EVENTS;
import static dev.zerobus.station.connector.ConnectHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * At-least-once under faults: whatever goes wrong (streams dropped, acks withheld, the Zerobus
 * side restarted, a task restarted, a worker added), every produced record lands, and while it
 * happens the committed offsets never pass a record that has not landed. Prints the duplicates.
 */
class SinkFaultIT extends ConnectClusterTest {
  static final int PARTITIONS = 3;
  static final int RECORDS = 20_000;

  /** Checks, over and over while a scenario runs, that no committed offset passes a record that has not landed. */
  static final class CommitWatch implements AutoCloseable {
    final List<String> violations = new CopyOnWriteArrayList<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    volatile int checks;
    final Thread thread;

    CommitWatch(String connector, String topic) {
      thread = new Thread(() -> {
        while (running.get()) {
          try {
            Map<TopicPartition, Long> committed = h.committed(connector);
            for (Map.Entry<TopicPartition, Long> e : committed.entrySet()) {
              Set<Long> landed = h.landedOffsets(topic, e.getKey().partition());
              for (long o = 0; o < e.getValue(); o++) {
                if (!landed.contains(o)) {
                  violations.add(e.getKey() + " committed " + e.getValue() + " but offset " + o + " has not landed");
                  break;
                }
              }
            }
            checks++;
            Thread.sleep(250);
          } catch (InterruptedException stop) {
            return;
          } catch (Exception e) {
            // the group may not exist yet
          }
        }
      }, "commit-watch");
      thread.start();
    }

    @Override
    public void close() {
      running.set(false);
      thread.interrupt();
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Map<String, String> props(String topic) {
    Map<String, String> p = h.connector(topic, 2);
    p.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
    return p;
  }

  /** Every produced id landed; returns the duplicates. */
  private long verify(String scenario, String connector, String topic, int ids, CommitWatch watch) throws Exception {
    int produced = ids + PARTITIONS; // and the warm-up records
    await(Duration.ofSeconds(180), produced + " distinct rows", () -> distinct(topic).size() >= produced);
    h.awaitCommittedToEnd(connector, topic, PARTITIONS, Duration.ofSeconds(60));
    watch.close();
    List<JsonNode> rows = rows(topic);
    Set<String> landed = distinct(topic);
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < ids; i++) {
      if (!landed.contains("k-" + i)) {
        missing.add("k-" + i);
      }
    }
    assertTrue(missing.isEmpty(), "missing " + missing.size() + ": " + missing.subList(0, Math.min(10, missing.size())));
    assertEquals(produced, landed.size());
    assertTrue(watch.violations.isEmpty(), watch.violations.toString());
    assertTrue(watch.checks > 0);
    long duplicates = rows.size() - landed.size();
    // The dedup recipe of docs/connector.md: one row per (topic, partition, offset), the same row for each copy.
    Map<String, String> byRecord = new java.util.HashMap<>();
    for (JsonNode r : rows) {
      String key = r.path("_kafka_topic").asText() + "/" + r.path("_kafka_partition").asInt() + "/"
          + r.path("_kafka_offset").asLong();
      String previous = byRecord.putIfAbsent(key, r.toString());
      assertTrue(previous == null || previous.equals(r.toString()), "copies of " + key + " differ");
    }
    assertEquals(produced, byRecord.size(), "deduplicated by (topic, partition, offset)");
    System.out.printf("CONNECTOR-FAULT %s: produced %d, landed %d, duplicates %d, commit checks %d, violations 0%n",
        scenario, produced, rows.size(), duplicates, watch.checks);
    return duplicates;
  }

  private static List<JsonNode> rows(String topic) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : h.emulator.rowValues(EVENTS)) {
      if (topic.equals(r.path("_kafka_topic").asText())) {
        out.add(r);
      }
    }
    return out;
  }

  private static Set<String> distinct(String topic) {
    Set<String> ids = new HashSet<>();
    for (JsonNode r : rows(topic)) {
      ids.add(r.get("device_name").asText());
    }
    return ids;
  }

  @Test
  void streamDroppedMidRun() throws Exception {
    String topic = "f-drop";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, PARTITIONS);
    h.emulator.faults().dropStreamAfter(EVENTS, 5_000);
    h.start("f-drop", props(topic), 2);
    try (CommitWatch watch = new CommitWatch("f-drop", topic)) {
      ConnectHarness.produce(producer, topic, PARTITIONS, 0, RECORDS);
      producer.close();
      verify("stream dropped after 5000 rows", "f-drop", topic, RECORDS, watch);
    }
  }

  @Test
  void acksWithheldThenZerobusRestarts() throws Exception {
    String topic = "f-withhold";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, PARTITIONS);
    Map<String, String> props = props(topic);
    props.put(ZerobusSinkConfig.FLUSH_TIMEOUT_MS, "200"); // commits wait for acks; not long, since none come
    h.start("f-withhold", props, 2);
    try (CommitWatch watch = new CommitWatch("f-withhold", topic)) {
      int half = RECORDS / 2;
      ConnectHarness.produce(producer, topic, PARTITIONS, 0, half);
      await(Duration.ofSeconds(60), "first half", () -> distinct(topic).size() >= half + PARTITIONS);
      h.awaitCommittedToEnd("f-withhold", topic, PARTITIONS, Duration.ofSeconds(30));
      Map<TopicPartition, Long> before = h.committed("f-withhold");

      h.emulator.faults().withholdAcks(EVENTS);
      ConnectHarness.produce(producer, topic, PARTITIONS, half, RECORDS);
      producer.close();
      await(Duration.ofSeconds(60), "second half written (not acknowledged)", () -> distinct(topic).size() >= RECORDS + PARTITIONS);
      // Watch the committed offsets through a dozen more checks (several of the worker's 500 ms commit rounds).
      int seen = watch.checks;
      await(Duration.ofSeconds(60), "a dozen commit checks", () -> watch.checks >= seen + 12);
      assertEquals(before, h.committed("f-withhold"), "no commit while Zerobus acknowledges nothing");

      h.emulator.restart(Duration.ofSeconds(1));
      h.emulator.faults().clear();
      verify("acks withheld, then Zerobus restarted", "f-withhold", topic, RECORDS, watch);
    }
  }

  @Test
  void taskRestartedMidRun() throws Exception {
    String topic = "f-restart";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, PARTITIONS);
    h.emulator.faults().delayAcks(EVENTS, Duration.ofMillis(200)); // keep records in flight when the task goes
    h.start("f-restart", props(topic), 2);
    try (CommitWatch watch = new CommitWatch("f-restart", topic)) {
      Thread producing = new Thread(() -> {
        try {
          ConnectHarness.produce(producer, topic, PARTITIONS, 0, RECORDS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      producing.start();
      await(Duration.ofSeconds(60), "a quarter landed", () -> h.emulator.rowCount(EVENTS) >= RECORDS / 4);
      h.connect.restartTask("f-restart", 0);
      h.connect.restartTask("f-restart", 1);
      producing.join();
      producer.close();
      h.emulator.faults().clear();
      verify("both tasks restarted mid-run", "f-restart", topic, RECORDS, watch);
    }
  }

  @Test
  void workerAddedMidRunRebalances() throws Exception {
    String topic = "f-rebalance";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, PARTITIONS);
    h.emulator.faults().delayAcks(EVENTS, Duration.ofMillis(200));
    h.start("f-rebalance", props(topic), 2);
    try (CommitWatch watch = new CommitWatch("f-rebalance", topic)) {
      java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger stopAt = new java.util.concurrent.atomic.AtomicInteger(Integer.MAX_VALUE);
      Thread producing = new Thread(() -> {
        try { // a steady stream until well after the rebalance, so records are in flight while it happens
          while (sent.get() < stopAt.get()) {
            int from = sent.get();
            ConnectHarness.produce(producer, topic, PARTITIONS, from, from + 500);
            sent.addAndGet(500);
            Thread.sleep(100);
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      producing.start();
      await(Duration.ofSeconds(60), "some rows landed", () -> h.emulator.rowCount(EVENTS) >= 2_000);
      h.connect.addWorker();
      h.connect.assertions().assertExactlyNumWorkersAreUp(2, "second worker did not join");
      await(Duration.ofSeconds(90), "the tasks to spread over both workers", () -> {
        Set<String> workers = new HashSet<>();
        try {
          h.connect.connectorStatus("f-rebalance").tasks().forEach(t -> workers.add(t.workerId()));
        } catch (RuntimeException e) {
          return false;
        }
        return workers.size() == 2;
      });
      int atRebalance = sent.get();
      stopAt.set(Math.max(RECORDS, atRebalance + 2_000));
      producing.join();
      producer.close();
      h.emulator.faults().clear();
      assertTrue(sent.get() > atRebalance, "records were still produced after the rebalance");
      verify("a second worker joined mid-run (tasks moved at ~" + atRebalance + " records)", "f-rebalance", topic,
          sent.get(), watch);
    }
  }

  /** Many faults in one long run: a stream dropped every 40,000 rows, close signals, a task restart. */
  @Test
  @org.junit.jupiter.api.Tag("slow")
  void soakUnderRepeatedFaults() throws Exception {
    String topic = "f-soak";
    int records = 300_000;
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, PARTITIONS);
    h.start("f-soak", props(topic), 2);
    AtomicBoolean done = new AtomicBoolean();
    Thread faults = new Thread(() -> {
      long next = 40_000;
      int round = 0;
      while (!done.get()) {
        if (h.emulator.rowCount(EVENTS) >= next) {
          if (round++ % 2 == 0) {
            h.emulator.faults().dropStreamAfter(EVENTS, 1_000);
          } else {
            h.emulator.sendCloseSignal(EVENTS, Duration.ofMillis(500));
          }
          next += 40_000;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "faults");
    faults.start();
    try (CommitWatch watch = new CommitWatch("f-soak", topic)) {
      ConnectHarness.produce(producer, topic, PARTITIONS, 0, records / 2);
      h.connect.restartTask("f-soak", 0);
      ConnectHarness.produce(producer, topic, PARTITIONS, records / 2, records);
      producer.close();
      verify("soak: 300,000 records, a fault every 40,000 rows, a task restart", "f-soak", topic, records, watch);
    } finally {
      done.set(true);
      faults.join();
    }
  }
}
