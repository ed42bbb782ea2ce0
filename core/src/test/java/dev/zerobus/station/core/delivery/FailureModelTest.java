package dev.zerobus.station.core.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Settings.Setting;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.IngestTicket;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.delivery.TableHealth;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import dev.zerobus.station.core.delivery.ZerobusFailure;
import dev.zerobus.station.core.delivery.ZerobusFailure.Kind;
import dev.zerobus.station.core.errors.RecordsRefusedException;
import dev.zerobus.station.core.errors.StreamUnavailableException;
import dev.zerobus.station.core.errors.TooLargeException;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.Fixtures;
import dev.zerobus.station.core.testing.ScriptedZerobus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failure model (docs/delivery.md), one test per row, against a scripted Zerobus: what the
 * core does for each failure class and what the caller's ticket says.
 */
class FailureModelTest {
  static final StreamSettings QUICK = StreamSettings.DEFAULTS
      .with(Setting.REOPEN_BACKOFF_MAX_MS, 200)
      .with(Setting.FAILED_COOLDOWN_MS, 300)
      .with(Setting.ACK_TIMEOUT_MS, 10_000);

  @TempDir
  Path dir;
  TableRegistry registry;
  ScriptedZerobus zerobus;
  StreamManager manager;

  @BeforeEach
  void setUp() {
    registry = Fixtures.standard(dir, "http://127.0.0.1:1", "http://127.0.0.1:1", EncoderOptions.STRICT);
    zerobus = new ScriptedZerobus();
  }

  @AfterEach
  void tearDown() {
    if (manager != null) {
      manager.close(java.time.Duration.ofSeconds(5));
    }
    assertEquals(0, Lane.illegalMoves(), "a lane moved outside Lane.TRANSITIONS (see the log)");
  }

  private StreamManager start(StreamSettings settings) {
    manager = new StreamManager(registry, zerobus, settings);
    return manager;
  }

  static byte[] rec(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<byte[]> recs(String prefix, int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(rec(prefix + i));
    }
    return out;
  }

  private Set<String> landed() {
    Set<String> out = new HashSet<>();
    for (byte[] r : zerobus.landed()) {
      out.add(new String(r, StandardCharsets.UTF_8));
    }
    return out;
  }

  private void assertLanded(List<byte[]> records) {
    Set<String> landed = landed();
    for (byte[] r : records) {
      assertTrue(landed.contains(new String(r, StandardCharsets.UTF_8)), "landed: " + new String(r));
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // poll, leave the cores to the lanes
    }
  }

  static Throwable failureOf(CompletableFuture<?> f) throws InterruptedException {
    try {
      f.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within 30 s");
    }
  }

  // --- UNAVAILABLE: stream lost, ack timeout, service or token endpoint unreachable ---

  @Test
  void aLostStreamIsReplacedAndItsUnackedCallsReplayedInOrder() throws Exception {
    start(QUICK);
    zerobus.holdAcks(true);
    List<byte[]> first = recs("a", 50);
    IngestTicket t1 = manager.ingest("station_one", first);
    t1.accepted().get(10, TimeUnit.SECONDS);
    zerobus.loseStream("UNAVAILABLE: connection reset");
    zerobus.holdAcks(false);
    List<byte[]> second = recs("b", 50);
    await("the stream to be replaced", () -> zerobus.opens.get() == 2);
    IngestTicket t2 = manager.ingest("station_one", second);
    t1.durable().get(10, TimeUnit.SECONDS);
    t2.durable().get(10, TimeUnit.SECONDS);
    assertLanded(first);
    assertLanded(second);
    assertEquals(100, manager.health("station_one").recordsDurable());
    assertEquals(0, manager.health("station_one").inflightRecords(), "the in-flight window is whole again");
  }

