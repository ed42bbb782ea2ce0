package dev.zerobus.station.connector;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;

/** Connect's side of a task, recorded: rewinds, pauses and resumes, poll timeouts, commit requests, dead letters. */
final class RecordingContext implements SinkTaskContext {
  /** A record handed to the errant record reporter, with the error it was reported with. */
  record DeadLetter(SinkRecord record, Throwable error) {}

  /** Where each partition was last asked to be read again from; a test removes what it has acted on. */
  final Map<TopicPartition, Long> offsets = new ConcurrentHashMap<>();
  /** Paused now. */
  final Set<TopicPartition> paused = ConcurrentHashMap.newKeySet();
  /** When each partition was last paused and resumed (System.nanoTime()). */
  final Map<TopicPartition, Long> pausedAt = new ConcurrentHashMap<>();
  final Map<TopicPartition, Long> resumedAt = new ConcurrentHashMap<>();
  final List<Long> timeouts = new CopyOnWriteArrayList<>();
  final AtomicInteger commitRequests = new AtomicInteger();
  /** When each commit was requested (System.nanoTime()). */
  final List<Long> commitRequestedAt = new CopyOnWriteArrayList<>();
  final List<DeadLetter> deadLetters = new CopyOnWriteArrayList<>();
  final Set<TopicPartition> assignment = ConcurrentHashMap.newKeySet();

  @Override
  public Map<String, String> configs() {
    return Map.of();
  }

  @Override
  public void offset(Map<TopicPartition, Long> offsets) {
    this.offsets.putAll(offsets);
  }

  @Override
  public void offset(TopicPartition tp, long offset) {
    offsets.put(tp, offset);
  }

  @Override
  public void timeout(long timeoutMs) {
    timeouts.add(timeoutMs);
  }

  @Override
  public Set<TopicPartition> assignment() {
    return Set.copyOf(assignment);
  }

  @Override
  public void pause(TopicPartition... partitions) {
    for (TopicPartition tp : partitions) {
      paused.add(tp);
      pausedAt.put(tp, System.nanoTime());
    }
  }

  @Override
  public void resume(TopicPartition... partitions) {
    for (TopicPartition tp : partitions) {
      paused.remove(tp);
      resumedAt.put(tp, System.nanoTime());
    }
  }

  @Override
  public void requestCommit() {
    commitRequestedAt.add(System.nanoTime());
    commitRequests.incrementAndGet();
  }

  /** Records each report; the report is written at once, as a dead-letter queue's producer would confirm it. */
  @Override
  public ErrantRecordReporter errantRecordReporter() {
    return (record, error) -> {
      deadLetters.add(new DeadLetter(record, error));
      return CompletableFuture.completedFuture(null);
    };
  }

  /** As a context without plugin metrics answers (the task then runs without exporting its metrics). */
  @Override
  public PluginMetrics pluginMetrics() {
    throw new UnsupportedOperationException("this context has no plugin metrics");
  }
}
