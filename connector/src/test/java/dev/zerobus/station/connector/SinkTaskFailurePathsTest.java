package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.connector.RecordingContext.DeadLetter;
import dev.zerobus.station.core.delivery.ZerobusFailure;
import dev.zerobus.station.core.delivery.ZerobusFailure.Kind;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

/**
 * The task's failure paths over core's scripted Zerobus, with a recording stand-in for Connect's
 * side: no server, no Kafka. Each test drives the task as Connect's worker thread would (put,
 * preCommit, close, stop) and checks what docs/connector.md promises, on observable state only.
 */
class SinkTaskFailurePathsTest extends ScriptedTaskTest {
  static final String POISON = "poison";
  static final String REFUSAL = "INVALID_ARGUMENT: humidity is out of range";

  @Test
  void aRecordZerobusRefusesGoesToTheDeadLetterQueueWithTheServicesReasonAndIsCommittedPast() {
    zerobus.refuseRecords(r -> carries(r, POISON), REFUSAL);
    startTask(Map.of("errors.tolerance", "all"));
    List<SinkRecord> records = events(TP, 0, 10);
    records.set(3, event(TP, 3, POISON));

    task.put(records);

    await().untilAsserted(() -> assertEquals(Map.of(TP, 10L), commit(TP)));
    assertEquals(1, context.deadLetters.size(), context.deadLetters.toString());
    DeadLetter dead = context.deadLetters.get(0);
    assertEquals(3, dead.record().kafkaOffset());
    assertTrue(dead.error().getMessage().contains("offset 3") && dead.error().getMessage().contains(REFUSAL),
        dead.error().getMessage());
    assertEquals(List.of(0L, 1L, 2L, 4L, 5L, 6L, 7L, 8L, 9L), landed(TP), "every other record landed, once");
  }

  @Test
  void aRecordZerobusRefusesFailsTheTaskNamingItWithoutErrorTolerance() {
    zerobus.refuseRecords(r -> carries(r, POISON), REFUSAL);
    startTask(Map.of());
    putAndAwaitCommit(0, 3);
    List<SinkRecord> next = events(TP, 3, 3);
    next.set(0, event(TP, 3, POISON));

    task.put(next);

    ConnectException e = await().until(this::putFailure, Objects::nonNull);
    assertTrue(e.getMessage().contains("topic t partition 0 offset 3") && e.getMessage().contains(REFUSAL),
        e.getMessage());
    assertEquals(Map.of(TP, 3L), commit(TP), "nothing from the refused record on is committed");
    assertEquals(List.of(), context.deadLetters);
  }

  @Test
  void aTableFailureFailsTheTaskNamingTheCauseAndCommitsOnlyWhatWasDurable() {
    startTask(Map.of(ZerobusSinkConfig.FLUSH_TIMEOUT_MS, "200"));
    putAndAwaitCommit(0, 5);
    zerobus.holdAcks(true);
    putInFlight(events(TP, 5, 5));

    String cause = "PERMISSION_DENIED: the service principal has no MODIFY on main.default.events";
    zerobus.failEveryOpen(new ZerobusFailure(Kind.TABLE, cause));
    zerobus.loseStream("UNAVAILABLE: connection reset"); // and the new stream is refused

    ConnectException e = await().until(this::putFailure, Objects::nonNull);
    assertTrue(e.getMessage().contains(cause) && e.getMessage().contains("t-0 offsets 5..9"), e.getMessage());
    assertEquals(Map.of(TP, 5L), commit(TP), "nothing past the records Zerobus did not acknowledge");
  }

  @Test
  void backpressurePausesAndRewindsToTheFirstRecordNotTakenAndResumesAfterTheBackoff() {
    zerobus.holdAcks(true);
    startTask(Map.of("max.inflight.records", "10", "max.queued.records", "10", "max.batch.records", "5",
        ZerobusSinkConfig.RETRY_BACKOFF_MS, "200"));
    long next = 0;
    for (int put = 0; put < 100 && context.paused.isEmpty(); put++) {
      next = putAsConnect(TP, next, 5); // never throws: Connect would log each exception as an ERROR
    }
    long rewoundTo = next;
    assertTrue(context.paused.contains(TP), "paused once the queue is full");
    assertTrue(context.timeouts.contains(200L), "asked to be polled again after the backoff: " + context.timeouts);

    await().until(() -> {
      task.put(List.of()); // what Connect hands over while the partition is paused
      return !context.paused.contains(TP);
    });
    long pausedFor = context.resumedAt.get(TP) - context.pausedAt.get(TP);
    assertTrue(pausedFor >= TimeUnit.MILLISECONDS.toNanos(200), "resumed after " + pausedFor + " ns");

    zerobus.holdAcks(false);
    await().untilAsserted(() -> assertEquals(Map.of(TP, rewoundTo), commit(TP)));
    assertEquals(range(0, rewoundTo), landed(TP), "what was taken landed, and nothing from the rewind point on");

    task.put(events(TP, 0, (int) rewoundTo)); // handed over again: recognised by offset, not sent again
    while (next < 50) {
      if (context.paused.contains(TP)) {
        await().until(() -> {
          task.put(List.of());
          return !context.paused.contains(TP);
        });
      }
      next = putAsConnect(TP, next, 5);
    }
    await().untilAsserted(() -> assertEquals(Map.of(TP, 50L), commit(TP)));
    assertEquals(range(0, 50), landed(TP), "every record landed once");
  }

