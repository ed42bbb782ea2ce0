package dev.zerobus.station.connector;

import static dev.zerobus.station.connector.ConnectHarness.EVENTS;
import static dev.zerobus.station.connector.ConnectHarness.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
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
 * settings docs/connector.md recommends, under a live stream of 2,000 records/s, killed with SIGKILL
 * and started again, {@code worker.kills} times (5 by default): every record lands, and the duplicates
 * each kill caused (what landed after the last commit before it) are counted and printed.
 *
 * <p>Each kill comes once the connector has caught up with the stream (within a second of it) and then
 * 1 to 10 s of traffic later (random, seed printed; {@code -Dworker.kill.seed=} repeats it), so the kills
 * meet the commit cycle at any point. {@code -Dcommit.request.ms=} sets the connector's setting (its
 * default otherwise; 0 measures commits at offset.flush.interval.ms alone). Slow (-Pslow).
 */
@Tag("slow")
class WorkerKillIT {
  static final int PARTITIONS = 3;
  static final int KILLS = Integer.getInteger("worker.kills", 5);
  static final String COMMIT_REQUEST_MS = System.getProperty("commit.request.ms", "");

  @TempDir
  Path dir;

  @Test
  void everyRecordLandsWhenTheWorkerIsKilled() throws Exception {
    EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, new Properties());
    kafka.start();
    ZerobusEmulator emulator = ZerobusEmulator.builder().grpcPort(0).workspacePort(0).adminPort(0)
        .dataDir(dir.resolve("landed")).start();
    Process worker = null;
    ConnectHarness.PacedProducer producer = null;
    long seed = Long.getLong("worker.kill.seed", System.nanoTime());
    Random random = new Random(seed);
    String setting = COMMIT_REQUEST_MS.isBlank() ? "default" : COMMIT_REQUEST_MS;
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
      if (!COMMIT_REQUEST_MS.isBlank()) {
        c.put(ZerobusSinkConfig.COMMIT_REQUEST_MS, COMMIT_REQUEST_MS);
      }
      HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/connectors/wk/config"))
          .header("Content-Type", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString(new ObjectMapper().writeValueAsString(c))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertTrue(put.statusCode() / 100 == 2, put.body());

      producer = new ConnectHarness.PacedProducer(kp, topic, PARTITIONS);
      ConnectHarness.PacedProducer stream = producer;
      LandedIds landed = new LandedIds(emulator.adminUrl(), EVENTS);
      List<Long> duplicates = new ArrayList<>();
      long duplicatesBefore = 0;
      for (int kill = 1; kill <= KILLS; kill++) {
        await(Duration.ofSeconds(300), "the connector within a second of the stream before kill " + kill,
            () -> landed.read() >= stream.sent() + PARTITIONS - ConnectHarness.PacedProducer.RATE);
        long target = landed.distinct() + ConnectHarness.PacedProducer.RATE * (1 + random.nextInt(10));
        await(Duration.ofSeconds(120), "1 to 10 s more of the stream before kill " + kill,
            () -> landed.read() >= target);
        landed.read();
        if (kill > 1) {
          duplicates.add(landed.duplicates() - duplicatesBefore);
        }
        duplicatesBefore = landed.duplicates();
        worker.destroyForcibly().waitFor();
        worker = startWorker(props, port);
      }
      await(Duration.ofSeconds(300), "the connector within a second of the stream after the last kill",
          () -> landed.read() >= stream.sent() + PARTITIONS - ConnectHarness.PacedProducer.RATE);
      producer.close();
      kp.close();
      int ids = producer.sent();
      await(Duration.ofSeconds(180), "every record landed", () -> landed.read() >= ids + PARTITIONS);
      duplicates.add(landed.duplicates() - duplicatesBefore);
      for (int i = 0; i < ids; i++) {
        assertTrue(landed.contains("k-" + i), "k-" + i + " missing");
      }
      long rows = emulator.rowCount(EVENTS);
      List<Long> sorted = new ArrayList<>(duplicates);
      sorted.sort(null);
      System.out.printf("WORKER-KILL %d kills of the worker at %d records/s (offset.flush.interval.ms=10000,"
          + " commit.request.ms=%s, seed %d): produced %d, landed %d, missing 0, duplicates %d; per kill %s"
          + " (min %d, median %d, max %d)%n", KILLS, ConnectHarness.PacedProducer.RATE, setting, seed,
          ids + PARTITIONS, rows, rows - ids - PARTITIONS, duplicates, sorted.get(0), sorted.get(sorted.size() / 2),
          sorted.get(sorted.size() - 1));
    } finally {
      if (producer != null) {
        producer.close();
      }
      if (worker != null) {
        worker.destroyForcibly().waitFor();
      }
      if (Files.exists(dir.resolve("worker.log"))) { // kept for reading after the run (the temp dir is not)
        Files.copy(dir.resolve("worker.log"), Path.of("target", "WorkerKillIT-worker-" + setting + ".log"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      emulator.close();
      kafka.stop();
    }
  }

  /**
   * The device ids landed in a table, read incrementally through the emulator's admin API: how many are
   * distinct, and how many rows repeated an id already landed.
   */
  static final class LandedIds {
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final String rowsUrl;
    private final Set<String> ids = new HashSet<>();
    private long rows;
    private long duplicates;

    LandedIds(String adminUrl, String table) {
      this.rowsUrl = adminUrl + "/tables/" + table + "/rows?limit=1000000&format=ndjson&from=";
    }

    /** Reads the rows landed since the last call; returns the distinct ids so far. */
    synchronized long read() {
      try {
        HttpResponse<java.util.stream.Stream<String>> r = http.send(
            HttpRequest.newBuilder(URI.create(rowsUrl + rows)).build(), HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() != 200) {
          return ids.size(); // the table does not exist before the first row
        }
        for (String line : (Iterable<String>) r.body()::iterator) {
          if (line.isBlank()) {
            continue;
          }
          rows++;
          if (!ids.add(json.readTree(line).path("row").path("device_name").asText())) {
            duplicates++;
          }
        }
        return ids.size();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    synchronized long distinct() {
      return ids.size();
    }

    synchronized long duplicates() {
      return duplicates;
    }

    synchronized boolean contains(String id) {
      return ids.contains(id);
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
}
