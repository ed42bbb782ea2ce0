package dev.zerobus.station.bench;

import com.databricks.zerobus.ZerobusSdk;
import dev.zerobus.station.connector.ZerobusSinkConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.file.FileStreamSinkConnector;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

/**
 * Records/s through the connector (Kafka topic → Connect worker → Zerobus emulator) beside its
 * ceilings, in one run and one worker: the SDK driven directly (pre-encoded batches of 1,000)
 * against a landing and a discard emulator, and Kafka's FileStreamSinkConnector writing the same
 * topics to /dev/null with the same converters (the framework's own cost). Every connector run is
 * timed from creating the connector until its consumer group has committed the end offsets of all
 * partitions; the topics are filled first. Then the connector with more streams per table against
 * the discard emulator. Last, what commit.request.ms costs at full drain speed: in a worker with the
 * recommended settings (offset.flush.interval.ms=10000), the connector with it off (0) and at its
 * default (1000) in turns, each run timed until the emulator acknowledged every record.
 */
final class ConnectorBench {
  private static final int PARTITIONS = 3;
  private static final Map<String, String> STRING = Map.of(
      "value.converter", "org.apache.kafka.connect.storage.StringConverter");
  private static final Map<String, String> JSON = Map.of(
      "value.converter", "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable", "false");
  private static int runs;
  /** Runs of each commit.request.ms setting in the full bench, alternated so drift on a shared machine hits both alike. */
  private static final int COMMIT_ROUNDS = 3;

  private ConnectorBench() {}