  @Test
  void stopReturnsWithinTheFlushTimeoutAndWhatWasInFlightIsNotCommitted() {
    zerobus.holdAcks(true);
    startTask(Map.of(ZerobusSinkConfig.FLUSH_TIMEOUT_MS, "500"));
    putInFlight(events(TP, 0, 10));

    assertEquals(Map.of(TP, 0L), commit(TP), "Connect's last commit before stop: nothing is durable");
    long started = System.nanoTime();
    task.stop();
    task = null;
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

    // flush.timeout.ms, plus room for a busy machine; far below Connect's 5 s for commit and stop together
    assertTrue(tookMs < 500 + 1_000, "stop took " + tookMs + " ms");
    assertEquals(List.of(), zerobus.landed());
  }

  @Test
  void aRebalanceThatClosesPartitionsMidFlightCommitsNothingForThemAndThrowsNothing() {
    zerobus.holdAcks(true);
    startTask(Map.of(ZerobusSinkConfig.FLUSH_TIMEOUT_MS, "200"));
    List<SinkRecord> records = events(TP, 0, 5);
    records.addAll(events(OTHER, 0, 5));
    putInFlight(records);

    assertEquals(Map.of(TP, 0L, OTHER, 0L), commit(TP, OTHER), "the commit before the partitions are given up");
    task.close(List.of(OTHER));
    context.assignment.remove(OTHER);
    zerobus.holdAcks(false);

    await().untilAsserted(() -> assertEquals(Map.of(TP, 5L), commit(TP, OTHER)));
    assertDoesNotThrow(() -> task.put(List.of()));

    // Assigned back, the partition is read again from its committed offset (none) and written again.
    task.open(List.of(OTHER));
    task.put(events(OTHER, 0, 5));
    await().untilAsserted(() -> assertEquals(Map.of(TP, 5L, OTHER, 5L), commit(TP, OTHER)));
    assertEquals(List.of(0L, 0L, 1L, 1L, 2L, 2L, 3L, 3L, 4L, 4L), landed(OTHER), "at least once, never skipped");
  }

  @Test
  void preCommitReturnsExactlyTheOffsetsWhoseRecordsAreDurable() {
    startTask(Map.of(ZerobusSinkConfig.FLUSH_TIMEOUT_MS, "200"));
    putAndAwaitCommit(0, 5);

    zerobus.holdAcks(true);
    List<SinkRecord> records = events(TP, 5, 5);
    records.add(new SinkRecord(TP.topic(), TP.partition(), null, null, null, null, 10)); // a tombstone, no ack needed
    task.put(records);
    assertEquals(Map.of(TP, 5L), commit(TP), "neither the records Zerobus has not acknowledged nor what follows");

    zerobus.holdAcks(false);
    await().untilAsserted(() -> assertEquals(Map.of(TP, 11L), commit(TP)));
    assertEquals(range(0, 10), landed(TP));
  }

  @Test
  void aLostStreamIsReplayedInsideCoreAndTheTaskCarriesOn() {
    zerobus.holdAcks(true);
    startTask(Map.of(ZerobusSinkConfig.FLUSH_TIMEOUT_MS, "200"));
    putInFlight(events(TP, 0, 10));

    zerobus.loseStream("UNAVAILABLE: connection reset");
    zerobus.holdAcks(false);

    await().untilAsserted(() -> assertEquals(Map.of(TP, 10L), commit(TP)));
    assertDoesNotThrow(() -> task.put(List.of()));
    assertEquals(range(0, 10), landed(TP));
  }

  @Test
  void aRecordNoCallCanCarryGoesToTheDeadLetterQueueNamingItsSize() {
    startTask(Map.of("errors.tolerance", "all", "max.batch.bytes", "1024"));
    List<SinkRecord> records = events(TP, 0, 5);
    records.set(2, event(TP, 2, "x".repeat(2_000)));

    task.put(records);

    await().untilAsserted(() -> assertEquals(Map.of(TP, 5L), commit(TP)));
    assertEquals(1, context.deadLetters.size(), context.deadLetters.toString());
    String message = context.deadLetters.get(0).error().getMessage();
    assertTrue(message.contains("offset 2") && message.contains("bytes encoded, more than one Zerobus call carries")
        && message.contains("max.batch.bytes=1024"), message);
    assertEquals(List.of(0L, 1L, 3L, 4L), landed(TP));
  }
}
