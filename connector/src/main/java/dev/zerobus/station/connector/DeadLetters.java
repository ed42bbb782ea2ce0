package dev.zerobus.station.connector;

import dev.zerobus.station.core.errors.RecordsRefusedException.Refusal;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports records that cannot be written, per {@code errors.tolerance}: to the errant record
 * reporter (the dead-letter queue) under {@code all}, else by failing the task naming topic,
 * partition, offset and reason. Once reported, a record's offset may be committed.
 */
final class DeadLetters {
  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

  private final ErrantRecordReporter reporter;
  private final boolean tolerant;
  private final SinkMetrics metrics;
  /** Records Zerobus refused, found on ack threads; reported on the task thread, where Connect wants it. */
  private final ConcurrentLinkedQueue<Refused> refused = new ConcurrentLinkedQueue<>();

  /** Records of one submission that Zerobus refused at ingest. */
  private record Refused(Submission submission, PartitionOffsets offsets, List<Refusal> refusals) {}

  /** @param reporter Connect's errant record reporter; null on a worker without one (Kafka < 2.6) */
  DeadLetters(ErrantRecordReporter reporter, boolean tolerant, SinkMetrics metrics) {
    this.reporter = reporter;
    this.tolerant = tolerant;
    this.metrics = metrics;
  }

  /** errors.tolerance=all: bad records are reported and skipped rather than failing the task. */
  boolean tolerant() {
    return tolerant;
  }

  /**
   * Reports a record that will not be written (task thread); it then counts as handled.
   *
   * @param table the record's table, or null when its topic routes to none
   * @throws ConnectException naming the record, under errors.tolerance=none
   */
  void report(SinkRecord record, PartitionOffsets offsets, String table, String reason) {
    String where = "topic " + record.topic() + " partition " + record.kafkaPartition() + " offset "
        + record.kafkaOffset();
    DataException error = new DataException(where + ": " + reason);
    if (!tolerant) {
      throw new ConnectException("cannot write the record at " + where + ": " + reason
          + " (set errors.tolerance=all and errors.deadletterqueue.topic.name to send such records to a dead-letter"
          + " queue instead)", error);
    }
    if (reporter != null) {
      reporter.report(record, error); // Connect waits for the report to be written before committing its offset
    } else {
      log.warn("skipping the record at {} (errors.tolerance=all, no dead-letter queue): {}", where, reason);
    }
    offsets.handled(record.kafkaOffset());
    metrics.deadLettered(table);
  }

  /** Zerobus refused records of a submission (any thread); {@link #reportRefused} reports them. */
  void refusedByZerobus(Submission submission, PartitionOffsets offsets, List<Refusal> refusals) {
    refused.add(new Refused(submission, offsets, refusals));
  }

  /**
   * Reports the records Zerobus refused, with the service's reason (task thread); their
   * submissions become committable after.
   *
   * @throws ConnectException naming the first such record, under errors.tolerance=none
   */
  void reportRefused() {
    for (Refused r = refused.poll(); r != null; r = refused.poll()) {
      Submission s = r.submission();
      if (!r.offsets().revoked()) { // else its new owner reads the records again
        for (Refusal refusal : r.refusals()) {
          report(s.record(refusal.index()), r.offsets(), s.table,
              "Zerobus refused the record for table " + s.table + ": " + refusal.reason());
        }
      }
      s.committable.complete(null);
    }
  }
}