  @Test
  void openingRetriesUnavailableWithGrowingJitteredPauses() throws Exception {
    ZerobusFailure down = new ZerobusFailure(Kind.UNAVAILABLE, "cannot connect to the Zerobus endpoint (UNAVAILABLE:"
        + " tcp connect error)");
    zerobus.failNextOpens(down, down, down, down);
    start(QUICK);
    IngestTicket t = manager.ingest("station_one", recs("x", 3));
    t.durable().get(30, TimeUnit.SECONDS);
    assertEquals(5, zerobus.openAttempts.get());
    List<Long> at = zerobus.openAttemptNanos();
    // Pauses start at 50-100 ms and double (capped at 200 ms here): the loop can never spin.
    for (int i = 1; i < at.size(); i++) {
      long gapMs = TimeUnit.NANOSECONDS.toMillis(at.get(i) - at.get(i - 1));
      assertTrue(gapMs >= 50, "pause before attempt " + (i + 1) + " was " + gapMs + " ms");
    }
  }

  @Test
  void readinessReportsWhyTheTableCannotOpenWhileItKeepsTrying() throws Exception {
    zerobus.failEveryOpen(new ZerobusFailure(Kind.UNAVAILABLE, "the workspace's OAuth token endpoint answered HTTP"
        + " 503"));
    start(QUICK);
    CompletableFuture<Void> ready = manager.open("station_one");
    await("a few attempts", () -> zerobus.openAttempts.get() >= 3);
    assertFalse(ready.isDone());
    TableHealth health = manager.health("station_one");
    assertEquals(StreamState.RECOVERING, health.state());
    assertTrue(health.lastError().contains("HTTP 503"), health.lastError());
  }

  // --- TABLE: schema mismatch, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED, token 4xx ---

  @Test
  void aTableFailureFailsTheRecordsNamingTheCauseAndRefusesForACooldown() throws Exception {
    zerobus.failNextOpens(new ZerobusFailure(Kind.TABLE, "PERMISSION_DENIED: no MODIFY on main.test.station_one"));
    start(QUICK);
    IngestTicket t = manager.ingest("station_one", recs("p", 2));
    Throwable e = failureOf(t.durable());
    assertInstanceOf(StreamUnavailableException.class, e);
    assertTrue(e.getMessage().contains("PERMISSION_DENIED: no MODIFY"), e.getMessage());
    assertTrue(e.getMessage().contains("station_one"), e.getMessage());
    assertFalse(t.handedToStream(), "nothing reached a stream, so nothing may still land");
    StreamUnavailableException refused = assertThrows(StreamUnavailableException.class,
        () -> manager.ingest("station_one", recs("q", 1)));
    assertTrue(refused.retryAfter().toMillis() > 0);
    assertEquals(StreamState.FAILED, manager.health("station_one").state());
    // After the cooldown, the table is tried again and works.
    await("the cooldown to pass", () -> {
      try {
        manager.ingest("station_one", recs("r", 1)).durable().get(5, TimeUnit.SECONDS);
        return true;
      } catch (StreamUnavailableException retryLater) {
        return false;
      } catch (Exception other) {
        throw new AssertionError(other);
      }
    });
    assertEquals(2, manager.health("station_one").recordsFailed());
  }

  @Test
  void aTableFailureWhileReplayingFailsEveryRecordItHeldOnce() throws Exception {
    start(QUICK);
    zerobus.holdAcks(true);
    IngestTicket t = manager.ingest("station_one", recs("h", 10));
    t.accepted().get(10, TimeUnit.SECONDS);
    zerobus.failEveryOpen(new ZerobusFailure(Kind.TABLE, "NOT_FOUND: table main.test.station_one does not exist"));
    zerobus.loseStream("UNAVAILABLE: gone");
    Throwable e = failureOf(t.durable());
    assertTrue(e.getMessage().contains("NOT_FOUND"), e.getMessage());
    assertTrue(t.handedToStream(), "they were sent once, so a caller must be told they may have landed");
    await("the window to empty", () -> manager.health("station_one").inflightRecords() == 0);
    assertEquals(10, manager.health("station_one").recordsFailed());
  }

  // --- RECORD: a record the service refuses at ingest ---

