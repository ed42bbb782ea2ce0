package dev.zerobus.station.connector;

import static dev.zerobus.station.connector.ConnectHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Zerobus side dies the hard way (kill -9 of the emulator process) while the connector drains a
 * topic, stays down a while and comes back on the same ports; several times in one run, since what
 * goes wrong here goes wrong only sometimes. The connector runs from plugin.path, so the Zerobus
 * SDK's native threads cannot see the plugin's classes (see docs/connector.md, "Class loading").
 * Every record must land, no class-loading error may appear in any log, and rows must flow again
 * soon after the emulator is back. Prints the recovery time of each round.
 */
class EmulatorKillIT {
  static final int PARTITIONS = 3;
  static final int ROUNDS = Integer.getInteger("kill.rounds", 3);
  /**
   * Outages alternate: 5 s, which the SDK's own stream-creation retries (3 x 2 s by default) usually
   * ride out, and 9 s, which outlasts them, so a stream creation fails while the emulator is down.
   */
  static final List<Duration> DOWNTIMES = List.of(Duration.ofSeconds(5), Duration.ofSeconds(9));
  /** Generous, for a busy 2-core machine; the measured times are printed (CONNECTOR-KILL). */
  static final Duration RECOVERY_LIMIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @Test
  void everyRecordLandsAcrossRepeatedKillsOfTheZerobusProcess() throws Exception {
    ClassLoadingWatch watch = new ClassLoadingWatch();
    EmulatorProcess emulator = new EmulatorProcess(dir);
    EmbeddedConnectCluster connect = null;
    ConnectHarness.PacedProducer producer = null;
    List<Duration> recoveries = new ArrayList<>();
    try {
      emulator.start();
      connect = ConnectHarness.startConnect(dir, 1);
      String topic = "kill";
      connect.kafka().createTopic(topic, PARTITIONS);
      KafkaProducer<byte[], byte[]> kafka = producer(connect);
      for (int p = 0; p < PARTITIONS; p++) { // KAFKA-15591: one synchronous record per partition first
        kafka.send(new ProducerRecord<>(topic, p, null, ConnectHarness.event("warm-" + p, p))).get();
      }
      Path config = TestTables.write(dir.resolve("station"), emulator.zerobusEndpoint(), emulator.workspaceUrl());
      Map<String, String> props = new HashMap<>();
      props.put("connector.class", ConnectHarness.CONNECTOR_CLASS);
      props.put("tasks.max", "2");
      props.put("topics", topic);
      props.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
      props.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
      props.put(ZerobusSinkConfig.CONFIG_FILE, config.toString());
      props.put(ZerobusSinkConfig.CLIENT_ID, "emulator-client");
      props.put(ZerobusSinkConfig.CLIENT_SECRET, "emulator-secret");
      connect.configureConnector("kill", props);
      connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("kill", 2, "connector did not start");

      producer = new ConnectHarness.PacedProducer(kafka, topic, PARTITIONS);

      for (int round = 1; round <= ROUNDS; round++) {
        long before = emulator.rowCount();
        await(Duration.ofSeconds(120), "rows flowing before kill " + round, () -> emulator.rowCount() >= before + 3_000);
        Duration downtime = DOWNTIMES.get((round - 1) % DOWNTIMES.size());
        emulator.kill();
        Thread.sleep(downtime.toMillis()); // the outage itself, not a synchronisation
        emulator.start();
        long back = System.nanoTime();
        long atRestart = emulator.rowCount();
        await(RECOVERY_LIMIT, "rows flowing again after restart " + round, () -> emulator.rowCount() > atRestart);
        Duration recovery = EmulatorProcess.since(back);
        recoveries.add(recovery);
        System.out.printf("CONNECTOR-KILL round %d: down %d s, rows flowing again %d ms after the emulator was back%n",
            round, downtime.toSeconds(), recovery.toMillis());
      }
      producer.close();
      kafka.close();

      int ids = producer.sent();
      List<String> missing = new ArrayList<>();
      try {
        await(Duration.ofSeconds(180), ids + " records landed", () -> missing(emulator, ids, missing).isEmpty());
      } finally {
        assertTrue(missing.isEmpty(), "missing " + missing.size() + ": " + missing.subList(0, Math.min(10, missing.size())));
      }
      assertEquals(ids + PARTITIONS, emulator.deduplicated().size(),
          "deduplicating by (topic, partition, offset) leaves one row per record");
      System.out.printf("CONNECTOR-KILL %d kills: produced %d, landed %d rows, duplicates %d, recoveries %s%n",
          ROUNDS, ids + PARTITIONS, emulator.rowCount(), emulator.rowCount() - ids - PARTITIONS,
          recoveries.stream().map(d -> d.toMillis() + " ms").toList());
    } finally {
      if (producer != null) {
        producer.close();
      }
      if (connect != null) {
        connect.stop();
      }
      emulator.close();
      watch.close();
    }
    watch.assertClean();
  }

  private static List<String> missing(EmulatorProcess emulator, int ids, List<String> out) {
    Set<String> landed = emulator.deviceNames();
    out.clear();
    for (int i = 0; i < ids; i++) {
      if (!landed.contains("k-" + i)) {
        out.add("k-" + i);
      }
    }
    return out;
  }

  private static KafkaProducer<byte[], byte[]> producer(EmbeddedConnectCluster connect) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 40_000);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return connect.kafka().createProducer(p);
  }
}
