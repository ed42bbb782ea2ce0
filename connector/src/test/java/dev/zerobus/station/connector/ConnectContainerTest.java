package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The project's Connect image with the plugin, against testcontainers-kafka's {@link KafkaContainer} and the
 * emulator image, on a network this test creates: register the sink over the worker's REST API, produce
 * records from here, and read them back from the emulator's admin API.
 *
 * <p>Needs Docker and the images docker-compose.yml builds ({@code docker compose build}, or
 * {@code scripts/compose-smoke}); skipped without a Docker daemon. The broker is the project's own
 * {@code zerobus-station/kafka} image, declared a substitute for {@code apache/kafka} (its entrypoint takes
 * the same KAFKA_* variables), so nothing is pulled. Tagged "docker": {@code mvn -Pdocker -pl connector test}.
 * Ryuk is off (the docker profile sets TESTCONTAINERS_RYUK_DISABLED): containers and the network are removed
 * by {@link #stop()}.
 */
@Tag("docker")
@Testcontainers(disabledWithoutDocker = true)
class ConnectContainerTest {
  static final Path ROOT = Path.of("..");
  static final String CONNECTOR = "zerobus-sink";
  static final int RECORDS = 500;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  static Network network;
  static GenericContainer<?> emulator;
  static KafkaContainer kafka;
  static GenericContainer<?> connect;

  static DockerImageName localImage(String name) {
    String image = "zerobus-station/" + name + ":local";
    assertTrue(DockerClientFactory.instance().client().listImagesCmd().withImageNameFilter(image).exec().size() > 0,
        image + " is not built: run docker compose build (or scripts/compose-smoke) first");
    return DockerImageName.parse(image);
  }

  @BeforeAll
  static void start() {
    network = Network.newNetwork();
    emulator = new GenericContainer<>(localImage("emulator"))
        .withNetwork(network).withNetworkAliases("emulator")
        .withExposedPorts(8088)
        .waitingFor(Wait.forHttp("/health").forPort(8088));
    kafka = new KafkaContainer(localImage("kafka").asCompatibleSubstituteFor("apache/kafka"))
        .withNetwork(network)
        .withListener("kafka:19092"); // what the worker, on the same network, bootstraps from
    connect = new GenericContainer<>(localImage("connect"))
        .withNetwork(network).withNetworkAliases("connect")
        .withEnv(Map.of(
            "CONNECT_BOOTSTRAP_SERVERS", "kafka:19092",
            "CONNECT_OFFSET_FLUSH_INTERVAL_MS", "500",
            "STATION_CONFIG", "config.local.json",
            "ZEROBUS_SERVER_ENDPOINT", "http://emulator:50051",
            "DATABRICKS_WORKSPACE_URL", "http://emulator:8089",
            "DATABRICKS_CLIENT_ID", "emulator-client",
            "DATABRICKS_CLIENT_SECRET", "emulator-secret"))
        .withExposedPorts(8083)
        .waitingFor(Wait.forHttp("/connectors").forPort(8083).withStartupTimeout(Duration.ofMinutes(3)))
        .dependsOn(kafka, emulator);
    connect.start();
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {connect, kafka, emulator, network}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.err.println("cleanup: " + e);
      }
    }
  }

  static String url(GenericContainer<?> c, int port, String path) {
    return "http://" + c.getHost() + ":" + c.getMappedPort(port) + path;
  }

  static HttpResponse<String> http(String method, String url, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Distinct device names landed in a table, read from the emulator's admin API. */
  static Set<String> landed(String table) throws Exception {
    HttpResponse<String> r = http("GET", url(emulator, 8088, "/tables/" + table + "/rows?limit=1000000"), null);
    Set<String> out = new HashSet<>();
    if (r.statusCode() == 200) {
      for (JsonNode row : JSON.readTree(r.body()).path("rows")) {
        out.add(row.path("row").path("device_name").asText());
      }
    }
    return out;
  }

  @Test
  void recordsProducedToKafkaLandThroughTheConnectImage() throws Exception {
    Properties client = new Properties();
    client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
    try (Admin admin = Admin.create(client)) {
      admin.createTopics(java.util.List.of(new NewTopic("station_one", 3, (short) 1))).all().get();
    }

    String config = Files.readString(ROOT.resolve("config/connector.docker.json"));
    HttpResponse<String> put = http("PUT", url(connect, 8083, "/connectors/" + CONNECTOR + "/config"), config);
    assertTrue(put.statusCode() == 201 || put.statusCode() == 200, "registration: " + put.statusCode() + " " + put.body());
    await(Duration.ofMinutes(2), "the connector and its task run", () -> {
      HttpResponse<String> s = http("GET", url(connect, 8083, "/connectors/" + CONNECTOR + "/status"), null);
      JsonNode status = JSON.readTree(s.body());
      return s.statusCode() == 200 && status.path("connector").path("state").asText().equals("RUNNING")
          && status.path("tasks").size() == 1 && status.path("tasks").get(0).path("state").asText().equals("RUNNING");
    });

    client.put(ProducerConfig.ACKS_CONFIG, "all");
    client.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 40_000);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(client, new StringSerializer(), new StringSerializer())) {
      Future<RecordMetadata> last = null;
      for (int i = 0; i < RECORDS; i++) {
        String value = "{\"device_name\":\"tc-" + i + "\",\"temp\":" + (i % 40) + ",\"humidity\":" + i + "}";
        if (i < 3) { // one record per partition first, waited for: a batch right after topic creation can be lost (KAFKA-15591)
          producer.send(new ProducerRecord<>("station_one", i, "k" + i, value)).get();
          continue;
        }
        last = producer.send(new ProducerRecord<>("station_one", "k" + i, value));
      }
      producer.flush();
      last.get();
    }

    await(Duration.ofMinutes(2), RECORDS + " records landed",
        () -> landed("main.default.station_one").size() == RECORDS);
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < RECORDS; i++) {
      expected.add("tc-" + i);
    }
    assertEquals(expected, landed("main.default.station_one"));
  }

  /** What the worker says, for a failure message. */
  static String diagnostics() {
    try {
      String status = http("GET", url(connect, 8083, "/connectors/" + CONNECTOR + "/status"), null).body();
      String rows = http("GET", url(emulator, 8088, "/tables"), null).body();
      String logs = connect.getLogs();
      return "status: " + status + "\nemulator tables: " + rows + "\nworker log (end):\n"
          + logs.substring(Math.max(0, logs.length() - 6000));
    } catch (Exception e) {
      return "no diagnostics: " + e;
    }
  }

  /** Polls the condition until it holds; fails after the timeout with what the worker and the emulator say. */
  static void await(Duration timeout, String what, Callable<Boolean> condition) {
    try {
      Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(250)).until(condition);
    } catch (ConditionTimeoutException e) {
      fail(e.getMessage() + "\n" + diagnostics());
    }
  }
}
