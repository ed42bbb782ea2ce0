package dev.zerobus.station.connector;

import dev.zerobus.station.emulator.ZerobusEmulator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;

/**
 * The docker-compose stack without Docker, all on loopback: the Zerobus emulator, a KRaft Kafka
 * broker, a standalone Kafka Connect worker loading the connector from its plugin directory, and
 * the REST bridge (its jar, as a child process). Run it with {@code scripts/local-stack}; type
 * {@code <topic> <json>} lines to produce to Kafka. {@code --smoke-test} sends one record each way,
 * waits for both rows and exits.
 */
public final class LocalStack implements AutoCloseable {
  static final Path ROOT = findRoot();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  static final Path PLUGIN = ROOT.resolve("connector/target/plugin");
  static final Path BRIDGE_JAR = ROOT.resolve("rest-bridge/target/zerobus-station.jar");
  /** One topic per table of config/config.local.json, named by its key (the connector's default route). */
  static final java.util.List<String> TOPICS = java.util.List.of("station_one", "station_two");

  final ZerobusEmulator emulator;
  final EmbeddedKafkaCluster kafka;
  final Connect<?> connect;
  final Process bridge;
  final String bridgeUrl;
  final String connectUrl;
  final Path workDir;

  /** Ports 0 pick free ones (tests); the defaults match docker-compose.yml. */
  LocalStack(int emulatorBasePorts, int bridgePort, int connectPort) throws Exception {
    workDir = Files.createTempDirectory("zerobus-local-stack");
    boolean fixed = emulatorBasePorts != 0;
    emulator = ZerobusEmulator.builder()
        .grpcPort(fixed ? 50051 : 0).workspacePort(fixed ? 8089 : 0).adminPort(fixed ? 8088 : 0)
        .config(ROOT.resolve("config/emulator-tables.json"))
        .dataDir(fixed ? ROOT.resolve("zerobus-emulator-data") : workDir.resolve("landed"))
        .start();
    kafka = new EmbeddedKafkaCluster(1, new Properties());
    kafka.start();
    for (String topic : TOPICS) {
      kafka.createTopic(topic, 1);
    }

    Map<String, String> worker = new HashMap<>();
    worker.put("bootstrap.servers", kafka.bootstrapServers());
    worker.put("listeners", "http://127.0.0.1:" + connectPort);
    worker.put("offset.storage.file.filename", workDir.resolve("connect.offsets").toString());
    worker.put("offset.flush.interval.ms", "1000");
    worker.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    worker.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
    worker.put("plugin.discovery", "service_load");
    if (Files.isDirectory(PLUGIN)) {
      worker.put("plugin.path", ConnectHarness.copyPlugin(PLUGIN, workDir.resolve("plugin-path")).toString());
    }
    connect = new ConnectStandalone().startConnect(worker);
    connectUrl = connect.rest().serverUrl().toString().replaceAll("/$", "");
    registerConnector();

    ProcessBuilder pb = new ProcessBuilder(java(), "-jar", BRIDGE_JAR.toString(), "--config",
        ROOT.resolve("config/config.local.json").toString()).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().putAll(Map.of(
        "ZEROBUS_BRIDGE_PORT", String.valueOf(bridgePort),
        "ZEROBUS_SERVER_ENDPOINT", emulator.zerobusEndpoint(),
        "DATABRICKS_WORKSPACE_URL", emulator.workspaceUrl(),
        "DATABRICKS_CLIENT_ID", emulator.clientId(),
        "DATABRICKS_CLIENT_SECRET", emulator.clientSecret(),
        "ZEROBUS_ENV_FILE", workDir.resolve("no.env").toString()));
    if (!Files.exists(BRIDGE_JAR)) {
      throw new IllegalStateException(BRIDGE_JAR + " is missing: build first (mvn -B -ntp -DskipTests install)");
    }
    bridge = pb.start();
    bridgeUrl = awaitBridge(bridge);
  }

  private void registerConnector() throws Exception {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("connector.class", ConnectHarness.CONNECTOR_CLASS);
    c.put("tasks.max", "1");
    c.put("topics", String.join(",", TOPICS));
    c.put(ZerobusSinkConfig.CONFIG_FILE, ROOT.resolve("config/config.local.json").toString());
    c.put(ZerobusSinkConfig.SERVER_ENDPOINT, emulator.zerobusEndpoint());
    c.put(ZerobusSinkConfig.WORKSPACE_URL, emulator.workspaceUrl());
    c.put(ZerobusSinkConfig.CLIENT_ID, emulator.clientId());
    c.put(ZerobusSinkConfig.CLIENT_SECRET, emulator.clientSecret());
    c.put("errors.tolerance", "all");
    c.put("errors.log.enable", "true");
    String json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(c);
    HttpResponse<String> r = http("PUT", connectUrl + "/connectors/zerobus-sink/config", json);
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException("registering the connector failed: " + r.statusCode() + " " + r.body());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String status = http("GET", connectUrl + "/connectors/zerobus-sink/status", null).body();
      if (status.contains("\"tasks\":[{\"id\":0,\"state\":\"RUNNING\"")) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the connector's task did not start");
  }

