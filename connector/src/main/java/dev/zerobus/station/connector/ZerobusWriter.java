package dev.zerobus.station.connector;

import dev.zerobus.station.connector.ZerobusSinkConfig.NullValues;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.Batcher;
import dev.zerobus.station.core.delivery.IngestTicket;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.errors.IngestRefusedException;
import dev.zerobus.station.core.errors.RecordsRefusedException;
import dev.zerobus.station.core.table.TableDefinition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the task does with records, apart from Connect's lifecycle: route each record to its table,
 * encode it, send each partition's records to Zerobus in batches through core's stream manager,
 * and say which offsets may be committed (only ones Zerobus has made durable).
 *
 * <p>Failures: a record that does not fit its table goes to the dead-letter queue when
 * errors.tolerance=all, otherwise fails the task naming topic, partition, offset and field. Zerobus
 * being briefly unable to take records (a stream being replaced, the in-flight limit) makes put()
 * ask Connect to hand the same records over again later; records already sent are not sent twice.
 * Lost streams are replayed inside core. A non-retryable error (credentials, permissions, schema)
 * fails the task; its uncommitted records are read again when it is restarted.
 */
final class ZerobusWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ZerobusWriter.class);

  private final StreamManager streams;
  private final TableRouter router;
  private final RecordConverter converter;
  private final ErrantRecordReporter deadLetters;
  private final boolean tolerateBadRecords;
  private final SinkMetrics metrics;
  private final NullValues nullValues;
  private final boolean flushOnCommit;
  private final Duration flushTimeout;
  private final long retryBackoffMs;
  private final Batcher batcher;
  private final int maxBatchRecords;
  private final int maxBatchBytes;
  /** Records Zerobus refused, reported from ack threads; the task thread dead-letters them. */
  private final ConcurrentLinkedQueue<Refused> refused = new ConcurrentLinkedQueue<>();
  private final Map<TopicPartition, PartitionOffsets> partitions = new ConcurrentHashMap<>();
  private final AtomicReference<ConnectException> failure = new AtomicReference<>();
  private final Flow flow;
  /** Partitions paused because Zerobus could not take their records; resumed at resumeAt (task thread only). */
  private final Set<TopicPartition> paused = new HashSet<>();
  private long resumeAt;
  private Backpressure episode;

  /** What the writer asks of Connect's consumer: the task's {@code SinkTaskContext}. */
  interface Flow {
    /** Read this partition again from this offset. */
    void rewind(TopicPartition tp, long offset);

    void pause(TopicPartition tp);

    void resume(Collection<TopicPartition> tps);

    /** Poll again within this time, even with every partition paused. */
    void wakeAfter(long millis);
  }

  /**
   * One stretch of time in which Zerobus could not always take records: logged once when it starts
   * and once when it ends, which is after ten backoffs without a refusal.
   */
  private static final class Backpressure {
    final long started = System.nanoTime();
    final Set<TopicPartition> partitions = new HashSet<>();
    long lastRefusal = started;
    int retries;
  }

  ZerobusWriter(ZerobusSinkConfig config, StreamManager streams, TableRouter router, RecordConverter converter,
      ErrantRecordReporter deadLetters, boolean tolerateBadRecords, SinkMetrics metrics, Flow flow) {
    this.streams = streams;
    this.router = router;
    this.converter = converter;
    this.deadLetters = deadLetters;
    this.tolerateBadRecords = tolerateBadRecords;
    this.metrics = metrics;
    this.flow = flow;
    this.nullValues = config.nullValues();
    this.flushOnCommit = config.getBoolean(ZerobusSinkConfig.FLUSH_ON_COMMIT);
    this.flushTimeout = Duration.ofMillis(config.getLong(ZerobusSinkConfig.FLUSH_TIMEOUT_MS));
    this.retryBackoffMs = config.getLong(ZerobusSinkConfig.RETRY_BACKOFF_MS);
    StreamSettings settings = config.streamSettings();
    this.batcher = new Batcher(settings);
    this.maxBatchRecords = settings.maxBatchRecords();
    this.maxBatchBytes = settings.maxBatchBytes();
  }

  /** Records of one partition on their way to one table, collected into one SDK batch. */
  private final class Chunk {
    final TopicPartition tp;
    final String table;
    final List<byte[]> records = new ArrayList<>();
    final List<SinkRecord> sinkRecords = new ArrayList<>();
    /** Completes once every record is durable, or refused and dead-lettered: then its offsets may be committed. */
    final CompletableFuture<Void> handled = new CompletableFuture<>();
    long first = -1;
    long last = -1;
    int bytes;

    Chunk(TopicPartition tp, String table) {
      this.tp = tp;
      this.table = table;
    }

    boolean fits(byte[] record) {
      return records.isEmpty() || records.size() < maxBatchRecords && bytes + record.length <= maxBatchBytes;
    }

    void add(SinkRecord sinkRecord, byte[] record) {
      if (records.isEmpty()) {
        first = sinkRecord.kafkaOffset();
      }
      last = sinkRecord.kafkaOffset();
      records.add(record);
      sinkRecords.add(sinkRecord);
      bytes += record.length;
    }
  }

  /** Records of one chunk that Zerobus refused at ingest. */
  private record Refused(Chunk chunk, List<RecordsRefusedException.Refusal> refusals) {}

  void write(Collection<SinkRecord> records) {
    throwIfFailed();
    deadLetterRefused();
    resumeIfDue();
    metrics.put(records.size());
    Map<TopicPartition, Chunk> open = new LinkedHashMap<>();
    Set<TopicPartition> held = new HashSet<>();
    for (SinkRecord r : records) {
      TopicPartition tp = new TopicPartition(r.topic(), r.kafkaPartition());
      if (held.contains(tp)) {
        continue; // read again from the refused batch on, after the backoff
      }
      PartitionOffsets offsets = partition(tp);
      if (offsets.alreadyHandled(r.kafkaOffset())) {
        continue;
      }
      TableDefinition def = router.definition(r.topic());
      if (def == null) {
        if (send(open.remove(tp), held)) {
          reject(r, offsets, null, "topic " + r.topic() + " routes to table '" + router.route(r.topic())
              + "', which is not in the station config (tables: " + streams.registry().keys() + ")");
        }
        continue;
      }
      String table = def.key();
      if (r.value() == null) {
        if (send(open.remove(tp), held)) {
          if (nullValues == NullValues.FAIL) {
            reject(r, offsets, table, "the value is null (null.values=fail)");
          } else {
            offsets.handled(r.kafkaOffset());
            metrics.skipped(table);
          }
        }
        continue;
      }
      byte[] encoded;
      try {
        encoded = converter.convert(r, def);
      } catch (EncodeException e) {
        if (send(open.remove(tp), held)) {
          reject(r, offsets, table, e.getMessage());
        }
        continue;
      }
      if (!batcher.fitsAlone(encoded)) {
        if (send(open.remove(tp), held)) {
          reject(r, offsets, table, batcher.tooLarge(table, encoded, -1).getMessage());
        }
        continue;
      }
      Chunk chunk = open.get(tp);
      if (chunk != null && !chunk.fits(encoded)) {
        open.remove(tp);
        if (!send(chunk, held)) {
          continue;
        }
        chunk = null;
      }
      if (chunk == null) {
        chunk = new Chunk(tp, table);
        open.put(tp, chunk);
      }
      chunk.add(r, encoded);
    }
    for (Chunk c : open.values()) {
      send(c, held);
    }
  }

  /**
   * Sends a chunk; false when Zerobus cannot take it now. Then nothing of it was taken: its partition
   * is read again from the chunk's first record after {@code retry.backoff.ms}, and paused till
   * then. This replaces throwing RetriableException, which Connect logs as an ERROR with a stack
   * trace on every put: being unable to take records for a while is normal backpressure, logged
   * once per episode.
   */
  private boolean send(Chunk c, Set<TopicPartition> held) {
    try {
      send(c);
      if (c != null && episode != null && paused.isEmpty() && quietSince(episode.lastRefusal)) {
        endEpisode();
      }
      return true;
    } catch (IngestRefusedException e) {
      held.add(c.tp);
      metrics.retried();
      flow.rewind(c.tp, c.first);
      flow.pause(c.tp);
      paused.add(c.tp);
      resumeAt = System.nanoTime() + retryBackoffMs * 1_000_000;
      flow.wakeAfter(retryBackoffMs);
      if (episode != null && quietSince(episode.lastRefusal)) {
        endEpisode();
      }
      if (episode == null) {
        episode = new Backpressure();
        log.warn("Zerobus cannot take more records now ({}); pausing the partitions concerned and trying again every"
            + " {} ms. Nothing is lost: their offsets are not committed until their records are durable.",
            e.getMessage(), retryBackoffMs);
      }
      episode.retries++;
      episode.lastRefusal = System.nanoTime();
      episode.partitions.add(c.tp);
      log.debug("Zerobus cannot take records of {} now: {}", c.tp, e.getMessage());
      return false;
    }
  }

  private boolean quietSince(long nanos) {
    return System.nanoTime() - nanos > retryBackoffMs * 10 * 1_000_000;
  }

  private void endEpisode() {
    log.info("Zerobus takes records again: {} refusals over {} ms for partitions {}", episode.retries,
        (episode.lastRefusal - episode.started) / 1_000_000, episode.partitions);
    episode = null;
  }

  private void resumeIfDue() {
    if (!paused.isEmpty() && System.nanoTime() - resumeAt >= 0) {
      List<TopicPartition> due = new ArrayList<>(paused);
      paused.clear();
      flow.resume(due);
    }
  }

  private void send(Chunk c) {
    if (c == null || c.records.isEmpty()) {
      return;
    }
    IngestTicket ticket = streams.ingest(c.table, c.tp.partition(), c.records);
    PartitionOffsets offsets = partition(c.tp);
    offsets.sent(c.first, c.last, c.handled, ticket.durable().handle((ok, error) -> null));
    metrics.ingested(c.table, c.records.size());
    int n = c.records.size();
    ticket.durable().whenComplete((ok, error) -> {
      if (error == null) {
        metrics.acked(c.table, n);
        c.handled.complete(null);
        return;
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (cause instanceof RecordsRefusedException r) {
        metrics.acked(c.table, n - r.refusals().size());
        refused.add(new Refused(c, r.refusals())); // dead-lettered on the task thread, then committable
      } else if (partitions.get(c.tp) == offsets) {
        failure.compareAndSet(null, new ConnectException("Zerobus refused records " + c.tp + " offsets " + c.first
            + ".." + c.last + " for table " + c.table + " and will not take them on retry: " + cause.getMessage()
            + ". Their offsets were not committed; fix the cause and restart the task to write them.", cause));
      }
    });
  }

  /**
   * Sends the records Zerobus refused to the dead-letter queue with the service's reason (or fails
   * the task naming them under errors.tolerance=none); their chunks become committable after.
   */
  private void deadLetterRefused() {
    for (Refused r = refused.poll(); r != null; r = refused.poll()) {
      for (RecordsRefusedException.Refusal refusal : r.refusals()) {
        SinkRecord record = r.chunk().sinkRecords.get(refusal.index());
        PartitionOffsets offsets = partitions.get(r.chunk().tp);
        String reason = "Zerobus refused the record for table " + r.chunk().table + ": " + refusal.reason();
        if (offsets == null) {
          continue; // the partition was revoked; its new owner reads the record again
        }
        reject(record, offsets, r.chunk().table, reason);
      }
      r.chunk().handled.complete(null);
    }
  }

  private void reject(SinkRecord r, PartitionOffsets offsets, String table, String reason) {
    String where = "topic " + r.topic() + " partition " + r.kafkaPartition() + " offset " + r.kafkaOffset();
    DataException error = new DataException(where + ": " + reason);
    if (!tolerateBadRecords) {
      throw new ConnectException("cannot write the record at " + where + ": " + reason
          + " (set errors.tolerance=all and errors.deadletterqueue.topic.name to send such records to a dead-letter"
          + " queue instead)", error);
    }
    if (deadLetters != null) {
      deadLetters.report(r, error); // Connect waits for the report to be written before committing its offset
    } else {
      log.warn("skipping the record at {} (errors.tolerance=all, no dead-letter queue): {}", where, reason);
    }
    offsets.handled(r.kafkaOffset());
    metrics.deadLettered(table);
  }

  /** Offsets safe to commit: per partition, up to the first record not yet durable. */
  Map<TopicPartition, OffsetAndMetadata> committable(Map<TopicPartition, OffsetAndMetadata> current) {
    if (flushOnCommit) {
      awaitDurable(current.keySet());
    }
    if (tolerateBadRecords) {
      deadLetterRefused(); // under errors.tolerance=none the next put() fails the task naming the record
    }
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (TopicPartition tp : current.keySet()) {
      PartitionOffsets offsets = partitions.get(tp);
      if (offsets == null) {
        continue;
      }
      long next = offsets.committable();
      if (next >= 0) {
        out.put(tp, new OffsetAndMetadata(next));
      }
    }
    return out;
  }

  /** Waits, up to the flush timeout, for what these partitions sent to become durable. */
  private void awaitDurable(Set<TopicPartition> tps) {
    List<CompletableFuture<?>> waiting = new ArrayList<>();
    Set<String> tables = new java.util.HashSet<>();
    for (TopicPartition tp : tps) {
      PartitionOffsets offsets = partitions.get(tp);
      if (offsets != null) {
        List<CompletableFuture<?>> outstanding = offsets.outstanding();
        if (!outstanding.isEmpty()) {
          waiting.addAll(outstanding);
          String table = router.table(tp.topic());
          if (table != null) {
            tables.add(table);
          }
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

  void open(Collection<TopicPartition> assigned) {
    for (TopicPartition tp : assigned) {
      partitions.put(tp, new PartitionOffsets());
    }
  }

  /** Forgets partitions given up; their offsets were committed just before, up to what was durable. */
  void close(Collection<TopicPartition> revoked) {
    for (TopicPartition tp : revoked) {
      partitions.remove(tp);
      paused.remove(tp);
    }
  }

  private PartitionOffsets partition(TopicPartition tp) {
    return partitions.computeIfAbsent(tp, k -> new PartitionOffsets());
  }

  private void throwIfFailed() {
    ConnectException e = failure.get();
    if (e != null) {
      throw e;
    }
  }

  /**
   * Closes the streams, waiting at most flush.timeout.ms. Connect gives a stopping task
   * task.shutdown.graceful.timeout.ms (5 s by default) in all, and the offset commit just before
   * stop() already waited up to flush.timeout.ms for acks; what is still not durable after that was
   * not committed and is read again, so closing goes on in the background rather than hold up the
   * worker.
   */
  @Override
  public void close() {
    Thread closer = new Thread(() -> {
      long notDurable = streams.close(flushTimeout);
      if (notDurable > 0) {
        log.warn("{} records were not durable when the task stopped; their offsets were not committed and they will"
            + " be read again", notDurable);
      }
    }, "zerobus-close");
    closer.setDaemon(true);
    closer.start();
    try {
      closer.join(Math.max(1, flushTimeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (closer.isAlive()) {
      log.info("Zerobus streams are still closing after {} ms; the task stops now and they finish in the background",
          flushTimeout.toMillis());
    }
  }
}
