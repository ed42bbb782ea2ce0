package dev.zerobus.station.connector;

import dev.zerobus.station.core.delivery.Batcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

/** A run of one partition's records for one table, as much as one Zerobus call carries (core's {@link Batcher} rule). */
final class Submission {
  final TopicPartition partition;
  final String table;
  private final Batcher.Fill call;
  private final List<byte[]> encoded = new ArrayList<>();
  private final List<SinkRecord> records = new ArrayList<>();
  /** Completes once every record is durable, or refused and dead-lettered: then its offsets may be committed. */
  final CompletableFuture<Void> committable = new CompletableFuture<>();
  /** Completes once Zerobus has answered for every record and the answer is recorded: what a flush waits for. */
  final CompletableFuture<Void> answered = new CompletableFuture<>();
  /** The newest Kafka timestamp among the records (ms since the epoch); -1 when none has one. */
  private long newestTimestamp = -1;
  /** When it was handed to core's stream manager (System.nanoTime()), for the ack latency. */
  long handedOverNanos;

  Submission(TopicPartition partition, String table, Batcher batcher) {
    this.partition = partition;
    this.table = table;
    this.call = batcher.newCall();
  }

  /** Adds the record if the call has room for it; false (nothing added) when it does not. */
  boolean tryAdd(SinkRecord record, byte[] encodedRecord) {
    if (!call.tryAdd(encodedRecord)) {
      return false;
    }
    records.add(record);
    encoded.add(encodedRecord);
    Long timestamp = record.timestamp();
    if (timestamp != null && timestamp > newestTimestamp) {
      newestTimestamp = timestamp;
    }
    return true;
  }

  List<byte[]> encoded() {
    return encoded;
  }

  /** The Kafka record that went out as the submission's {@code index}th record. */
  SinkRecord record(int index) {
    return records.get(index);
  }

  long newestTimestamp() {
    return newestTimestamp;
  }

  int size() {
    return records.size();
  }

  long firstOffset() {
    return records.get(0).kafkaOffset();
  }

  long lastOffset() {
    return records.get(records.size() - 1).kafkaOffset();
  }

  /** For messages: {@code events-0 offsets 5..9}. */
  @Override
  public String toString() {
    return partition + " offsets " + firstOffset() + ".." + lastOffset();
  }
}