  private static String awaitBridge(Process p) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Pattern listening = Pattern.compile("^Zerobus Station \\S+ on (http://\\S+)$");
    String line;
    while ((line = out.readLine()) != null) {
      Matcher m = listening.matcher(line);
      if (m.matches()) {
        Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "bridge-output");
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
      System.out.println("[bridge] " + line);
    }
    throw new IllegalStateException("the bridge exited before it listened");
  }

  KafkaProducer<String, String> producer() {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  static HttpResponse<String> http(String method, String url, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  void printUrls() {
    System.out.println();
    System.out.println("Zerobus Station local stack (no Docker):");
    System.out.println("  REST bridge:      " + bridgeUrl + "   (curl -X POST " + bridgeUrl
        + "/ingest/station_one -H 'Content-Type: application/json' -d '{\"device_name\":\"sensor-1\",\"temp\":22,\"humidity\":55}')");
    System.out.println("  Kafka bootstrap:  " + kafka.bootstrapServers() + "   (topics station_one, station_two)");
    System.out.println("  Kafka Connect:    " + connectUrl + "/connectors/zerobus-sink/status");
    System.out.println("  Zerobus emulator: " + emulator.zerobusEndpoint() + ", admin " + emulator.adminUrl());
    System.out.println("  Landed rows:      curl " + emulator.adminUrl() + "/tables/main.default.station_one/rows");
    System.out.println();
    System.out.println("Type  <topic> <json>  to produce to Kafka, e.g.");
    System.out.println("  station_one {\"device_name\":\"sensor-2\",\"temp\":19,\"humidity\":60}");
    System.out.println("Ctrl-D or Ctrl-C stops everything.");
  }

  /** Sends one record over HTTP and one through Kafka; true when both land within the timeout. */
  boolean smokeTest(Duration timeout) throws Exception {
    String table = "main.default.station_one";
    long before = emulator.rowCount(table);
    HttpResponse<String> r = http("POST", bridgeUrl + "/ingest/station_one?wait_for_ack=true",
        "{\"device_name\":\"smoke-http\",\"temp\":21,\"humidity\":50}");
    if (r.statusCode() != 200) {
      throw new IllegalStateException("bridge answered " + r.statusCode() + ": " + r.body());
    }
    try (KafkaProducer<String, String> producer = producer()) {
      producer.send(new ProducerRecord<>("station_one", "smoke",
          "{\"device_name\":\"smoke-kafka\",\"temp\":22,\"humidity\":51}")).get(30, TimeUnit.SECONDS);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      boolean http = false;
      boolean kafkaRow = false;
      for (var row : emulator.rowValues(table)) {
        http |= row.path("device_name").asText().equals("smoke-http");
        kafkaRow |= row.path("device_name").asText().equals("smoke-kafka");
      }
      if (http && kafkaRow && emulator.rowCount(table) >= before + 2) {
        return true;
      }
      Thread.sleep(200);
    }
    return false;
  }

  @Override
  public void close() {
    bridge.destroy(); // SIGTERM: the bridge flushes and closes its streams
    try {
      bridge.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connect.stop();
    kafka.stop();
    emulator.close();
  }

  public static void main(String[] args) throws Exception {
    boolean smoke = java.util.Arrays.asList(args).contains("--smoke-test");
    LocalStack stack = smoke ? new LocalStack(0, 0, 0) : new LocalStack(1, 8000, 8083);
    if (smoke) {
      boolean ok;
      try {
        ok = stack.smokeTest(Duration.ofSeconds(60));
      } finally {
        stack.close();
      }
      System.out.println(ok ? "local stack smoke test: HTTP and Kafka records landed" : "local stack smoke test FAILED");
      System.exit(ok ? 0 : 1);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "local-stack-stop"));
    stack.printUrls();
    try (KafkaProducer<String, String> producer = stack.producer();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] parts = line.trim().split("\\s+", 2);
        if (parts.length == 2) {
          producer.send(new ProducerRecord<>(parts[0], parts[1])).get(30, TimeUnit.SECONDS);
          System.out.println("sent to " + parts[0]);
        } else if (!line.isBlank()) {
          System.out.println("expected: <topic> <json>");
        }
      }
    }
    System.exit(0);
  }

  private static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private static Path findRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("config/config.local.json"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("run from inside the project (config/config.local.json not found)");
    }
    return p;
  }
}