  @Test
  void aRefusedRecordIsIsolatedAndOnlyItFails() throws Exception {
    zerobus.refuseRecords(r -> new String(r, StandardCharsets.UTF_8).equals("bad"),
        "INVALID_ARGUMENT: field 'temp' value 1000 is out of range for TINYINT");
    start(QUICK);
    List<byte[]> batch = recs("ok", 99);
    batch.add(37, rec("bad"));
    IngestTicket t = manager.ingest("station_one", batch);
    Throwable e = failureOf(t.durable());
    RecordsRefusedException refused = assertInstanceOf(RecordsRefusedException.class, e);
    assertEquals(1, refused.refusals().size());
    assertEquals(37, refused.refusals().get(0).index());
    assertTrue(refused.refusals().get(0).reason().contains("out of range for TINYINT"));
    List<byte[]> good = new ArrayList<>(batch);
    good.remove(37);
    assertLanded(good);
    assertFalse(landed().contains("bad"));
    // One failed stream, then at most log2(100) refused halves, each on a fresh stream.
    int bound = (int) Math.ceil(Math.log(100) / Math.log(2)) + 2;
    assertTrue(zerobus.opens.get() <= bound, "opened " + zerobus.opens.get() + " streams, bound " + bound);
    // The table keeps flowing.
    manager.ingest("station_one", recs("after", 5)).durable().get(10, TimeUnit.SECONDS);
    assertEquals(0, manager.health("station_one").inflightRecords());
  }

