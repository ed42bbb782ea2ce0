package dev.zerobus.station.core.delivery;

import static dev.zerobus.station.core.delivery.FailureModelTest.await;
import static dev.zerobus.station.core.delivery.FailureModelTest.failureOf;
import static dev.zerobus.station.core.delivery.FailureModelTest.rec;
import static dev.zerobus.station.core.delivery.FailureModelTest.recs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Settings.Setting;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import dev.zerobus.station.core.errors.RecordsRefusedException;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.Fixtures;
import dev.zerobus.station.core.testing.ScriptedZerobus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the lane's state machine adds beyond the failure model: timing of reports, idle streams, bounded streams, threads. */
class LaneTest {
  @TempDir
  Path dir;
  ScriptedZerobus zerobus = new ScriptedZerobus();
  StreamManager manager;

  @AfterEach
  void tearDown() {
    if (manager != null) {
      manager.close(Duration.ofSeconds(5));
    }
    assertEquals(0, Lane.illegalMoves(), "a lane moved outside Lane.TRANSITIONS (see the log)");
  }

  private StreamManager start(TableRegistry registry, StreamSettings settings) {
    manager = new StreamManager(registry, zerobus, settings);
    return manager;
  }

  private StreamManager start(StreamSettings settings) {
    return start(Fixtures.standard(dir, "http://127.0.0.1:1", "http://127.0.0.1:1", EncoderOptions.STRICT), settings);
  }

  /**
   * The SDK may say "stream closed" before it gives the service's reason for a refusal: the lane must
   * not replay the refused record for ever, and the other callers' records must land.
   */
  @Test
  void aRefusalReportedAfterTheLossItCausedIsStillIsolated() throws Exception {
    zerobus.refuseRecords(r -> new String(r, StandardCharsets.UTF_8).equals("poison"), "INVALID_ARGUMENT: refused")
        .reportLossBeforeRefusal(true);
    start(FailureModelTest.QUICK);
    zerobus.holdAcks(true);
    List<IngestTicket> good = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      good.add(manager.ingest("station_one", List.of(rec("good" + i))));
    }
    IngestTicket poison = manager.ingest("station_one", List.of(rec("poison")));
    zerobus.holdAcks(false);
    assertInstanceOf(RecordsRefusedException.class, failureOf(poison.durable()));
    for (IngestTicket t : good) {
      t.durable().get(10, TimeUnit.SECONDS);
    }
    assertTrue(zerobus.opens.get() <= 10, "opened " + zerobus.opens.get() + " streams");
  }

  @Test
  void anIdleStreamIsClosedAndTheNextRecordOpensOne() throws Exception {
    start(FailureModelTest.QUICK.with(Setting.IDLE_CLOSE_MS, 100));
    manager.ingest("station_one", recs("a", 3)).durable().get(10, TimeUnit.SECONDS);
    await("the idle stream to close", () -> manager.health("station_one").state() == StreamState.IDLE);
    assertEquals(1, zerobus.opens.get());
    manager.ingest("station_one", recs("b", 3)).durable().get(10, TimeUnit.SECONDS);
    assertEquals(2, zerobus.opens.get(), "opened again for the next record");
    assertEquals(6, zerobus.landed().size());
  }

  @Test
  void atTheBoundOnStreamsAnIdleOneGivesWayAndBusyOnesAreWaitedFor() throws Exception {
    start(FailureModelTest.QUICK.with(Setting.MAX_OPEN_STREAMS, 1));
    manager.ingest("station_one", recs("one", 5)).durable().get(10, TimeUnit.SECONDS);
    manager.ingest("station_two", recs("two", 5)).durable().get(10, TimeUnit.SECONDS);
    assertEquals(StreamState.IDLE, manager.health("station_one").state(), "station_one gave its stream up");
    // Both busy at once: the second waits for the first to finish, never a second stream.
    zerobus.holdAcks(true);
    IngestTicket one = manager.ingest("station_one", recs("one-more", 5));
    IngestTicket two = manager.ingest("station_two", recs("two-more", 5));
    zerobus.holdAcks(false);
    one.durable().get(10, TimeUnit.SECONDS);
    two.durable().get(10, TimeUnit.SECONDS);
    assertEquals(1, zerobus.mostOpenAtOnce(), "never more streams open than max.open.streams");
    assertEquals(20, zerobus.landed().size());
  }

  /** Opening holds no thread and lanes share a small pool: 300 tables cost the same threads as one. */
  @Test
  void threeHundredTablesOpenTogetherOnAFewThreads() throws Exception {
    StringBuilder tables = new StringBuilder("{");
    for (int i = 0; i < 300; i++) {
      tables.append(i == 0 ? "" : ", ").append("\"t").append(i).append("\": ").append(Fixtures.table(
          "main.test.t" + i, "t" + i, "T" + i, "[{\"name\": \"v\", \"type\": \"string\", \"proto_type\":"
              + " \"optional string\", \"field_num\": 1}]"));
    }
    TableRegistry registry = Fixtures.registry(dir, Fixtures.config("http://127.0.0.1:1", "http://127.0.0.1:1",
        tables.append("}").toString()), Map.of(), EncoderOptions.STRICT);
    int before = Thread.activeCount();
    start(registry, FailureModelTest.QUICK);
    List<CompletableFuture<Void>> opening = new ArrayList<>();
    for (String key : registry.keys()) {
      opening.add(manager.open(key));
    }
    CompletableFuture.allOf(opening.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    assertEquals(300, zerobus.opens.get());
    int grown = Thread.activeCount() - before;
    int pool = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    assertTrue(grown <= pool + 1, "threads grew by " + grown + " for 300 tables (pool " + pool + ", timers 1)");
  }
}
