package dev.zerobus.station.connector;

import dev.zerobus.station.connector.ZerobusSinkConfig.NullValues;
import dev.zerobus.station.core.delivery.Batcher;
import dev.zerobus.station.core.delivery.IngestTicket;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.errors.IngestRefusedException;
import dev.zerobus.station.core.errors.RecordsRefusedException;
import dev.zerobus.station.core.errors.SchemaChangedException;
import dev.zerobus.station.core.schema.UnityCatalog;
import dev.zerobus.station.core.table.SchemaRefresh;
import dev.zerobus.station.core.table.TableDefinition;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Routes and encodes each record, cuts each partition's run of records into {@link Submission}s
 * and hands them to core's stream manager, and records how Zerobus answered for them.
 *
 * <p>The other jobs are its helpers': {@link Backpressure} when Zerobus cannot take records now,
 * {@link DeadLetters} for records that cannot be written, {@link CommitPoints} for what may be
 * committed, {@link StreamCloser} for stopping. Lost streams are replayed inside core. A
 * non-retryable error (credentials, permissions, schema) fails the task at the next put(); its
 * uncommitted records are read again when it is restarted.
 */
final class ZerobusWriter {
  private final StreamManager streams;
  private final TableRouter router;
  private final RecordConverter converter;
  private final NullValues nullValues;
  private final Batcher batcher;
  private final Duration flushTimeout;
  private final SinkMetrics metrics;
  private final DeadLetters deadLetters;
  private final Backpressure backpressure;
  private final CommitPoints commitPoints;
  private final CommitRequests commitRequests;
  private final SchemaRefresh refresh;
  /** Longer than the catalog's own request timeout, so a read prompted by a record is waited out. */
  private static final Duration CATALOG_WAIT = UnityCatalog.REQUEST_TIMEOUT.plusSeconds(5);
  /** The first failure Zerobus will not retry, found on an ack thread; put() fails the task with it. */
  private final AtomicReference<ConnectException> failure = new AtomicReference<>();

  /** What one record becomes: encoded bytes for its table, or a reason it will not be written, or neither (skipped). */
  private record Encoded(String table, byte[] bytes, String problem) {}

  ZerobusWriter(ZerobusSinkConfig config, StreamManager streams, TableRouter router, RecordConverter converter,
      SinkMetrics metrics, DeadLetters deadLetters, Backpressure backpressure, CommitPoints commitPoints,
      CommitRequests commitRequests) {
    this.streams = streams;
    this.refresh = SchemaRefresh.start(streams.registry(), config.settings().catalogRefresh());
    this.router = router;
    this.converter = converter;
    this.metrics = metrics;
    this.deadLetters = deadLetters;
    this.backpressure = backpressure;
    this.nullValues = config.nullValues();
    this.batcher = new Batcher(config.streamSettings());
    this.flushTimeout = Duration.ofMillis(config.getLong(ZerobusSinkConfig.FLUSH_TIMEOUT_MS));
    this.commitPoints = commitPoints;
    this.commitRequests = commitRequests;
  }

  void write(Collection<SinkRecord> records) {
    ConnectException failed = failure.get();
    if (failed != null) {
      throw failed;
    }
    deadLetters.reportRefused();
    backpressure.resumeIfDue();
    commitRequests.beforePut();
    metrics.put(records.size());
    Map<TopicPartition, Submission> filling = new LinkedHashMap<>();
    Set<TopicPartition> held = new HashSet<>(); // refused now: read again from the refused submission on
    for (SinkRecord r : records) {
      TopicPartition tp = new TopicPartition(r.topic(), r.kafkaPartition());
      PartitionOffsets offsets = commitPoints.of(tp);
      offsets.put(r.kafkaOffset());
      if (held.contains(tp) || offsets.alreadyHandled(r.kafkaOffset())) {
        continue;
      }
      Encoded e = encode(r);
      if (e.bytes() == null) {
        // Handled without Zerobus: only once the records before it are on their way, so offsets stay in order.
        if (submit(filling.remove(tp), held)) {
          if (e.problem() != null) {
            deadLetters.report(r, offsets, e.table(), e.problem());
          } else {
            offsets.handled(r.kafkaOffset());
            metrics.skipped(e.table());
          }
        }
        continue;
      }
      Submission s = filling.get(tp);
      if (s != null && !s.tryAdd(r, e.bytes())) {
        filling.remove(tp);
        if (!submit(s, held)) {
          continue;
        }
        s = null;
      }
      if (s == null) {
        s = new Submission(tp, e.table(), batcher);
        s.tryAdd(r, e.bytes()); // an empty call takes any record that fits alone, which encode() checked
        filling.put(tp, s);
      }
    }
    for (Submission s : filling.values()) {
      submit(s, held);
    }
  }

