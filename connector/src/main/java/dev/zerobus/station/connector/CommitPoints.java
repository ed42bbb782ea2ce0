package dev.zerobus.station.connector;

import dev.zerobus.station.core.delivery.StreamManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task's partitions and the offset each may commit: up to its first record that is neither
 * durable nor dead-lettered, after waiting up to {@code flush.timeout.ms} for acks when
 * {@code flush.on.commit} asks to.
 */
final class CommitPoints {
  private static final Logger log = LoggerFactory.getLogger(CommitPoints.class);

  private final Map<TopicPartition, PartitionOffsets> partitions = new ConcurrentHashMap<>();
  private final StreamManager streams;
  private final TableRouter router;
  private final boolean flushOnCommit;
  private final Duration flushTimeout;

  CommitPoints(StreamManager streams, TableRouter router, boolean flushOnCommit, Duration flushTimeout) {
    this.streams = streams;
    this.router = router;
    this.flushOnCommit = flushOnCommit;
    this.flushTimeout = flushTimeout;
  }

  void open(Collection<TopicPartition> assigned) {
    for (TopicPartition tp : assigned) {
      PartitionOffsets before = partitions.put(tp, new PartitionOffsets());
      if (before != null) {
        before.revoke();
      }
    }
  }

  /** Forgets partitions given up; their offsets were committed just before, up to what was durable. */
  void close(Collection<TopicPartition> revoked) {
    for (TopicPartition tp : revoked) {
      PartitionOffsets offsets = partitions.remove(tp);
      if (offsets != null) {
        offsets.revoke();
      }
    }
  }

  /** The partition's offsets (a partition Connect did not announce with open() is taken on as it comes). */
  PartitionOffsets of(TopicPartition tp) {
    return partitions.computeIfAbsent(tp, k -> new PartitionOffsets());
  }

  /** Waits, up to the flush timeout, for what these partitions sent to be answered (when flush.on.commit). */
  void awaitAnswers(Set<TopicPartition> tps) {
    if (!flushOnCommit) {
      return;
    }
    List<CompletableFuture<?>> waiting = new ArrayList<>();
    Set<String> tables = new HashSet<>();
    for (TopicPartition tp : tps) {
      PartitionOffsets offsets = partitions.get(tp);
      List<CompletableFuture<?>> outstanding = offsets == null ? List.of() : offsets.outstanding();
      if (!outstanding.isEmpty()) {
        waiting.addAll(outstanding);
        String table = router.table(tp.topic());
        if (table != null) {
          tables.add(table);
        }
      }
    }
    if (waiting.isEmpty()) {
      return;
    }
    for (String table : tables) {
      streams.flush(table); // sends lingering records now; completion is read from the records' own futures
    }
    try {
      CompletableFuture.allOf(waiting.toArray(new CompletableFuture<?>[0]))
          .get(flushTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // A failed record stops its partition's commit point; put() reports the failure.
    } catch (TimeoutException e) {
      log.info("{} batches were not durable within {} ms; committing what is", waiting.size(), flushTimeout.toMillis());
    }
  }

  /** The offset each held partition may commit now, without waiting; partitions with nothing handled are left out. */
  Map<TopicPartition, Long> durable() {
    Map<TopicPartition, Long> out = new HashMap<>();
    partitions.forEach((tp, offsets) -> {
      long next = offsets.committable();
      if (next >= 0) {
        out.put(tp, next);
      }
    });
    return out;
  }

  /** Whether any partition has records Zerobus has not answered for yet. */
  boolean awaitingAnswers() {
    for (PartitionOffsets offsets : partitions.values()) {
      if (offsets.awaitingAnswers()) {
        return true;
      }
    }
    return false;
  }

  /** Records handed over and not committable yet, over every partition held (a gauge: any thread). */
  long behind() {
    long sum = 0;
    for (PartitionOffsets offsets : partitions.values()) {
      sum += offsets.behind();
    }
    return sum;
  }

  /** Per partition still assigned, the offset to commit; partitions with nothing handled yet are left out. */
  Map<TopicPartition, OffsetAndMetadata> committable(Set<TopicPartition> tps) {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (TopicPartition tp : tps) {
      PartitionOffsets offsets = partitions.get(tp);
      long next = offsets == null ? -1 : offsets.committable();
      if (next >= 0) {
        out.put(tp, new OffsetAndMetadata(next));
      }
    }
    return out;
  }
}
