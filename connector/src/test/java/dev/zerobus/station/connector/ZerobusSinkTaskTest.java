package dev.zerobus.station.connector;

import static dev.zerobus.station.connector.ConnectHarness.EVENTS;
import static dev.zerobus.station.connector.ConnectHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task on its own (a stand-in for Connect's context) against the emulator: backpressure, stop, values it must not trust. */
class ZerobusSinkTaskTest {
  static final TopicPartition TP = new TopicPartition("t", 0);

  @TempDir
  Path dir;
  ZerobusEmulator emulator;
  RecordingContext context;
  ZerobusSinkTask task;
  final List<String> logged = new CopyOnWriteArrayList<>();
  private Capture capture;

  @BeforeEach
  void start() throws Exception {
    emulator = ZerobusEmulator.builder().grpcPort(0).workspacePort(0).adminPort(-1).dataDir(dir.resolve("landed"))
        .start();
    context = new RecordingContext();
    capture = new Capture(logged);
    capture.start();
    for (Class<?> c : List.of(Backpressure.class, SinkMetrics.class)) {
      ((Logger) LogManager.getLogger(c)).addAppender(capture);
    }
  }

  @AfterEach
  void stop() {
    if (task != null) {
      task.stop();
    }
    for (Class<?> c : List.of(Backpressure.class, SinkMetrics.class)) {
      ((Logger) LogManager.getLogger(c)).removeAppender(capture);
    }
    emulator.close();
  }

  private void startTask(Map<String, String> extra) {
    Map<String, String> p = new HashMap<>();
    p.put("topics", TP.topic());
    p.put(ZerobusSinkConfig.TOPIC_TABLES, TP.topic() + ":events");
    p.put(ZerobusSinkConfig.CONFIG_FILE,
        TestTables.write(dir.resolve("station"), emulator.zerobusEndpoint(), emulator.workspaceUrl()).toString());
    p.put(ZerobusSinkConfig.CLIENT_ID, emulator.clientId());
    p.put(ZerobusSinkConfig.CLIENT_SECRET, emulator.clientSecret());
    p.putAll(extra);
    task = new ZerobusSinkTask();
    task.initialize(context);
    task.start(p);
    task.open(List.of(TP));
  }

  private static List<SinkRecord> records(long from, int n) {
    List<SinkRecord> out = new ArrayList<>();
    for (long o = from; o < from + n; o++) {
      out.add(record(o, new String(ConnectHarness.event("k-" + o, (int) o), StandardCharsets.UTF_8)));
    }
    return out;
  }

  private static SinkRecord record(long offset, Object value) {
    return new SinkRecord(TP.topic(), TP.partition(), null, null, null, value, offset);
  }

  @Test
  void backpressurePausesAndRewindsThePartitionWithOneWarningAndNoError() throws Exception {
    emulator.faults().withholdAcks(EVENTS);
    startTask(Map.of("max.inflight.records", "100", "max.queued.records", "100",
        "max.batch.records", "50", ZerobusSinkConfig.RETRY_BACKOFF_MS, "200"));
    long rewoundTo = feedUntilRefused(0);
    assertTrue(rewoundTo > 0, "read again from the first record not taken: " + rewoundTo);
    for (int round = 0; round < 3; round++) { // still no acks: refused again after each backoff, one episode
      await(Duration.ofSeconds(10), "the partition resumed after the backoff", () -> {
        task.put(List.of());
        return context.paused.isEmpty();
      });
      rewoundTo = feedUntilRefused(rewoundTo);
    }
    assertEquals(1, logged.stream().filter(l -> l.startsWith("WARN") && l.contains("cannot take more records")).count(),
        logged.toString());

    emulator.faults().releaseAcks(EVENTS);
    emulator.faults().clear();
    long from = rewoundTo;
    long end = from + 50;
    await(Duration.ofSeconds(30), "records taken again", () -> {
      if (!context.paused.isEmpty()) {
        task.put(List.of());
        return false;
      }
      task.put(records(from, 50));
      return context.offsets.remove(TP) == null;
    });
    await(Duration.ofSeconds(30), "every record up to " + end + " durable", () -> {
      Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> c =
          task.preCommit(Map.of(TP, new org.apache.kafka.clients.consumer.OffsetAndMetadata(end)));
      return c.containsKey(TP) && c.get(TP).offset() == end;
    });
    java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong(end);
    await(Duration.ofSeconds(30), "the episode's end logged, after ten backoffs without a refusal", () -> {
      task.put(records(next.getAndIncrement(), 1)); // later records, taken as Zerobus acknowledges again
      return logged.stream().anyMatch(l -> l.startsWith("INFO") && l.contains("takes records again"));
    });
    assertEquals(1, logged.stream().filter(l -> l.startsWith("WARN")).count(), logged.toString());
  }

  /**
   * Hands records over as Connect's consumer would (from where the task said to read, none while
   * paused) until the task pauses the partition; returns where it asked to read again.
   */
  private long feedUntilRefused(long offset) {
    long start = offset;
    while (context.paused.isEmpty()) {
      task.put(records(offset, 50)); // never throws: Connect would log each RetriableException as an ERROR
      offset = context.offsets.getOrDefault(TP, offset + 50);
      assertTrue(offset < start + 10_000, "backpressure never came");
    }
    return context.offsets.remove(TP);
  }

  @Test
  void stopFinishesWithinTheFlushTimeoutWhileAcksAreWithheld() {
    emulator.faults().withholdAcks(EVENTS);
    startTask(Map.of(ZerobusSinkConfig.FLUSH_TIMEOUT_MS, "1000"));
    task.put(records(0, 500));
    long t0 = System.nanoTime();
    task.preCommit(Map.of(TP, new org.apache.kafka.clients.consumer.OffsetAndMetadata(500)));
    task.stop();
    task = null;
    long ms = (System.nanoTime() - t0) / 1_000_000;
    // Connect gives the commit and the stop task.shutdown.graceful.timeout.ms (5 s) together.
    assertTrue(ms < 5_000, "commit and stop took " + ms + " ms");
  }

  @Test
  void integersFromASchemalessJsonConverterAreRefusedNotWrapped() {
    JsonConverter json = new JsonConverter();
    json.configure(Map.of("schemas.enable", "false"), false);
    byte[] raw = "{\"device_name\":\"big\",\"humidity\":12345678901234567890}".getBytes(StandardCharsets.UTF_8);
    SchemaAndValue converted = json.toConnectData(TP.topic(), raw);
    assertEquals(-6101065172474983726L, ((Map<?, ?>) converted.value()).get("humidity"), "the converter wraps it");

    startTask(Map.of());
    ConnectException e = assertThrows(ConnectException.class, () -> task.put(List.of(record(0, converted.value()))));
    assertTrue(e.getMessage().contains("humidity") && e.getMessage().contains("StringConverter"), e.getMessage());

    // The same JSON as text (StringConverter) is refused by the strict encoder, naming the field.
    e = assertThrows(ConnectException.class,
        () -> task.put(List.of(record(1, new String(raw, StandardCharsets.UTF_8)))));
    assertTrue(e.getMessage().contains("humidity"), e.getMessage());
    assertTrue(emulator.rowValues(EVENTS).isEmpty(), "no wrong number landed");
  }

  @Test
  void emptyValuesAndTombstonesAreCountedAndEmptyValuesCanBeRefused() throws Exception {
    startTask(Map.of());
    task.put(List.of(record(0, "{}"), record(1, null), record(2, Map.of()), record(3, null)));
    await(Duration.ofSeconds(30), "two empty rows", () -> emulator.rowValues(EVENTS).size() == 2);
    for (JsonNode row : emulator.rowValues(EVENTS)) {
      assertEquals(TP.topic(), row.path("_kafka_topic").asText(), "metadata columns are on by default: " + row);
      assertTrue(row.path("device_name").isMissingNode() || row.path("device_name").isNull(), row.toString());
    }
    task.stop();
    task = null;
    assertTrue(logged.contains("INFO table events: 2 tombstones skipped, 2 empty values"), logged.toString());

    startTask(Map.of(ZerobusSinkConfig.EMPTY_VALUES, "fail"));
    ConnectException e = assertThrows(ConnectException.class, () -> task.put(List.of(record(10, " { } "))));
    assertTrue(e.getMessage().contains("sets no column") && e.getMessage().contains("offset 10"), e.getMessage());
  }

  /** Log lines as "LEVEL message". */
  static final class Capture extends AbstractAppender {
    private final List<String> lines;

    Capture(List<String> lines) {
      super("capture", null, null, true, Property.EMPTY_ARRAY);
      this.lines = lines;
    }

    @Override
    public void append(LogEvent event) {
      lines.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
    }
  }
}
