package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

/**
 * commit.request.ms over core's scripted Zerobus: the task asks Connect for a commit once acknowledged
 * offsets move, at most once per interval, and never on an idle topic; the commit it asked for
 * returns exactly the durable offsets without waiting for acks still to come.
 */
class CommitRequestsTest extends ScriptedTaskTest {

  /** Connect's loop while the task waits for acks: poll (returning nothing after the timeout asked for), put. */
  private boolean pollUntilRequested(int requests) {
    task.put(List.of());
    return context.commitRequests.get() >= requests;
  }

  @Test
  void aCommitIsRequestedOnceRecordsAreDurableAndTheRequestedCommitDoesNotWaitForOtherAcks() {
    startTask(Map.of(ZerobusSinkConfig.COMMIT_REQUEST_MS, "100", ZerobusSinkConfig.FLUSH_TIMEOUT_MS, "60000"));
    task.put(events(TP, 0, 5));
    assertTrue(context.timeouts.stream().anyMatch(t -> t > 0 && t <= 100),
        "asked to be called again for the acks, within the interval: " + context.timeouts);
    await().until(() -> pollUntilRequested(1));

    zerobus.holdAcks(true);
    putInFlight(events(TP, 5, 5));
    // A tombstone on the other partition needs no ack: its offset moves while TP's acks are held.
    task.put(List.of(new SinkRecord(OTHER.topic(), OTHER.partition(), null, null, null, null, 0)));
    await().until(() -> pollUntilRequested(2));

    long started = System.nanoTime();
    assertEquals(Map.of(TP, 5L, OTHER, 1L), commit(TP, OTHER), "exactly what is durable");
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(tookMs < 30_000, "the requested commit waited " + tookMs + " ms for acks (flush.timeout.ms=60000)");

    zerobus.holdAcks(false);
    await().until(() -> pollUntilRequested(3));
    assertEquals(Map.of(TP, 10L, OTHER, 1L), commit(TP, OTHER));
  }

  @Test
  void requestsComeAtMostOncePerIntervalAndOnlyWhenDurableOffsetsMoved() {
    startTask(Map.of(ZerobusSinkConfig.COMMIT_REQUEST_MS, "200"));
    long next = 0;
    while (context.commitRequests.get() < 4) {
      task.put(events(TP, next, 5)); // a live stream: records at every put, acknowledged as they come
      next += 5;
      assertTrue(next < 1_000_000, "no commit requests came");
    }
    List<Long> at = new ArrayList<>(context.commitRequestedAt);
    for (int i = 1; i < at.size(); i++) {
      long gapMs = TimeUnit.NANOSECONDS.toMillis(at.get(i) - at.get(i - 1));
      assertTrue(gapMs >= 200, "requests " + gapMs + " ms apart: " + at);
    }
  }

  @Test
  void anIdleTopicNeitherSpinsNorAsksForCommits() {
    startTask(Map.of(ZerobusSinkConfig.COMMIT_REQUEST_MS, "1"));
    task.put(events(TP, 0, 5));
    await().until(() -> pollUntilRequested(1));
    assertEquals(Map.of(TP, 5L), commit(TP));

    // Connect polls again after each timeout asked for; once nothing is awaited, the task asks for none.
    await().until(() -> {
      int before = context.timeouts.size();
      task.put(List.of());
      return context.timeouts.size() == before;
    });
    int requests = context.commitRequests.get();
    int timeouts = context.timeouts.size();
    for (int i = 0; i < 50; i++) {
      task.put(List.of());
    }
    assertEquals(requests, context.commitRequests.get(), "no commit requested for offsets already committed");
    assertEquals(timeouts, context.timeouts.size(), "no poll timeout asked for: Connect waits for records");
  }

  @Test
  void zeroTurnsRequestsOff() {
    startTask(Map.of(ZerobusSinkConfig.COMMIT_REQUEST_MS, "0"));
    task.put(events(TP, 0, 5));
    await().untilAsserted(() -> assertEquals(Map.of(TP, 5L), commit(TP)));
    task.put(List.of());
    assertEquals(0, context.commitRequests.get());
    assertEquals(List.of(), context.timeouts, "nothing asks Connect to poll sooner");
  }
}
