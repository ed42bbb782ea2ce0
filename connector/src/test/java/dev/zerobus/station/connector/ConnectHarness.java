package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

/**
 * A Kafka broker and Connect worker(s) in this JVM (Kafka's own test kit) and the Zerobus
 * emulator, wired together: what the connector tests run against.
 */
final class ConnectHarness implements AutoCloseable {
  static final String EVENTS = "main.default.events";
  static final String TYPED = "main.default.typed";
  /** Declared only in the emulator: the station reads its schema from the catalog API. */
  static final String FROM_CATALOG = "main.default.from_catalog";
  /** By name: the class lives in the plugin, not on this JVM's class path. */
  static final String CONNECTOR_CLASS = "dev.zerobus.station.connector.ZerobusSinkConnector";

  final ZerobusEmulator emulator;
  final EmbeddedConnectCluster connect;
  final Path configFile;
  private final Admin admin;

  ConnectHarness(Path dir, int workers) throws Exception {
    emulator = ZerobusEmulator.builder().grpcPort(0).workspacePort(0).adminPort(0).dataDir(dir.resolve("landed"))
        .table(FROM_CATALOG, "device_name STRING NOT NULL, temp SMALLINT, humidity BIGINT, _kafka_offset BIGINT")
        .start();
    configFile = TestTables.write(dir.resolve("station"), emulator.zerobusEndpoint(), emulator.workspaceUrl());
    connect = startConnect(dir, workers);
    admin = connect.kafka().createAdminClient();
  }

  /**
   * A broker and Connect worker(s) that load the connector as users install it: the packaged plugin
   * directory (target/plugin, made by {@code mvn package}) copied into a folder on plugin.path, found
   * through its service entry. Neither the connector nor the Zerobus SDK is on this JVM's class path
   * (see the failsafe settings in connector/pom.xml), so the plugin's class loader is the only one that
   * can see them, as on a real worker.
   */
  static EmbeddedConnectCluster startConnect(Path dir, int workers) throws IOException {
    Path pluginPath = installPlugin(dir.resolve("plugin-path"));
    Map<String, String> workerProps = new HashMap<>();
    workerProps.put("plugin.path", pluginPath.toString());
    workerProps.put("plugin.discovery", "service_load"); // no classpath scan: ~4 s and ~500 MB saved
    workerProps.put("offset.flush.interval.ms", "500");
    EmbeddedConnectCluster cluster = new EmbeddedConnectCluster.Builder().name("zerobus-test").numWorkers(workers)
        .numBrokers(1).workerProps(workerProps).build();
    cluster.start();
    return cluster;
  }

  /** Copies the plugin directory into pluginPath/zerobus-station-connector; returns pluginPath. */
  static Path installPlugin(Path pluginPath) throws IOException {
    String built = System.getProperty("zerobus.plugin.dir");
    if (built == null || !Files.isDirectory(Path.of(built, "lib"))) {
      throw new IllegalStateException("no packaged plugin at " + built + ": run these tests with mvn verify, after package");
    }
    try {
      Class.forName("com.databricks.zerobus.ZerobusException");
      throw new IllegalStateException("the Zerobus SDK is on the test class path; the plugin must be its only source");
    } catch (ClassNotFoundException expected) {
      // as on a real worker
    }
    return copyPlugin(Path.of(built), pluginPath);
  }

  /** Copies a plugin directory into pluginPath/zerobus-station-connector, as users install it; returns pluginPath. */
  static Path copyPlugin(Path source, Path pluginPath) throws IOException {
    Path target = pluginPath.resolve("zerobus-station-connector");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = target.resolve(source.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return pluginPath;
  }

  /** Settings every test connector shares: the station config, the emulator's credentials. */
  Map<String, String> connector(String topic, int tasks) {
    Map<String, String> p = new HashMap<>();
    p.put("connector.class", CONNECTOR_CLASS);
    p.put("tasks.max", String.valueOf(tasks));
    p.put("topics", topic);
    p.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    p.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
    p.put(ZerobusSinkConfig.CONFIG_FILE, configFile.toString());
    p.put(ZerobusSinkConfig.CLIENT_ID, emulator.clientId());
    p.put(ZerobusSinkConfig.CLIENT_SECRET, emulator.clientSecret());
    p.put(ZerobusSinkConfig.METADATA_COLUMNS, "topic:_kafka_topic,partition:_kafka_partition,offset:_kafka_offset");
    return p;
  }

  void start(String name, Map<String, String> props, int tasks) throws InterruptedException {
    connect.configureConnector(name, props);
    connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(name, tasks, "connector did not start");
  }

  /**
   * Creates the topic and writes one record to each partition synchronously before any bulk
   * data: a producer right after topic creation can lose its first batch (KAFKA-15591).
   */
  KafkaProducer<byte[], byte[]> topic(String topic, int partitions) throws Exception {
    connect.kafka().createTopic(topic, partitions);
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 40_000);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    KafkaProducer<byte[], byte[]> producer = connect.kafka().createProducer(props);
    for (int p = 0; p < partitions; p++) {
      producer.send(new ProducerRecord<>(topic, p, null, event("warm-" + p, p))).get(30, TimeUnit.SECONDS);
    }
    return producer;
  }