  static void run(int n, List<Integer> streamsPerTable) throws Exception {
    try (EmulatorProcess landing = EmulatorProcess.start(BenchMain.EMULATOR_JAR);
        EmulatorProcess discard = EmulatorProcess.start(BenchMain.EMULATOR_JAR, true)) {
      List<Measure.Result> sdk = new ArrayList<>();
      List<byte[]> rows = BenchMain.stationOneRows(n);
      for (EmulatorProcess emulator : List.of(landing, discard)) {
        try (ZerobusSdk client = new ZerobusSdk(emulator.endpoint(), emulator.workspaceUrl())) {
          BenchMain.batched(client, emulator, "connector.warmup", rows.subList(0, Math.min(n, 50_000)), 1000);
          sdk.add(BenchMain.batched(client, emulator, "connector.direct", rows, 1000));
        }
      }

      Path dir = Files.createTempDirectory("bench-connector");
      Path landingConfig = config(dir.resolve("landing.json"), landing);
      Path discardConfig = config(dir.resolve("discard.json"), discard);
      Map<String, String> worker = new HashMap<>();
      worker.put("plugin.discovery", "service_load");
      // How often the worker commits consumer offsets: the end of every run is seen within this.
      worker.put("offset.flush.interval.ms", "250");
      EmbeddedConnectCluster connect = new EmbeddedConnectCluster.Builder().name("bench").numWorkers(1)
          .numBrokers(1).workerProps(worker).build();
      connect.start();
      List<Measure.Result> landed = new ArrayList<>();
      List<Measure.Result> fileSink = new ArrayList<>();
      List<Measure.Result> discarded = new ArrayList<>();
      List<Measure.Result> scaling = new ArrayList<>();
      try (Admin admin = connect.kafka().createAdminClient()) {
        for (String topic : List.of("string_json", "map_json")) {
          fill(connect, topic, n);
        }
        landed.add(zerobus(connect, admin, landing, landingConfig, "string_json", STRING, 1, n,
            "connector, StringConverter (JSON text), landing emulator"));
        landed.add(zerobus(connect, admin, landing, landingConfig, "map_json", JSON, 1, n,
            "connector, JsonConverter, schemaless (Map), landing emulator"));
        fileSink.add(fileSink(connect, admin, discard, "string_json", STRING, n,
            "FileStreamSink → /dev/null, StringConverter"));
        fileSink.add(fileSink(connect, admin, discard, "map_json", JSON, n,
            "FileStreamSink → /dev/null, JsonConverter (Map)"));
        for (int i = 0; i < streamsPerTable.size(); i++) {
          int streams = streamsPerTable.get(i);
          Measure.Result string = zerobus(connect, admin, discard, discardConfig, "string_json", STRING, streams, n,
              "connector, StringConverter, discard emulator, " + streams + " stream(s)/table");
          if (i == 0) {
            discarded.add(string);
            discarded.add(zerobus(connect, admin, discard, discardConfig, "map_json", JSON, streams, n,
                "connector, JsonConverter (Map), discard emulator, " + streams + " stream(s)/table"));
          }
          scaling.add(string);
        }
      } finally {
        connect.stop();
      }

      System.out.printf("%nConnector, its ceilings and the SDK, %,d station_one records per run, %d partitions, 2 tasks,"
          + " %d cores; client = this JVM (the Kafka broker and the Connect worker, or the SDK)%n", n, PARTITIONS,
          Runtime.getRuntime().availableProcessors());
      System.out.println(Measure.Result.header());
      for (List<Measure.Result> group : List.of(sdk, landed, fileSink, discarded)) {
        group.forEach(r -> System.out.println(r.row()));
      }
      System.out.println();
      for (int i = 0; i < 2; i++) {
        System.out.printf("%s / %s: %.2f%n", discarded.get(i).name(), fileSink.get(i).name(),
            discarded.get(i).recordsPerSecond() / fileSink.get(i).recordsPerSecond());
        System.out.printf("%s / SDK batches (discard emulator): %.2f%n", discarded.get(i).name(),
            discarded.get(i).recordsPerSecond() / sdk.get(1).recordsPerSecond());
        System.out.printf("%s / SDK batches (landing emulator): %.2f%n", landed.get(i).name(),
            landed.get(i).recordsPerSecond() / sdk.get(0).recordsPerSecond());
      }

      System.out.printf("%nStreams per table (streams.per.table), StringConverter, discard emulator%n");
      System.out.println("| streams per table | records/s | vs 1 stream | worker µs CPU/record | worker cores"
          + " | emulator cores |");
      System.out.println("|---:|---:|---:|---:|---:|---:|");
      for (int i = 0; i < scaling.size(); i++) {
        Measure.Result r = scaling.get(i);
        System.out.printf("| %d | %,.0f | %.2f | %.2f | %.2f | %.2f |%n", streamsPerTable.get(i), r.recordsPerSecond(),
            r.recordsPerSecond() / scaling.get(0).recordsPerSecond(), r.clientMicrosPerRecord(), r.clientCores(),
            r.emulatorCores());
      }

      commitRequestCost(discard, discardConfig, n, COMMIT_ROUNDS);
    }
  }

  /** Only the commit.request.ms comparison, with {@code rounds} runs of each setting. */
  static void commits(int n, int rounds) throws Exception {
    try (EmulatorProcess discard = EmulatorProcess.start(BenchMain.EMULATOR_JAR, true)) {
      Path dir = Files.createTempDirectory("bench-commits");
      commitRequestCost(discard, config(dir.resolve("discard.json"), discard), n, rounds);
    }
  }

