package dev.zerobus.station.emulator;

import static dev.zerobus.station.emulator.TestSdk.assertReadings;
import static dev.zerobus.station.emulator.TestSdk.reading;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.NonRetriableException;
import com.databricks.zerobus.ZerobusException;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.emulator.testing.Reading;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each injected fault, and what the real SDK does about it. Every scenario asserts that every
 * record lands (the SDK replays what was not acknowledged) and reports how many rows landed twice;
 * duplicate counts depend on timing, so they are asserted only where the fault forces them.
 * Scenarios wait on what the emulator shows (rows, streams, faults), never on the clock.
 */
class SdkFaultTest {
  private static ZerobusEmulator emulator;
  private static ZerobusSdk sdk;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder().start();
    sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl());
  }

  @AfterAll
  static void stop() {
    sdk.close();
    emulator.close();
  }

  @AfterEach
  void clearFaults() {
    emulator.faults().clear();
  }

  @Test
  void droppedStreamIsRecreatedAndUnackedBatchesReplayed() throws Exception {
    String table = "main.faults.drop_batches";
    emulator.faults().dropStreamAfter(table, 5_000);
    ZerobusProtoStream stream = open(table);
    ingestBatches(stream, 0, 20_000, 100);
    stream.flush();
    stream.close();

    List<JsonNode> rows = emulator.rows(table);
    int duplicates = assertReadings(rows, 20_000);
    assertTrue(streamIds(rows).size() >= 2, "the SDK moved to a new stream after the drop");
    assertEquals(Map.of(), emulator.faults().describe().get("drop_stream_after_records"), "the fault fired");
    report("drop stream after 5000 of 20000 records (batches of 100)", rows, duplicates);
  }

  @Test
  void droppedStreamWhileAcksLagLosesNothing() throws Exception {
    String table = "main.faults.drop_lagging";
    emulator.faults().delayAcks(table, Duration.ofMillis(300));
    emulator.faults().dropStreamAfter(table, 5_000);
    ZerobusProtoStream stream = open(table);
    ingestBatches(stream, 0, 20_000, 100);
    stream.flush();
    stream.close();

    // Rows written in the 300 ms before the drop were never acked, so replayed: how many depends on timing.
    List<JsonNode> rows = emulator.rows(table);
    int duplicates = assertReadings(rows, 20_000);
    assertTrue(streamIds(rows).size() >= 2, "the SDK moved to a new stream after the drop");
    report("drop stream after 5000 of 20000 records while acks lag 300 ms", rows, duplicates);
  }

  @Test
  void droppedStreamReplaysSingleRecordsToo() throws Exception {
    String table = "main.faults.drop_singles";
    emulator.faults().dropStreamAfter(table, 1_000);
    ZerobusProtoStream stream = open(table);
    for (int i = 0; i < 5_000; i++) {
      stream.ingestRecordOffset(reading(i));
    }
    stream.flush();
    stream.close();

    List<JsonNode> rows = emulator.rows(table);
    int duplicates = assertReadings(rows, 5_000);
    assertTrue(streamIds(rows).size() >= 2);
    report("drop stream after 1000 of 5000 single records", rows, duplicates);
  }

  @Test
  void delayedAcksOnlyDelay() throws Exception {
    String table = "main.faults.delayed";
    emulator.faults().delayAcks(table, Duration.ofMillis(400));
    ZerobusProtoStream stream = open(table);
    long started = System.nanoTime();
    ingestBatches(stream, 0, 1_000, 100);
    stream.flush();
    long flushMillis = (System.nanoTime() - started) / 1_000_000;
    stream.close();

    assertTrue(flushMillis >= 400, "flush waited for the delayed acks: " + flushMillis + " ms");
    List<JsonNode> rows = emulator.rows(table);
    assertEquals(0, assertReadings(rows, 1_000), "a delay below the ack timeout replays nothing");
    report("acks delayed 400 ms", rows, 0);
  }

  @Test
  void withheldAcksMakeTheSdkReplayUntilReleased() throws Exception {
    String table = "main.faults.withheld";
    emulator.faults().withholdAcks(table);
    // The short lack-of-ack timeout is the point here: the SDK must give up on the silent stream.
    ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, table, Reading.getDescriptor(), TestSdk.fastRecovery());
    ingestBatches(stream, 0, 1_000, 100);
    // After its 2 s lack-of-ack timeout the SDK opens another stream and replays everything.
    TestSdk.awaitRows(emulator, table, 2_000);
    emulator.faults().releaseAcks(table);
    stream.flush();
    stream.close();

    List<JsonNode> rows = emulator.rows(table);
    int duplicates = assertReadings(rows, 1_000);
    assertTrue(duplicates >= 1_000, "every replay lands again: " + duplicates);
    assertTrue(streamIds(rows).size() >= 2, "the replay went to a new stream");
    report("acks withheld until a replay landed, then released (lack-of-ack timeout 2 s)", rows, duplicates);
  }

  @Test
  void refusedStreamCreationIsRetriedWhenRetryable() throws Exception {
    String table = "main.faults.refused_retryable";
    emulator.faults().refuseStreams(table, Status.Code.UNAVAILABLE, "table is moving", 3);
    ZerobusProtoStream stream = open(table);
    ingestBatches(stream, 0, 1_000, 100);
    stream.flush();
    stream.close();
    List<JsonNode> rows = emulator.rows(table);
    assertEquals(0, assertReadings(rows, 1_000));
    assertEquals(Map.of(), emulator.faults().describe().get("refuse_streams"), "all 3 refusals were used up");
    report("CreateStream refused 3 times with UNAVAILABLE", rows, 0);
  }

  @Test
  void refusedStreamCreationFailsAtOnceWhenNotRetryable() {
    String table = "main.faults.refused_fatal";
    emulator.faults().refuseStreams(table, Status.Code.PERMISSION_DENIED, "no MODIFY on " + table, 0);
    Exception e = assertThrows(Exception.class, () -> open(table));
    assertInstanceOf(NonRetriableException.class, e);
    assertTrue(e.getMessage().contains("PermissionDenied") && e.getMessage().contains("no MODIFY on " + table), e.getMessage());
    assertEquals(0, emulator.rowCount(table));
    report("CreateStream refused with PERMISSION_DENIED", List.of(), 0);
  }

  @Test
  void closeSignalMovesTheSdkToANewStreamWithoutLoss() throws Exception {
    String table = "main.faults.close_signal";
    ZerobusProtoStream stream = open(table);
    ingestBatches(stream, 0, 10_000, 100);
    TestSdk.awaitRows(emulator, table, 2_000);
    String signalled = onlyStream(table);
    assertEquals(1, emulator.sendCloseSignal(table, Duration.ofMillis(500)));
    // Records sent while the signal stands, then after the server closed the signalled stream.
    ingestBatches(stream, 10_000, 15_000, 100);
    Awaitility.await("the signalled stream is closed").atMost(Duration.ofSeconds(60))
        .until(() -> emulator.streams().stream().noneMatch(s -> signalled.equals(s.get("stream_id"))));
    ingestBatches(stream, 15_000, 20_000, 100);
    stream.flush();
    stream.close();

    List<JsonNode> rows = emulator.rows(table);
    int duplicates = assertReadings(rows, 20_000);
    assertTrue(streamIds(rows).size() >= 2, "the SDK moved to a new stream");
    report("CloseStreamSignal (500 ms) mid-run", rows, duplicates);
  }

  @Test
  void tokenEndpointErrorsAreRetriedWhenTransient() throws Exception {
    String table = "main.faults.token_500";
    emulator.faults().failTokenRequests(503, 2);
    ZerobusProtoStream stream = open(table);
    ingestBatches(stream, 0, 100, 100);
    stream.flush();
    stream.close();
    assertEquals(0, assertReadings(emulator.rows(table), 100));
    report("token endpoint answers 503 twice", emulator.rows(table), 0);
  }

  @Test
  void tokenEndpointClientErrorsFailTheStream() {
    emulator.faults().failTokenRequests(403, 1);
    Exception e = assertThrows(Exception.class, () -> open("main.faults.token_403"));
    assertInstanceOf(NonRetriableException.class, e);
    assertTrue(e.getMessage().contains("403"), e.getMessage());
    report("token endpoint answers 403", List.of(), 0);
  }

  @Test
  void serverRestartIsRecoveredWithoutLoss() throws Exception {
    String table = "main.faults.restart";
    ZerobusProtoStream stream = open(table);
    ingestBatches(stream, 0, 5_000, 100);
    stream.flush();
    emulator.restart(Duration.ofMillis(1_000));
    ingestBatches(stream, 5_000, 10_000, 100);
    stream.flush();
    stream.close();

    List<JsonNode> rows = emulator.rows(table);
    int duplicates = assertReadings(rows, 10_000);
    assertTrue(streamIds(rows).size() >= 2);
    report("server restart, down 1 s, between two flushes", rows, duplicates);
  }

  @Test
  void restartWhileAcksAreWithheldReplaysEverythingUnacked() throws Exception {
    String table = "main.faults.withheld_restart";
    ZerobusProtoStream stream = open(table);
    emulator.faults().withholdAcks(table);
    ingestBatches(stream, 0, 2_000, 100);
    TestSdk.awaitRows(emulator, table, 2_000);
    emulator.restart(Duration.ofMillis(300));
    emulator.faults().clear();
    stream.flush();
    stream.close();

    List<JsonNode> rows = emulator.rows(table);
    int duplicates = assertReadings(rows, 2_000);
    assertTrue(duplicates >= 2_000, "rows written but never acknowledged are written again: " + duplicates);
    report("acks withheld, server restarted", rows, duplicates);
  }

  /** A stream whose SDK replays only because of the injected fault, never because a busy machine is slow. */
  private static ZerobusProtoStream open(String table) throws Exception {
    return TestSdk.protoStream(sdk, emulator, table, Reading.getDescriptor(), TestSdk.patient());
  }

  private static void ingestBatches(ZerobusProtoStream stream, int from, int to, int size) throws ZerobusException {
    for (int start = from; start < to; start += size) {
      List<byte[]> batch = new ArrayList<>(size);
      for (int i = start; i < Math.min(to, start + size); i++) {
        batch.add(reading(i).toByteArray());
      }
      stream.ingestRecordsOffset(batch);
    }
  }

  /** The id of the one open stream on the table. */
  private static String onlyStream(String table) {
    List<Object> ids = emulator.streams().stream().filter(st -> table.equals(st.get("table")))
        .map(st -> st.get("stream_id")).toList();
    assertEquals(1, ids.size(), "open streams on " + table + ": " + ids);
    return (String) ids.get(0);
  }

  private static Set<String> streamIds(List<JsonNode> rows) {
    return rows.stream().map(r -> r.get("stream_id").asText()).collect(Collectors.toSet());
  }

  /** One line of the fault table in the README of the emulator. */
  private static void report(String fault, List<JsonNode> rows, int duplicates) {
    System.out.printf("FAULT-RESULT | %s | rows landed %d | duplicates %d | streams %d%n",
        fault, rows.size(), duplicates, streamIds(rows).size());
  }
}