  /** Sends ids [from, to) spread over the partitions, waiting for every send. */
  static void produce(KafkaProducer<byte[], byte[]> producer, String topic, int partitions, int from, int to)
      throws Exception {
    List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
    for (int i = from; i < to; i++) {
      sent.add(producer.send(new ProducerRecord<>(topic, i % partitions, null, event("k-" + i, i))));
    }
    for (java.util.concurrent.Future<?> f : sent) {
      f.get(60, TimeUnit.SECONDS);
    }
  }

  /**
   * Produces events 0, 1, 2, ... in batches of 100 over the partitions from a thread of its own until closed, at
   * 2,000 records/s: a batch is due every 50 ms from the start (a late batch goes at once), so a kill always meets a
   * live stream. Nothing waits on the schedule.
   */
  static final class PacedProducer implements AutoCloseable {
    static final int RATE = 2_000;
    private static final int BATCH = 100;
    private final java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicReference<Exception> failed =
        new java.util.concurrent.atomic.AtomicReference<>();
    private final java.util.concurrent.ScheduledExecutorService schedule =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "paced-producer"));

    PacedProducer(KafkaProducer<byte[], byte[]> kafka, String topic, int partitions) {
      // Fixed rate: a batch that starts late is followed at once by the ones it held up.
      schedule.scheduleAtFixedRate(() -> {
        try {
          int from = sent.get();
          produce(kafka, topic, partitions, from, from + BATCH);
          sent.addAndGet(BATCH);
        } catch (Exception e) {
          failed.compareAndSet(null, e);
          throw new IllegalStateException(e); // ends the schedule
        }
      }, 0, TimeUnit.SECONDS.toNanos(1) * BATCH / RATE, TimeUnit.NANOSECONDS);
    }

    /** Records produced and acknowledged by Kafka so far; final once closed. */
    int sent() {
      Exception e = failed.get();
      if (e != null) {
        throw new IllegalStateException("the producer failed", e);
      }
      return sent.get();
    }

    /** Stops after the batch under way. */
    @Override
    public void close() throws InterruptedException {
      schedule.shutdown();
      if (!schedule.awaitTermination(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the producer's last batch did not finish within 60 s");
      }
    }
  }

  static byte[] event(String id, int i) {
    return ("{\"device_name\":\"" + id + "\",\"temp\":" + (i % 50) + ",\"humidity\":" + i + "}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The consumer group's committed offsets for the connector. */
  Map<TopicPartition, Long> committed(String connector) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> raw = admin.listConsumerGroupOffsets("connect-" + connector)
        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    Map<TopicPartition, Long> out = new HashMap<>();
    raw.forEach((tp, o) -> {
      if (o != null) {
        out.put(tp, o.offset());
      }
    });
    return out;
  }

  long endOffset(String topic, int partition) throws Exception {
    return connect.kafka().endOffset(new TopicPartition(topic, partition));
  }

  /** Waits until the connector has committed every partition up to its end offset. */
  void awaitCommittedToEnd(String connector, String topic, int partitions, Duration timeout) throws Exception {
    Map<TopicPartition, Long> ends = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      ends.put(new TopicPartition(topic, p), endOffset(topic, p));
    }
    await(timeout, "offsets of " + connector + " committed up to " + ends, () -> {
      try {
        Map<TopicPartition, Long> c = committed(connector);
        return ends.entrySet().stream().allMatch(e -> c.getOrDefault(e.getKey(), -1L) >= e.getValue());
      } catch (Exception e) {
        return false;
      }
    });
  }

  /** Rows of the events table from one topic, as (partition, offset) pairs landed. */
  Set<Long> landedOffsets(String topic, int partition) {
    Set<Long> out = new HashSet<>();
    for (JsonNode row : emulator.rowValues(EVENTS)) {
      if (topic.equals(row.path("_kafka_topic").asText()) && row.path("_kafka_partition").asInt() == partition) {
        out.add(row.path("_kafka_offset").asLong());
      }
    }
    return out;
  }

  /** The task's state, or "none" when it does not exist yet. */
  String taskState(String connector, int task) {
    ConnectorStateInfo info;
    try {
      info = connect.connectorStatus(connector);
    } catch (RuntimeException notYet) {
      return "none";
    }
    return info.tasks().stream().filter(t -> t.id() == task).map(t -> t.state()).findFirst().orElse("none");
  }

  String taskTrace(String connector, int task) {
    ConnectorStateInfo info = connect.connectorStatus(connector);
    return info.tasks().stream().filter(t -> t.id() == task).map(t -> String.valueOf(t.trace())).findFirst()
        .orElse("");
  }

  static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    if (!condition.getAsBoolean()) {
      fail("timed out after " + timeout + " waiting for " + what);
    }
  }

  /** Deletes every connector, waits until they are gone, then empties the emulator's tables and faults. */
  void reset() throws InterruptedException {
    for (String c : connect.connectors()) {
      connect.deleteConnector(c);
      connect.assertions().assertConnectorDoesNotExist(c, "connector not deleted");
    }
    emulator.reset();
  }

  @Override
  public void close() {
    try {
      admin.close();
    } finally {
      try {
        connect.stop();
      } finally {
        emulator.close();
      }
    }
  }
}
