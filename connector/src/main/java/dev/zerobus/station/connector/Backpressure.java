package dev.zerobus.station.connector;

import dev.zerobus.station.core.errors.IngestRefusedException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pauses and rewinds a partition whose records Zerobus cannot take now, resumes it after
 * {@code retry.backoff.ms}, and logs each episode once when it starts and once when it ends.
 *
 * <p>This replaces throwing RetriableException, which Connect logs as an ERROR with a stack trace on
 * every put: being unable to take records for a while (a stream being replaced, the queue limits) is
 * normal backpressure. Task thread only.
 */
final class Backpressure {
  private static final Logger log = LoggerFactory.getLogger(Backpressure.class);
  /** An episode ends after this many backoffs without a refusal. */
  private static final int QUIET_BACKOFFS = 10;

  private final SinkTaskContext context;
  private final long retryBackoffMs;
  private final SinkMetrics metrics;
  private final Set<TopicPartition> paused = new HashSet<>();
  private long resumeAt;
  private Episode episode;

  /** One stretch of time in which Zerobus could not always take records. */
  private static final class Episode {
    final long started = System.nanoTime();
    final Set<TopicPartition> partitions = new HashSet<>();
    long lastRefusal = started;
    int refusals;
  }

  Backpressure(SinkTaskContext context, long retryBackoffMs, SinkMetrics metrics) {
    this.context = context;
    this.retryBackoffMs = retryBackoffMs;
    this.metrics = metrics;
  }

  /**
   * Zerobus took nothing of a submission: Connect reads the partition again from {@code firstNotTaken},
   * after the backoff. Nothing is lost: offsets are committed only once records are durable.
   */
  void refused(TopicPartition partition, long firstNotTaken, IngestRefusedException why) {
    metrics.retried();
    context.offset(partition, firstNotTaken);
    context.pause(partition);
    paused.add(partition);
    resumeAt = System.nanoTime() + retryBackoffMs * 1_000_000;
    context.timeout(retryBackoffMs); // poll again after the backoff, although every partition may be paused
    if (episode != null && quiet()) {
      endEpisode();
    }
    if (episode == null) {
      episode = new Episode();
      log.warn("Zerobus cannot take more records now ({}); pausing the partitions concerned and trying again every"
          + " {} ms. Nothing is lost: their offsets are not committed until their records are durable.",
          why.getMessage(), retryBackoffMs);
    }
    episode.refusals++;
    episode.lastRefusal = System.nanoTime();
    episode.partitions.add(partition);
    log.debug("Zerobus cannot take records of {} now: {}", partition, why.getMessage());
  }

  /** Zerobus took a submission: the episode ends once nothing is paused and no refusal came for a while. */
  void taken() {
    if (episode != null && paused.isEmpty() && quiet()) {
      endEpisode();
    }
  }

  /** Resumes the paused partitions once their backoff has passed (called at each put). */
  void resumeIfDue() {
    if (!paused.isEmpty() && System.nanoTime() - resumeAt >= 0) {
      List<TopicPartition> due = new ArrayList<>(paused);
      paused.clear();
      context.resume(due.toArray(new TopicPartition[0]));
    }
  }

  /** Milliseconds until paused partitions are due to resume (0 when due now); -1 when none is paused. */
  long resumeDueInMs() {
    return paused.isEmpty() ? -1 : Math.max(0, (resumeAt - System.nanoTime()) / 1_000_000);
  }

  /** Partitions given up in a rebalance are no longer ours to resume. */
  void forget(Collection<TopicPartition> revoked) {
    paused.removeAll(revoked);
  }

  private boolean quiet() {
    return System.nanoTime() - episode.lastRefusal > retryBackoffMs * QUIET_BACKOFFS * 1_000_000;
  }

  private void endEpisode() {
    log.info("Zerobus takes records again: {} refusals over {} ms for partitions {}", episode.refusals,
        (episode.lastRefusal - episode.started) / 1_000_000, episode.partitions);
    episode = null;
  }
}
