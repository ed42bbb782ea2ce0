package dev.zerobus.station.core.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Settings.Setting;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.IngestTicket;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.delivery.TableHealth;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import dev.zerobus.station.core.errors.BackpressureException;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.errors.IngestRefusedException;
import dev.zerobus.station.core.errors.StreamUnavailableException;
import dev.zerobus.station.core.errors.UnknownTableException;
import dev.zerobus.station.core.sdk.SdkZerobusClient;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.Fixtures;
import dev.zerobus.station.emulator.ZerobusEmulator;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stream manager with the real SDK against the emulator. */
class StreamManagerTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** Quick to give up and to come back, so failure paths run in seconds. */
  static final StreamSettings FAST = StreamSettings.DEFAULTS.with(Setting.RECOVERY_RETRIES, 1)
      .with(Setting.RECOVERY_BACKOFF_MS, 100).with(Setting.RECOVERY_TIMEOUT_MS, 1000)
      .with(Setting.ACK_TIMEOUT_MS, 2000).with(Setting.REOPEN_BACKOFF_MAX_MS, 500)
      .with(Setting.FAILED_COOLDOWN_MS, 1000);

  @TempDir
  static Path dir;
  static ZerobusEmulator emulator;
  static TableRegistry registry;
  static Credentials credentials;
  static StreamManager manager;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder().start();
    registry = Fixtures.standard(dir, emulator.zerobusEndpoint(), emulator.workspaceUrl(), EncoderOptions.STRICT);
    credentials = new Credentials(emulator.clientId(), emulator.clientSecret());
    manager = SdkZerobusClient.streamManager(registry, credentials, FAST);
  }

  @AfterAll
  static void stop() {
    manager.close();
    emulator.close();
  }

  @AfterEach
  void clearFaults() {
    emulator.faults().clear();
  }

  @Test
  void everyTypeLandsAsItWasSent() throws Exception {
    String record = """
        {"id": "r1", "name": "ünï ✓", "small": -7, "big": 9007199254740993, "ratio": 0.25, "score": 1.5,
         "active": true, "payload": "AAH/", "tags": ["a", "b"], "counters": {"x": 1}, "location": {"lat": 52.5},
         "stops": [{"label": "one"}], "day": "2024-02-29", "at": "2024-02-29T10:15:30.5Z", "delta": -5,
         "flags": 4294967295, "huge": 18446744073709551615, "readings": [1, 2], "labels": {"7": "seven"}}
        """;
    TableDefinition all = registry.find("all_types").orElseThrow();
    manager.ingest("all_types", all.encoder().encode(record.getBytes(StandardCharsets.UTF_8))).durable().get(30, TimeUnit.SECONDS);

    JsonNode landed = emulator.rowValues("main.test.all_types").get(0);
    JsonNode expected = MAPPER.readTree(record.replace("\"2024-02-29\"", String.valueOf(LocalDate.of(2024, 2, 29).toEpochDay()))
        .replace("\"2024-02-29T10:15:30.5Z\"", String.valueOf(Instant.parse("2024-02-29T10:15:30.5Z").toEpochMilli() * 1000)));
    assertEquals(expected, landed);
  }

  @Test
  void sixteenThreadsIntoTwoTablesLandEveryRecordExactlyOnce() throws Exception {
    // The default settings: the shared manager's 2 s ack timeout (for the fault tests) can expire on a loaded
    // 2-core machine, and the SDK's recovery then replays records that had landed, as it may.
    try (StreamManager exact = SdkZerobusClient.streamManager(registry, credentials, StreamSettings.DEFAULTS)) {
      sixteenThreads(exact);
    }
  }

  private void sixteenThreads(StreamManager manager) throws Exception {
    int threads = 16;
    int perThread = 2_500;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<List<IngestTicket>>> work = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      work.add(pool.submit(() -> {
        List<IngestTicket> tickets = new ArrayList<>();
        for (int i = 0; i < perThread; i++) {
          String table = i % 2 == 0 ? "station_one" : "station_two";
          byte[] row = encode(table, "{\"device_name\": \"t" + thread + "-" + i + "\", \"temp\": " + i + "}");
          tickets.add(ingestPolitely(manager, table, List.of(row)));
        }
        return tickets;
      }));
    }
    for (Future<List<IngestTicket>> f : work) {
      for (IngestTicket ticket : f.get(120, TimeUnit.SECONDS)) {
        ticket.durable().get(60, TimeUnit.SECONDS);
      }
    }
    pool.shutdown();
    for (String table : List.of("main.test.station_one", "main.test.station_two")) {
      List<String> names = new ArrayList<>();
      for (JsonNode r : emulator.rowValues(table)) {
        String name = r.path("device_name").asText();
        if (name.matches("t\\d+-\\d+")) {
          names.add(name);
        }
      }
      assertEquals(threads * perThread / 2, names.size(), table + " rows");
      assertEquals(names.size(), new HashSet<>(names).size(), table + ": no duplicates");
    }
    TableHealth health = manager.health("station_one");
    assertEquals(StreamState.OPEN, health.state());
    assertTrue(health.recordsDurable() >= threads * perThread / 2);
  }

  @Test
  void singleRecordsAreCoalescedIntoBatches() throws Exception {
    List<IngestTicket> tickets = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      tickets.add(ingestPolitely("station_one", List.of(encode("station_one", "{\"temp\": " + i + "}"))));
    }
    Set<Long> offsets = new HashSet<>();
    for (IngestTicket t : tickets) {
      offsets.add(t.accepted().get(30, TimeUnit.SECONDS));
      t.durable().get(30, TimeUnit.SECONDS);
    }
    assertTrue(offsets.size() < tickets.size() / 2, "2000 records went out in " + offsets.size() + " SDK calls");
  }

  @Test
  void aStreamTheSdkGivesUpIsReplacedAndItsUnackedRecordsReplayed(@TempDir Path other) throws Exception {
    // Its own emulator: the restart below would disturb the other tests' streams.
    try (ZerobusEmulator own = ZerobusEmulator.builder().start()) {
      TableRegistry ownRegistry = Fixtures.standard(other, own.zerobusEndpoint(), own.workspaceUrl(), EncoderOptions.STRICT);
      try (StreamManager lanes = SdkZerobusClient.streamManager(ownRegistry, new Credentials(own.clientId(), own.clientSecret()), FAST)) {
        List<IngestTicket> tickets = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          tickets.add(lanes.ingest("station_two", rows("station_two", "replay-", i * 100, 100)));
        }
        lanes.flush("station_two").get(30, TimeUnit.SECONDS);
        long before = own.rowCount("main.test.station_two");

        own.faults().withholdAcks("main.test.station_two");
        for (int i = 50; i < 60; i++) {
          tickets.add(lanes.ingest("station_two", rows("station_two", "replay-", i * 100, 100)));
        }
        waitFor(() -> own.rowCount("main.test.station_two") >= before + 1_000);
        // Down longer than the SDK's one retry: it gives the stream up; the manager opens another.
        own.restart(Duration.ofSeconds(3));
        own.faults().clear();
        for (IngestTicket t : tickets) {
          t.durable().get(60, TimeUnit.SECONDS);
        }
        TableHealth health = lanes.health("station_two");
        assertEquals(StreamState.OPEN, health.state());
        assertTrue(health.streamsOpened() >= 2, "a new stream: " + health);
        assertTrue(health.recordsReplayed() >= 1_000, "the unacked records were replayed: " + health);
        Set<String> names = new HashSet<>();
        own.rowValues("main.test.station_two").forEach(r -> names.add(r.get("device_name").asText()));
        for (int i = 0; i < 6_000; i++) {
          assertTrue(names.contains("replay-" + i), "replay-" + i + " landed");
        }
      }
    }
  }

  @Test
  void aNonRetryableFailureFailsTheRecordsAndRefusesIngestForACooldown(@TempDir Path other) throws Exception {
    TableRegistry fresh = Fixtures.standard(other, emulator.zerobusEndpoint(), emulator.workspaceUrl(), EncoderOptions.STRICT);
    try (StreamManager own = SdkZerobusClient.streamManager(fresh, credentials, FAST)) {
      emulator.faults().refuseStreams("main.test.station_one", Status.Code.PERMISSION_DENIED, "no MODIFY on main.test.station_one", 0);
      IngestTicket ticket = own.ingest("station_one", rows("station_one", "denied-", 0, 3));
      ExecutionException e = assertThrows(ExecutionException.class, () -> ticket.durable().get(30, TimeUnit.SECONDS));
      assertInstanceOf(StreamUnavailableException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("PERMISSION_DENIED: no MODIFY"), e.getCause().getMessage());

      TableHealth health = own.health("station_one");
      assertEquals(StreamState.FAILED, health.state());
      assertEquals(3, health.recordsFailed());
      StreamUnavailableException refused = assertThrows(StreamUnavailableException.class,
          () -> own.ingest("station_one", rows("station_one", "x-", 0, 1)));
      assertTrue(refused.retryAfter().toMillis() >= 1, refused.getMessage());
      assertTrue(refused.getMessage().contains("no MODIFY"), refused.getMessage());

      emulator.faults().clear();
      // Refused until the cooldown ends, then a new stream is tried and works.
      waitFor(() -> {
        try {
          own.ingest("station_one", rows("station_one", "after-", 0, 1)).durable().get(30, TimeUnit.SECONDS);
          return true;
        } catch (StreamUnavailableException coolingDown) {
          return false;
        } catch (Exception unexpected) {
          throw new AssertionError(unexpected);
        }
      });
      assertEquals(StreamState.OPEN, own.health("station_one").state());
    }
  }

  @Test
  void aFullLaneRefusesWithBackpressureInsteadOfQueueingWithoutBound(@TempDir Path other) throws Exception {
    TableRegistry fresh = Fixtures.standard(other, emulator.zerobusEndpoint(), emulator.workspaceUrl(), EncoderOptions.STRICT);
    try (StreamManager small = SdkZerobusClient.streamManager(fresh, credentials, FAST.with(Setting.MAX_INFLIGHT_RECORDS, 100).with(Setting.MAX_QUEUED_RECORDS, 200))) {
      small.open("station_one").get(30, TimeUnit.SECONDS);
      emulator.faults().withholdAcks("main.test.station_one");
      List<IngestTicket> tickets = new ArrayList<>();
      tickets.add(small.ingest("station_one", rows("station_one", "bp-", 0, 100)));
      waitFor(() -> small.health("station_one").inflightRecords() == 100);
      tickets.add(small.ingest("station_one", rows("station_one", "bp-", 100, 150)));
      BackpressureException full = assertThrows(BackpressureException.class,
          () -> small.ingest("station_one", rows("station_one", "bp-", 250, 100)));
      assertTrue(full.getMessage().contains("150 records are waiting"), full.getMessage());
      assertEquals(150, small.health("station_one").queuedRecords());

      emulator.faults().releaseAcks("main.test.station_one");
      for (IngestTicket t : tickets) {
        t.durable().get(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void flushWaitsForTheAcks() throws Exception {
    emulator.faults().delayAcks("main.test.station_one", Duration.ofMillis(300));
    manager.open("station_one").get(30, TimeUnit.SECONDS);
    long started = System.nanoTime();
    for (int i = 0; i < 200; i++) {
      manager.ingest("station_one", rows("station_one", "flush-", i, 1));
    }
    manager.flush("station_one").get(30, TimeUnit.SECONDS);
    assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(300));
    assertEquals(0, manager.health("station_one").inflightRecords());
  }

  @Test
  void closeReportsWhatDidNotBecomeDurable(@TempDir Path other) throws Exception {
    TableRegistry fresh = Fixtures.standard(other, emulator.zerobusEndpoint(), emulator.workspaceUrl(), EncoderOptions.STRICT);
    StreamManager own = SdkZerobusClient.streamManager(fresh, credentials, FAST);
    own.open("station_two").get(30, TimeUnit.SECONDS);
    emulator.faults().withholdAcks("main.test.station_two");
    own.ingest("station_two", rows("station_two", "unacked-", 0, 10));
    assertEquals(10, own.close(Duration.ofMillis(500)));
    assertEquals(StreamState.CLOSED, own.health("station_two").state());
  }

  @Test
  void unknownTablesAreNamed() {
    UnknownTableException e = assertThrows(UnknownTableException.class, () -> manager.ingest("nope", new byte[0]));
    assertEquals("table 'nope' is not configured (configured: station_one, station_two, all_types)", e.getMessage());
  }

  private static byte[] encode(String table, String json) {
    try {
      return registry.find(table).orElseThrow().encoder().encode(json.getBytes(StandardCharsets.UTF_8));
    } catch (EncodeException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  private static List<byte[]> rows(String table, String prefix, int from, int count) {
    List<byte[]> out = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      out.add(encode(table, "{\"device_name\": \"" + prefix + i + "\", \"temp\": " + (i % 100) + "}"));
    }
    return out;
  }

  /** Retries when refused (backpressure, a stream being opened), as a well-behaved client does. */
  private static IngestTicket ingestPolitely(String table, List<byte[]> rows) throws InterruptedException {
    return ingestPolitely(manager, table, rows);
  }

  private static IngestTicket ingestPolitely(StreamManager manager, String table, List<byte[]> rows)
      throws InterruptedException {
    while (true) {
      try {
        return manager.ingest(table, rows);
      } catch (IngestRefusedException e) {
        Thread.sleep(5);
      }
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting");
      }
      Thread.sleep(10);
    }
  }
}