  /**
   * The connector with commit.request.ms=0 and at its default, alternated, in a worker with the recommended
   * settings, into the discard emulator (the fastest drain, where a cost shows most); prints each run and the
   * ratio of the medians.
   */
  private static void commitRequestCost(EmulatorProcess discard, Path config, int n, int rounds) throws Exception {
    String byDefault = String.valueOf(ZerobusSinkConfig.CONFIG_DEF.defaultValues().get(ZerobusSinkConfig.COMMIT_REQUEST_MS));
    Map<String, String> worker = new HashMap<>();
    worker.put("plugin.discovery", "service_load");
    worker.put("offset.flush.interval.ms", "10000"); // docs/connector.md's recommended worker settings
    worker.put("task.shutdown.graceful.timeout.ms", "10000");
    worker.put("offset.flush.timeout.ms", "5000");
    EmbeddedConnectCluster connect = new EmbeddedConnectCluster.Builder().name("bench-commits").numWorkers(1)
        .numBrokers(1).workerProps(worker).build();
    connect.start();
    Map<String, List<Measure.Result>> results = new java.util.LinkedHashMap<>();
    try {
      fill(connect, "string_json", n);
      for (int round = 0; round < rounds; round++) {
        for (String setting : List.of("0", byDefault)) {
          Map<String, String> props = new HashMap<>(STRING);
          props.put("connector.class", "dev.zerobus.station.connector.ZerobusSinkConnector");
          props.put("zerobus.config.file", config.toString());
          props.put("zerobus.client.id", discard.clientId());
          props.put("zerobus.client.secret", discard.clientSecret());
          props.put("commit.request.ms", setting);
          results.computeIfAbsent(setting, k -> new ArrayList<>()).add(drainUntilAcked(connect, discard,
              "bench.connector.string_json", props, "commit.request.ms=" + setting + ", run " + (round + 1), n));
        }
      }
    } finally {
      connect.stop();
    }
    System.out.printf("%ncommit.request.ms at full drain speed: StringConverter, discard emulator, %,d records per run,"
        + " worker offset.flush.interval.ms=10000, runs alternated, each until every record was acknowledged%n", n);
    System.out.println(Measure.Result.header());
    results.values().forEach(rs -> rs.forEach(r -> System.out.println(r.row())));
    double off = median(results.get("0"), Measure.Result::recordsPerSecond);
    double on = median(results.get(byDefault), Measure.Result::recordsPerSecond);
    double offCpu = median(results.get("0"), Measure.Result::clientMicrosPerRecord);
    double onCpu = median(results.get(byDefault), Measure.Result::clientMicrosPerRecord);
    System.out.printf("median records/s: commit.request.ms=0 %,.0f, =%s (default) %,.0f; default / off: %.3f%n",
        off, byDefault, on, on / off);
    System.out.printf("median worker µs CPU/record: commit.request.ms=0 %.2f, =%s (default) %.2f; default / off: %.3f%n",
        offCpu, byDefault, onCpu, onCpu / offCpu);
  }

  private static double median(List<Measure.Result> rs, java.util.function.ToDoubleFunction<Measure.Result> of) {
    List<Double> rates = new ArrayList<>(rs.stream().map(of::applyAsDouble).toList());
    rates.sort(null);
    return rates.get(rates.size() / 2);
  }

  /** One connector over the whole topic, from its creation until the emulator acknowledged n more records. */
  private static Measure.Result drainUntilAcked(EmbeddedConnectCluster connect, EmulatorProcess emulator,
      String table, Map<String, String> connector, String label, int n) throws Exception {
    String name = "run" + (++runs) + "-commits";
    Map<String, String> props = new HashMap<>(connector);
    props.put("tasks.max", "2");
    props.put("topics", "string_json");
    props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    props.put("consumer.override.max.poll.records", "2000");
    long before = emulator.rowCount(table);
    Measure m = new Measure(emulator);
    connect.configureConnector(name, props);
    while (emulator.rowCount(table) - before < n) {
      Thread.sleep(50);
    }
    Measure.Result r = m.stop(label, n);
    connect.deleteConnector(name);
    return r;
  }

  private static Path config(Path file, EmulatorProcess emulator) throws Exception {
    Files.writeString(file, """
        {"databricks": {"server_endpoint": "%s", "workspace_id": "1", "workspace_url": "%s"},
         "tables": {"string_json": %s, "map_json": %s}}
        """.formatted(emulator.endpoint(), emulator.workspaceUrl(), table("bench.connector.string_json"),
        table("bench.connector.map_json")));
    return file;
  }

