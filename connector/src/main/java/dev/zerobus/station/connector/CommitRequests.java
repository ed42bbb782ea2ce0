package dev.zerobus.station.connector;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkTaskContext;

/**
 * Asks Connect to commit right behind Zerobus's acknowledgements ({@code commit.request.ms}), so a
 * crash re-sends about that much traffic rather than up to offset.flush.interval.ms of it.
 *
 * <p>Connect honours {@link SinkTaskContext#requestCommit()} on its next poll-loop iteration and
 * then calls preCommit, which still returns only durable offsets. A request is made at most once
 * per interval and only when the durable offsets moved since the last request or commit. Acks that
 * come while Connect waits in poll are picked up through {@link SinkTaskContext#timeout}, set only
 * while answers are awaited, so an idle topic neither spins nor commits. Task thread only.
 */
final class CommitRequests {
  private final SinkTaskContext context;
  private final CommitPoints points;
  private final long intervalMs;
  private final SinkMetrics metrics;
  private final Backpressure backpressure;
  private long lastRequest;
  private boolean requested;
  private boolean watching;
  /** The durable offsets the last request or commit covered. */
  private final Map<TopicPartition, Long> covered = new HashMap<>();

  CommitRequests(SinkTaskContext context, CommitPoints points, long intervalMs, SinkMetrics metrics,
      Backpressure backpressure) {
    this.context = context;
    this.points = points;
    this.intervalMs = intervalMs;
    this.metrics = metrics;
    this.backpressure = backpressure;
    this.lastRequest = System.nanoTime() - intervalMs * 1_000_000;
  }

  /** At each put, before its records: asks for a commit when acknowledged offsets moved and the interval has passed. */
  void beforePut() {
    requested = false; // a request Connect acted on came back through preCommit before this put
    if (intervalMs == 0) {
      return;
    }
    long waitMs = untilNextRequestMs();
    if (waitMs > 0) {
      if (watching) {
        wakeIn(waitMs);
      }
      return;
    }
    Map<TopicPartition, Long> durable = points.durable();
    if (moved(durable)) {
      context.requestCommit();
      metrics.commitRequested();
      requested = true;
      lastRequest = System.nanoTime();
      covered.putAll(durable);
      watching = true;
      wakeIn(intervalMs);
    } else {
      watching = points.awaitingAnswers();
      if (watching) {
        wakeIn(intervalMs);
      }
    }
  }

  /** Records went to Zerobus in this put: come back for their acks even if no more records arrive. */
  void sent() {
    if (intervalMs > 0 && !watching) {
      watching = true;
      long waitMs = untilNextRequestMs();
      wakeIn(waitMs > 0 ? waitMs : intervalMs);
    }
  }

  /**
   * Whether the commit now asking for offsets is the one this task requested (Connect commits on the
   * iteration right after the put that asked). Such a commit takes what is durable without waiting for acks.
   */
  boolean answering() {
    boolean answering = requested;
    requested = false;
    return answering;
  }

  /** What a commit is about to cover: no request is needed for these offsets. */
  void committing(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((tp, o) -> covered.merge(tp, o.offset(), Math::max));
  }

  /** Partitions given up are no longer ours to commit. */
  void forget(Iterable<TopicPartition> revoked) {
    revoked.forEach(covered::remove);
  }

  /** Milliseconds, rounded up, until the next request is allowed; 0 or less when it is. */
  private long untilNextRequestMs() {
    long nanos = lastRequest + intervalMs * 1_000_000 - System.nanoTime();
    return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
  }

  /** Has Connect's poll return within ms (to call put again), but never later than a paused partition's resume. */
  private void wakeIn(long ms) {
    long resume = backpressure.resumeDueInMs();
    context.timeout(Math.max(1, resume >= 0 ? Math.min(ms, resume) : ms));
  }

  private boolean moved(Map<TopicPartition, Long> durable) {
    for (Map.Entry<TopicPartition, Long> e : durable.entrySet()) {
      if (e.getValue() > covered.getOrDefault(e.getKey(), -1L)) {
        return true;
      }
    }
    return false;
  }
}