  @Test
  void otherCallersInTheSameCoalescedCallLandWhenOneRecordIsRefused() throws Exception {
    zerobus.refuseRecords(r -> new String(r, StandardCharsets.UTF_8).startsWith("poison"),
        "INVALID_ARGUMENT: refused");
    start(QUICK);
    zerobus.holdAcks(true); // every ticket below goes out before any ack
    List<IngestTicket> good = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      good.add(manager.ingest("station_one", List.of(rec("good" + i))));
    }
    IngestTicket poison = manager.ingest("station_one", List.of(rec("poison")));
    for (int i = 20; i < 40; i++) {
      good.add(manager.ingest("station_one", List.of(rec("good" + i))));
    }
    zerobus.holdAcks(false);
    assertInstanceOf(RecordsRefusedException.class, failureOf(poison.durable()));
    for (IngestTicket t : good) {
      t.durable().get(10, TimeUnit.SECONDS);
    }
    assertEquals(40, landed().stream().filter(s -> s.startsWith("good")).count());
  }

  @Test
  void severalRefusedRecordsInOneSubmissionAreEachNamed() throws Exception {
    zerobus.refuseRecords(r -> new String(r, StandardCharsets.UTF_8).startsWith("bad"), "INVALID_ARGUMENT: no");
    start(QUICK);
    List<byte[]> batch = recs("ok", 30);
    batch.set(3, rec("bad3"));
    batch.set(29, rec("bad29"));
    RecordsRefusedException e = assertInstanceOf(RecordsRefusedException.class,
        failureOf(manager.ingest("station_one", batch).durable()));
    assertEquals(List.of(3, 29), e.refusals().stream().map(RecordsRefusedException.Refusal::index).toList());
    assertEquals(28, landed().stream().filter(s -> s.startsWith("ok")).count());
  }

  @Test
  void aTableFailureWhileIsolatingFailsWhatIsLeftAndNothingHangs() throws Exception {
    start(QUICK);
    manager.open("station_one").get(10, TimeUnit.SECONDS);
    zerobus.refuseRecords(r -> new String(r, StandardCharsets.UTF_8).equals("bad"), "INVALID_ARGUMENT: no")
        .failEveryOpen(new ZerobusFailure(Kind.TABLE, "PERMISSION_DENIED: MODIFY was revoked"));
    List<byte[]> batch = recs("ok", 9);
    batch.add(4, rec("bad"));
    IngestTicket t = manager.ingest("station_one", batch);
    Throwable e = failureOf(t.durable());
    assertTrue(e.getMessage().contains("PERMISSION_DENIED: MODIFY was revoked"), e.getMessage());
    await("the window to empty", () -> manager.health("station_one").inflightRecords() == 0);
    assertEquals(StreamState.FAILED, manager.health("station_one").state());
  }

  // --- Size: calls fit the service's message limit ---

  @Test
  void aLargeSubmissionIsSplitIntoCallsUnderTheByteLimit() throws Exception {
    start(QUICK.with(Setting.MAX_BATCH_BYTES, 10_000).with(Setting.MAX_BATCH_RECORDS, 100_000));
    List<byte[]> big = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      big.add(new byte[100]);
    }
    manager.ingest("station_one", big).durable().get(10, TimeUnit.SECONDS);
    List<Integer> sizes = zerobus.callSizes();
    assertTrue(sizes.size() >= 11, "split into " + sizes);
    for (int n : sizes) {
      // 102 bytes on the wire per record, plus the call's own overhead.
      assertTrue(n * 102 + Batcher.CALL_OVERHEAD_BYTES <= 10_000, "a call of " + n + " records");
    }
    assertEquals(1000, sizes.stream().mapToInt(Integer::intValue).sum());
  }

  @Test
  void aRecordNoCallCanCarryIsRefusedUpFrontNamingItsSize() {
    start(QUICK.with(Setting.MAX_BATCH_BYTES, 4096));
    List<byte[]> records = List.of(new byte[10], new byte[5000]);
    TooLargeException e = assertThrows(TooLargeException.class, () -> manager.ingest("station_one", records));
    assertEquals(1, e.index());
    assertTrue(e.getMessage().contains("record 1 is 5000 bytes"), e.getMessage());
    assertEquals(0, zerobus.opens.get(), "nothing was sent");
  }

  @Test
  void theQueueLimitHoldsForASubmissionOfAnySize() {
    start(QUICK.with(Setting.MAX_QUEUED_RECORDS, 100));
    TooLargeException e = assertThrows(TooLargeException.class,
        () -> manager.ingest("station_one", recs("x", 101)));
    assertTrue(e.getMessage().contains("max.queued.records=100"), e.getMessage());
  }

  // --- Lifecycle ---

  @Test
  void closeFailsEveryPendingTicketAndCountsExactlyWhatWasNotDurable() throws Exception {
    start(QUICK);
    zerobus.holdAcks(true);
    IngestTicket sent = manager.ingest("station_one", recs("s", 7));
    sent.accepted().get(10, TimeUnit.SECONDS);
    long notDurable = manager.close(java.time.Duration.ofMillis(200));
    manager = null;
    assertEquals(7, notDurable);
    Throwable e = failureOf(sent.durable());
    assertTrue(e.getMessage().contains("shut down before Zerobus acknowledged"), e.getMessage());
    assertTrue(zerobus.closed(), "the client is closed once the senders stopped");
  }

  @Test
  void closeWaitsForAcksThatArriveInTime() throws Exception {
    start(QUICK);
    IngestTicket t = manager.ingest("station_one", recs("c", 5));
    assertEquals(0, manager.close(java.time.Duration.ofSeconds(10)));
    manager = null;
    t.durable().get(1, TimeUnit.SECONDS);
  }

  @Test
  void aLateFailureFromAReplacedStreamDoesNotTouchTheNewOne() throws Exception {
    start(QUICK);
    manager.ingest("station_one", recs("one", 3)).durable().get(10, TimeUnit.SECONDS);
    zerobus.loseStream("UNAVAILABLE: first loss");
    await("a new stream", () -> {
      try {
        manager.ingest("station_one", recs("two", 1)).durable().get(5, TimeUnit.SECONDS);
        return zerobus.opens.get() == 2;
      } catch (StreamUnavailableException recovering) {
        return false;
      } catch (Exception other) {
        throw new AssertionError(other);
      }
    });
    // The old stream's events object is gone with it; a new loss is needed to disturb the lane again.
    manager.ingest("station_one", recs("three", 3)).durable().get(10, TimeUnit.SECONDS);
    assertEquals(2, zerobus.opens.get());
    assertEquals(StreamState.OPEN, manager.health("station_one").state());
  }

  @Test
  void recordsWithoutALaneKeyReachEveryStreamOfTheTable() throws Exception {
    start(QUICK.with(Setting.STREAMS_PER_TABLE, 2));
    List<IngestTicket> tickets = new ArrayList<>();
    // Lanes take turns by time slice, so a steady flow of single records reaches both within a few slices.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (zerobus.opens.get() < 2 && System.nanoTime() < deadline && tickets.size() < 100_000) {
      tickets.add(manager.ingest("station_one", rec("r" + tickets.size())));
    }
    assertEquals(2, zerobus.opens.get(), "both streams of the table were used");
    for (IngestTicket t : tickets) {
      t.durable().get(10, TimeUnit.SECONDS);
    }
    assertEquals(tickets.size(), zerobus.landed().size());
  }
}