  private Encoded encode(SinkRecord r) {
    TableDefinition def = router.definition(r.topic());
    if (def == null) {
      return new Encoded(null, null, "topic " + r.topic() + " routes to table '" + router.route(r.topic())
          + "', which is not in the station config (tables: " + streams.registry().keys() + ")");
    }
    String table = def.key();
    if (r.value() == null) {
      return new Encoded(table, null, nullValues == NullValues.FAIL ? "the value is null (null.values=fail)" : null);
    }
    byte[] bytes;
    try {
      bytes = converter.convert(r, def);
    } catch (EncodeException e) {
      TableDefinition newer = e.unknownField() ? columnsAdded(def) : null;
      if (newer == null) {
        return new Encoded(table, null, e.getMessage());
      }
      try {
        bytes = converter.convert(r, newer);
      } catch (EncodeException again) {
        return new Encoded(table, null, again.getMessage());
      }
    }
    if (!batcher.fitsAlone(bytes)) {
      return new Encoded(table, null, batcher.tooLarge(table, bytes, -1).getMessage());
    }
    return new Encoded(table, bytes, null);
  }

  /**
   * A record carried a field the table does not know: reads the table's columns again if a read is
   * due ({@link SchemaRefresh}), waiting for it here (put() may take that long; the read is bounded
   * by the catalog's timeout). The table's new definition if columns were added, else null.
   */
  private TableDefinition columnsAdded(TableDefinition def) {
    TableDefinition now;
    try {
      now = refresh.unknownField(def.key()).get(CATALOG_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException | TimeoutException e) {
      return null;
    }
    return now != null && now.schemaVersion() != def.schemaVersion() ? now : null;
  }

  /**
   * Hands a submission to the stream manager; false when Zerobus cannot take it now, and then its
   * partition is held back for the rest of this put and {@link Backpressure} has it read again.
   */
  private boolean submit(Submission s, Set<TopicPartition> held) {
    if (s == null) {
      return true;
    }
    IngestTicket ticket;
    s.handedOverNanos = System.nanoTime();
    try {
      ticket = streams.ingest(s.table, s.partition.partition(), s.encoded());
    } catch (SchemaChangedException e) {
      throw new ConnectException(e.getMessage() + ". Restart the task to read the new columns; records from "
          + s + " on were not committed and are written then.", e);
    } catch (IngestRefusedException e) {
      held.add(s.partition);
      backpressure.refused(s.partition, s.firstOffset(), e);
      return false;
    }
    backpressure.taken();
    PartitionOffsets offsets = commitPoints.of(s.partition);
    offsets.sent(s.firstOffset(), s.lastOffset(), s.committable, s.answered);
    metrics.ingested(s.table, s.size());
    commitRequests.sent();
    ticket.durable().whenComplete((ok, error) -> {
      try {
        metrics.answered(s.table, s.size());
        answered(s, offsets, error);
      } finally {
        s.answered.complete(null); // a flush waiting for it must not wait out its timeout
      }
    });
    return true;
  }

  /** Zerobus's answer for a submission (an ack thread): durable, some records refused, or failed. */
  private void answered(Submission s, PartitionOffsets offsets, Throwable error) {
    if (error == null) {
      metrics.acked(s.table, s.size(), System.nanoTime() - s.handedOverNanos, s.newestTimestamp());
      s.committable.complete(null);
      return;
    }
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof RecordsRefusedException r) {
      metrics.acked(s.table, s.size() - r.refusals().size(), System.nanoTime() - s.handedOverNanos,
          s.newestTimestamp());
      deadLetters.refusedByZerobus(s, offsets, r.refusals()); // then committable
    } else if (!offsets.revoked()) {
      failure.compareAndSet(null, new ConnectException("Zerobus refused records " + s + " for table " + s.table
          + " and will not take them on retry: " + cause.getMessage()
          + ". Their offsets were not committed; fix the cause and restart the task to write them.", cause));
    }
  }

  /**
   * Offsets safe to commit: per partition, up to the first record neither durable nor dead-lettered.
   * A commit the task requested takes what is durable now; the worker's own commits first wait for
   * acks (flush.on.commit).
   */
  Map<TopicPartition, OffsetAndMetadata> committable(Map<TopicPartition, OffsetAndMetadata> current) {
    if (!commitRequests.answering()) {
      commitPoints.awaitAnswers(current.keySet());
    }
    if (deadLetters.tolerant()) {
      deadLetters.reportRefused(); // under errors.tolerance=none the next put() fails the task naming the record
    }
    Map<TopicPartition, OffsetAndMetadata> out = commitPoints.committable(current.keySet());
    commitRequests.committing(out);
    return out;
  }

  void open(Collection<TopicPartition> assigned) {
    commitPoints.open(assigned);
  }

  /** Partitions given up in a rebalance: answers still to come for them change nothing. */
  void close(Collection<TopicPartition> revoked) {
    commitPoints.close(revoked);
    backpressure.forget(revoked);
    commitRequests.forget(revoked);
  }

  /** Stops: closes the streams within flush.timeout.ms. */
  void close() {
    refresh.close();
    StreamCloser.close(streams, flushTimeout);
  }
}
