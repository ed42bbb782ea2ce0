package dev.zerobus.station.bench;

import com.databricks.zerobus.ZerobusSdk;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

/**
 * Records/s through the connector (Kafka topic → Connect worker → Zerobus emulator) against the
 * SDK driven directly (pre-encoded batches of 1,000) on the same emulator, in one run. The topic
 * is filled first, so the connector run times consuming, converting, encoding and ingesting.
 */
final class ConnectorBench {
  private ConnectorBench() {}

  static void run(int n) throws Exception {
    int partitions = 3;
    try (EmulatorProcess emulator = EmulatorProcess.start(BenchMain.EMULATOR_JAR)) {
      List<Measure.Result> results = new ArrayList<>();
      List<byte[]> rows = BenchMain.stationOneRows(n);
      try (ZerobusSdk sdk = new ZerobusSdk(emulator.endpoint(), emulator.workspaceUrl())) {
        BenchMain.batched(sdk, emulator, "connector.warmup", rows.subList(0, Math.min(n, 50_000)), 1000); // tables are bench.<name>
        results.add(BenchMain.batched(sdk, emulator, "connector.direct", rows, 1000));
      }

      Path dir = Files.createTempDirectory("bench-connector");
      Path config = dir.resolve("config.json");
      Files.writeString(config, """
          {"databricks": {"server_endpoint": "%s", "workspace_id": "1", "workspace_url": "%s"},
           "tables": {"string_json": %s, "map_json": %s}}
          """.formatted(emulator.endpoint(), emulator.workspaceUrl(), table("bench.connector.string_json"),
          table("bench.connector.map_json")));
      Map<String, String> worker = new HashMap<>();
      worker.put("plugin.discovery", "service_load");
      worker.put("offset.flush.interval.ms", "1000");
      EmbeddedConnectCluster connect = new EmbeddedConnectCluster.Builder().name("bench").numWorkers(1)
          .numBrokers(1).workerProps(worker).build();
      connect.start();
      try {
        for (String topic : List.of("string_json", "map_json")) {
          fill(connect, topic, partitions, n);
        }
        results.add(through(connect, emulator, config, "string_json", "StringConverter (JSON text)",
            Map.of("value.converter", "org.apache.kafka.connect.storage.StringConverter"), partitions, n));
        results.add(through(connect, emulator, config, "map_json", "JsonConverter, schemaless (Map)",
            Map.of("value.converter", "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable", "false", "map.integers", "accept"), partitions, n));
      } finally {
        connect.stop();
      }
      System.out.printf("Connector vs SDK against the emulator, %,d station_one records per run, %d partitions,"
          + " 2 tasks, %d cores%n", n, partitions, Runtime.getRuntime().availableProcessors());
      System.out.println(Measure.Result.header());
      results.forEach(r -> System.out.println(r.row()));
      for (int i = 1; i < results.size(); i++) {
        System.out.printf("%s / direct SDK batches: %.2f%n", results.get(i).name(),
            results.get(i).recordsPerSecond() / results.get(0).recordsPerSecond());
      }
    }
  }

  private static String table(String name) {
    return """
        {"table_name": "%s", "fields": [
          {"name": "device_name", "type": "string", "proto_type": "optional string", "field_num": 1},
          {"name": "temp", "type": "int32", "proto_type": "optional int32", "field_num": 2},
          {"name": "humidity", "type": "int64", "proto_type": "optional int64", "field_num": 3}]}
        """.formatted(name);
  }

  private static void fill(EmbeddedConnectCluster connect, String topic, int partitions, int n) throws Exception {
    connect.kafka().createTopic(topic, partitions);
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    try (KafkaProducer<byte[], byte[]> producer = connect.kafka().createProducer(props)) {
      for (int p = 0; p < partitions; p++) { // the first send to a new topic can be lost (KAFKA-15591): one each, checked
        producer.send(new ProducerRecord<>(topic, p, null, json(p))).get(30, TimeUnit.SECONDS);
      }
      List<Future<?>> sent = new ArrayList<>(n);
      for (int i = partitions; i < n; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, i % partitions, null, json(i))));
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

  private static Measure.Result through(EmbeddedConnectCluster connect, EmulatorProcess emulator, Path config,
      String topic, String label, Map<String, String> converter, int partitions, int n) throws Exception {
    Map<String, String> props = new HashMap<>();
    props.put("connector.class", "dev.zerobus.station.connector.ZerobusSinkConnector");
    props.put("tasks.max", "2");
    props.put("topics", topic);
    props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    props.putAll(converter);
    props.put("consumer.override.max.poll.records", "2000");
    props.put("zerobus.config.file", config.toString());
    props.put("zerobus.client.id", emulator.clientId());
    props.put("zerobus.client.secret", emulator.clientSecret());
    String table = topic.equals("string_json") ? "bench.connector.string_json" : "bench.connector.map_json";
    Measure m = new Measure(emulator);
    connect.configureConnector(topic, props);
    while (emulator.rowCount(table) < n) {
      Thread.sleep(50);
    }
    Measure.Result r = m.stop("connector, " + label, n);
    connect.deleteConnector(topic);
    emulator.assertRows(table, n);
    return r;
  }
}