  private static String table(String name) {
    return """
        {"table_name": "%s", "fields": [
          {"name": "device_name", "type": "string", "proto_type": "optional string", "field_num": 1},
          {"name": "temp", "type": "int32", "proto_type": "optional int32", "field_num": 2},
          {"name": "humidity", "type": "int64", "proto_type": "optional int64", "field_num": 3}]}
        """.formatted(name);
  }

  private static void fill(EmbeddedConnectCluster connect, String topic, int n) throws Exception {
    connect.kafka().createTopic(topic, PARTITIONS);
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    try (KafkaProducer<byte[], byte[]> producer = connect.kafka().createProducer(props)) {
      for (int p = 0; p < PARTITIONS; p++) { // the first send to a new topic can be lost (KAFKA-15591): one each, checked
        producer.send(new ProducerRecord<>(topic, p, null, json(p))).get(30, TimeUnit.SECONDS);
      }
      List<Future<?>> sent = new ArrayList<>(n);
      for (int i = PARTITIONS; i < n; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, i % PARTITIONS, null, json(i))));
      }
      for (Future<?> f : sent) {
        f.get(120, TimeUnit.SECONDS);
      }
    }
  }

  private static byte[] json(int i) {
    return ("{\"device_name\":\"sensor-" + (i % 1000) + "\",\"temp\":" + (15 + i % 20) + ",\"humidity\":"
        + (40 + i % 50) + "}").getBytes(StandardCharsets.UTF_8);
  }

  /** Our connector on {@code topic}; fails unless the emulator acknowledged at least every record. */
  private static Measure.Result zerobus(EmbeddedConnectCluster connect, Admin admin, EmulatorProcess emulator,
      Path config, String topic, Map<String, String> converter, int streams, int n, String label) throws Exception {
    Map<String, String> props = new HashMap<>(converter);
    props.put("connector.class", "dev.zerobus.station.connector.ZerobusSinkConnector");
    props.put("zerobus.config.file", config.toString());
    props.put("zerobus.client.id", emulator.clientId());
    props.put("zerobus.client.secret", emulator.clientSecret());
    props.put("streams.per.table", String.valueOf(streams));
    if (converter == JSON) {
      props.put("map.integers", "accept");
    }
    String table = "bench.connector." + topic;
    long before = emulator.rowCount(table);
    Measure.Result r = drain(connect, admin, emulator, topic, props, label, n);
    long acked = emulator.rowCount(table) - before;
    if (acked < n) {
      throw new IllegalStateException(label + ": the emulator acknowledged " + acked + " of " + n + " records");
    }
    return r;
  }

  private static Measure.Result fileSink(EmbeddedConnectCluster connect, Admin admin, EmulatorProcess emulator,
      String topic, Map<String, String> converter, int n, String label) throws Exception {
    Map<String, String> props = new HashMap<>(converter);
    props.put("connector.class", FileStreamSinkConnector.class.getName());
    props.put("file", "/dev/null");
    return drain(connect, admin, emulator, topic, props, label, n);
  }

  /**
   * Runs one connector over the whole topic: from its creation until its consumer group committed
   * the end offset of every partition. Each run is a new connector, hence a new group that reads
   * the topic from the start.
   */
  private static Measure.Result drain(EmbeddedConnectCluster connect, Admin admin, EmulatorProcess emulator,
      String topic, Map<String, String> connector, String label, int n) throws Exception {
    String name = "run" + (++runs) + "-" + topic;
    Map<String, String> props = new HashMap<>(connector);
    props.put("tasks.max", "2");
    props.put("topics", topic);
    props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    props.put("consumer.override.max.poll.records", "2000");
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> end = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    Measure m = new Measure(emulator);
    connect.configureConnector(name, props);
    String group = "connect-" + name;
    while (!committed(admin, group, end)) {
      Thread.sleep(50);
    }
    Measure.Result r = m.stop(label, n);
    connect.deleteConnector(name);
    return r;
  }

  private static boolean committed(Admin admin, String group, Map<TopicPartition, Long> end) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      OffsetAndMetadata o = offsets.get(e.getKey());
      if (o == null || o.offset() < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
