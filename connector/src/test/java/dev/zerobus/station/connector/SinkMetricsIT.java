package dev.zerobus.station.connector;

import static dev.zerobus.station.connector.ConnectHarness.EVENTS;
import static dev.zerobus.station.connector.ConnectHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import io.prometheus.jmx.JmxCollector;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The task's metrics as a Connect deployment reads them: from the worker's JMX, and through the
 * Prometheus JMX exporter with the rules in config/prometheus, which the connector dashboard queries.
 */
class SinkMetricsIT extends ConnectClusterTest {
  static final Path RULES = Path.of("..", "config", "prometheus", "connect-jmx-exporter.yml");
  static final Path DASHBOARD = Path.of("..", "config", "grafana", "zerobus-connector-dashboard.json");
  static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();

  /** An attribute of the task's plugin metrics: the task's own ({@code table} null) or a table's. */
  static long metric(String connector, String table, String name) throws Exception {
    Set<ObjectName> names = JMX.queryNames(new ObjectName(
        "kafka.connect:type=plugins,connector=" + connector + ",task=0" + (table == null ? "" : ",table=" + table)), null);
    if (names.isEmpty()) {
      return Long.MIN_VALUE; // not registered yet
    }
    return ((Number) JMX.getAttribute(names.iterator().next(), name)).longValue();
  }

  private String start(String name, String topic) throws Exception {
    Map<String, String> props = h.connector(topic, 1);
    props.put(ZerobusSinkConfig.TOPIC_TABLES, topic + ":events");
    h.start(name, props, 1);
    return name;
  }

  /**
   * Bursts of records that say they are ten seconds old, with acks held back by the emulator's delay-acks fault:
   * once the test sees the burst acknowledged, the lag metric must lie between the earliest the acks could have
   * come (sent + delay) and when the test saw them, minus the records' timestamp, and within a second of the latter.
   */
  @Test
  void lagReadsWithinASecondOfTheTruthWhileAcksAreHeldBack() throws Exception {
    String topic = "m-lag";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, 3);
    String c = start("m-lag", topic);
    await(Duration.ofSeconds(60), "the warm-up records acknowledged", () -> read(c, "events", "records-acked-total") == 3);
    assertEquals(StreamState.OPEN.ordinal(), metric(c, "events", "stream-state"));
    int n = 300;
    long acked = 3;
    for (long delay : List.of(2_000L, 4_000L)) {
      h.emulator.faults().delayAcks(EVENTS, Duration.ofMillis(delay));
      long sentAt = System.currentTimeMillis();
      long timestamp = sentAt - 10_000;
      List<Future<?>> sends = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sends.add(producer.send(new ProducerRecord<>(topic, i % 3, timestamp, null, ConnectHarness.event("lag-" + i, i))));
      }
      for (Future<?> f : sends) {
        f.get(30, TimeUnit.SECONDS);
      }
      await(Duration.ofSeconds(60), "records in flight and behind while their acks are held back",
          () -> read(c, "events", "records-in-flight") > 0 && read(c, null, "records-behind") > 0);
      long target = acked + n;
      long seenAt = pollUntil(() -> read(c, "events", "records-acked-total") >= target);
      acked = target;
      long lag = metric(c, "events", "durable-lag-ms");
      long earliest = sentAt + delay - timestamp;
      long latest = seenAt - timestamp;
      System.out.printf("CONNECTOR-LAG acks delayed %d ms, records 10 s old: durable-lag-ms %d, truth between %d and %d%n",
          delay, lag, earliest, latest);
      assertTrue(lag >= earliest && lag <= latest, lag + " not within [" + earliest + ", " + latest + "]");
      assertTrue(latest - lag <= 1_000, "the metric " + lag + " lags the acks seen at " + latest + " by more than 1 s");
      assertTrue(metric(c, "events", "ack-latency-p99-ms") >= delay, "ack latency p99 at least the delay");
      await(Duration.ofSeconds(30), "nothing behind once durable", () -> read(c, null, "records-behind") == 0
          && read(c, "events", "records-in-flight") == 0);
    }
    producer.close();
    h.emulator.faults().clear();
  }

  /** The dashboard asks only for series the exporter serves, and knows every stream state by its number. */
  @Test
  void theConnectorDashboardAsksOnlyForSeriesTheExporterServes() throws Exception {
    String topic = "m-dash";
    KafkaProducer<byte[], byte[]> producer = h.topic(topic, 3);
    String c = start("m-dash", topic);
    await(Duration.ofSeconds(60), "records acknowledged", () -> read(c, "events", "records-acked-total") == 3);
    producer.close();

    String scraped = scrape();
    Set<String> served = new TreeSet<>();
    for (String line : scraped.split("\n")) {
      if (!line.startsWith("#") && line.startsWith("kafka_connect_zerobus_") && line.contains("connector=\"" + c + "\"")) {
        served.add(line.split("[{ ]", 2)[0]);
      }
    }
    // Every metric the task registers comes out under the rules.
    Set<String> registered = new TreeSet<>();
    for (ObjectName o : JMX.queryNames(new ObjectName("kafka.connect:type=plugins,connector=" + c + ",*"), null)) {
      for (MBeanAttributeInfo a : JMX.getMBeanInfo(o).getAttributes()) {
        registered.add("kafka_connect_zerobus_" + a.getName().replace('-', '_'));
      }
    }
    assertEquals(registered, served, "the exporter rules cover every task metric; served:\n" + scraped);

    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    Set<String> asked = new TreeSet<>();
    Pattern metric = Pattern.compile("\\bkafka_connect_zerobus_[a-z0-9_]+");
    List<JsonNode> panels = new ArrayList<>();
    dashboard.get("panels").forEach(panels::add);
    for (JsonNode panel : panels) {
      for (JsonNode t : panel.path("targets")) {
        Matcher m = metric.matcher(t.get("expr").asText());
        while (m.find()) {
          asked.add(m.group());
        }
      }
    }
    Set<String> missing = new TreeSet<>(asked);
    missing.removeAll(served);
    assertTrue(missing.isEmpty(), "the dashboard asks for series the exporter does not serve: " + missing);
    assertTrue(asked.size() >= 10, "series asked for: " + asked);

    JsonNode states = panels.stream().filter(p -> p.path("title").asText().startsWith("Stream state")).findFirst()
        .orElseThrow().path("fieldConfig").path("defaults").path("mappings").get(0).path("options");
    for (StreamState s : StreamState.values()) {
      assertEquals(s.name().toLowerCase(), states.path(String.valueOf(s.ordinal())).path("text").asText(),
          "the dashboard's name for stream-state " + s.ordinal());
    }
  }

  /** What the exporter's agent would serve from this JVM's JMX with the rules. */
  private static String scrape() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    new JmxCollector(Files.readString(RULES)).register(registry);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  private static long read(String connector, String table, String name) {
    try {
      return metric(connector, table, name);
    } catch (Exception e) {
      return Long.MIN_VALUE;
    }
  }

  /** Polls every 10 ms until the condition holds (60 s at most); returns when it was seen (ms since the epoch). */
  private static long pollUntil(java.util.function.BooleanSupplier condition) {
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
        .until(condition::getAsBoolean);
    return System.currentTimeMillis();
  }
}
