package dev.zerobus.station.connector;

import static dev.zerobus.station.connector.ConnectHarness.EVENTS;
import static dev.zerobus.station.connector.ConnectHarness.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A distributed Connect worker as its own process, with the plugin on plugin.path and the worker
 * settings docs/connector.md recommends, killed with SIGKILL mid-drain and started again: every
 * record lands, and the duplicates (what was sent after the last commit) are counted. Slow (-Pslow).
 */
@Tag("slow")
class WorkerKillIT {
  static final int PARTITIONS = 3;
  static final int KILLS = Integer.getInteger("worker.kills", 2);

  @TempDir
  Path dir;

  @Test
  void everyRecordLandsWhenTheWorkerIsKilled() throws Exception {
    EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, new Properties());
    kafka.start();
    ZerobusEmulator emulator = ZerobusEmulator.builder().grpcPort(0).workspacePort(0).adminPort(-1)
        .dataDir(dir.resolve("landed")).start();
    Process worker = null;
    ConnectHarness.PacedProducer producer = null;
    try {
      String topic = "wk";
      kafka.createTopic(topic, PARTITIONS);
      Map<String, Object> pp = new HashMap<>();
      pp.put(ProducerConfig.ACKS_CONFIG, "all");
      pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 40_000);
      pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      KafkaProducer<byte[], byte[]> kp = kafka.createProducer(pp);
      for (int p = 0; p < PARTITIONS; p++) {
        kp.send(new ProducerRecord<>(topic, p, null, ConnectHarness.event("warm-" + p, p))).get();
      }
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Path props = workerProps(kafka.bootstrapServers(), port);
      worker = startWorker(props, port);

      Map<String, String> c = new LinkedHashMap<>();
      c.put("connector.class", ConnectHarness.CONNECTOR_CLASS);
      c.put("tasks.max", "2");
      c.put("topics", topic);
      c.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
      c.put(ZerobusSinkConfig.CONFIG_FILE,
          TestTables.write(dir.resolve("station"), emulator.zerobusEndpoint(), emulator.workspaceUrl()).toString());
      c.put(ZerobusSinkConfig.CLIENT_ID, emulator.clientId());
      c.put(ZerobusSinkConfig.CLIENT_SECRET, emulator.clientSecret());
      HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/connectors/wk/config"))
          .header("Content-Type", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString(new ObjectMapper().writeValueAsString(c))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertTrue(put.statusCode() / 100 == 2, put.body());

      producer = new ConnectHarness.PacedProducer(kp, topic, PARTITIONS);

      for (int kill = 1; kill <= KILLS; kill++) {
        long before = emulator.rowCount(EVENTS);
        await(Duration.ofSeconds(120), "rows flowing before kill " + kill,
            () -> emulator.rowCount(EVENTS) >= before + 25_000); // a dozen seconds: a commit or more in between
        worker.destroyForcibly().waitFor();
        worker = startWorker(props, port);
        long atRestart = emulator.rowCount(EVENTS);
        await(Duration.ofSeconds(120), "rows flowing after restart " + kill, () -> emulator.rowCount(EVENTS) > atRestart);
      }
      producer.close();
      kp.close();
      int ids = producer.sent();
      await(Duration.ofSeconds(180), "every record landed", () -> distinct(emulator).size() >= ids + PARTITIONS);
      Set<String> landed = distinct(emulator);
      for (int i = 0; i < ids; i++) {
        assertTrue(landed.contains("k-" + i), "k-" + i + " missing");
      }
      long rows = emulator.rowCount(EVENTS);
      System.out.printf("WORKER-KILL %d kills of the worker (offset.flush.interval.ms=10000): produced %d, landed %d,"
          + " duplicates %d%n", KILLS, ids + PARTITIONS, rows, rows - ids - PARTITIONS);
    } finally {
      if (producer != null) {
        producer.close();
      }
      if (worker != null) {
        worker.destroyForcibly().waitFor();
      }
      emulator.close();
      kafka.stop();
    }
  }

  private Path workerProps(String bootstrap, int port) throws Exception {
    Path pluginPath = ConnectHarness.installPlugin(dir.resolve("plugin-path"));
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "worker-kill");
    p.put("listeners", "http://127.0.0.1:" + port);
    p.put("rest.advertised.host.name", "127.0.0.1");
    p.put("plugin.path", pluginPath.toString());
    p.put("plugin.discovery", "service_load");
    p.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    p.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
    p.put("config.storage.topic", "wk-configs");
    p.put("offset.storage.topic", "wk-offsets");
    p.put("status.storage.topic", "wk-status");
    p.put("config.storage.replication.factor", "1");
    p.put("offset.storage.replication.factor", "1");
    p.put("status.storage.replication.factor", "1");
    // The settings docs/connector.md recommends.
    p.put("offset.flush.interval.ms", "10000");
    p.put("task.shutdown.graceful.timeout.ms", "10000");
    p.put("offset.flush.timeout.ms", "5000");
    Path file = dir.resolve("worker.properties");
    try (var out = Files.newBufferedWriter(file)) {
      p.store(out, null);
    }
    Files.writeString(dir.resolve("log4j2-worker.xml"), """
        <Configuration status="WARN"><Appenders><Console name="out" target="SYSTEM_OUT">
        <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5level [%t] %c{1} - %msg%n"/></Console></Appenders>
        <Loggers><Logger name="dev.zerobus.station" level="INFO"/><Root level="WARN"><AppenderRef ref="out"/></Root>
        </Loggers></Configuration>
        """);
    return file;
  }

  private Process startWorker(Path props, int port) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx768m", "-cp", System.getProperty("java.class.path"),
        "-Dlog4j2.configurationFile=" + dir.resolve("log4j2-worker.xml"),
        "org.apache.kafka.connect.cli.ConnectDistributed", props.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("worker.log").toFile()))
        .start();
    HttpClient http = HttpClient.newHttpClient();
    await(Duration.ofSeconds(90), "the worker's REST API", () -> {
      try {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
      } catch (Exception e) {
        return !p.isAlive() && fail(p);
      }
    });
    return p;
  }

  private boolean fail(Process p) {
    throw new IllegalStateException("worker exited with " + p.exitValue() + "; see " + dir.resolve("worker.log"));
  }

  private static Set<String> distinct(ZerobusEmulator emulator) {
    Set<String> ids = new HashSet<>();
    for (JsonNode r : emulator.rowValues(EVENTS)) {
      ids.add(r.path("device_name").asText());
    }
    return ids;
  }

}
