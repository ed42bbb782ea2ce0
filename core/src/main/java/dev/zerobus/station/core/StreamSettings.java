package dev.zerobus.station.core;

import java.time.Duration;

/**
 * How the stream manager uses Zerobus streams.
 *
 * @param streamsPerTable Zerobus streams ("lanes") per table; one stream is capped by the service
 *     (documented at 15,000 rows/s and 100 MB/s), so a busy table can spread over several; order
 *     holds only within a lane
 * @param maxBatchRecords records coalesced into one SDK batch call at most
 * @param maxBatchBytes bytes in one SDK batch call at most (a batch must fit one gRPC message)
 * @param linger how long a lane waits for more records before sending a partial batch; 0 (the
 *     default) sends at once, and records that arrive while a call is under way go together in
 *     the next one, which batches under load without delaying a lone record
 * @param maxInflightRecords records per lane handed to the SDK and not yet durable; when full,
 *     new records queue
 * @param maxQueuedRecords records per lane waiting for the SDK; past this, ingest is refused with
 *     {@link BackpressureException} rather than queued without bound
 * @param recoveryRetries the SDK's own retries when it loses a stream
 * @param recoveryBackoff the SDK's pause between those retries
 * @param recoveryTimeout the SDK's limit on one stream-creation attempt
 * @param serverAckTimeout how long the SDK waits for any ack before it treats the stream as lost
 * @param reopenBackoffMax longest pause between this manager's attempts to open a new stream
 *     after the SDK gave one up
 * @param failedCooldown after a non-retryable failure (credentials, permissions, schema), how long
 *     ingest is refused before a new stream is tried
 */
public record StreamSettings(
    int streamsPerTable,
    int maxBatchRecords,
    int maxBatchBytes,
    Duration linger,
    int maxInflightRecords,
    int maxQueuedRecords,
    int recoveryRetries,
    Duration recoveryBackoff,
    Duration recoveryTimeout,
    Duration serverAckTimeout,
    Duration reopenBackoffMax,
    Duration failedCooldown) {

  public static final StreamSettings DEFAULTS = new StreamSettings(1, 1000, 4 << 20, Duration.ZERO, 50_000,
      10_000, 3, Duration.ofSeconds(2), Duration.ofSeconds(15), Duration.ofSeconds(60), Duration.ofSeconds(30),
      Duration.ofSeconds(10));

  public StreamSettings {
    if (streamsPerTable < 1 || maxBatchRecords < 1 || maxBatchBytes < 1 || maxInflightRecords < 1 || maxQueuedRecords < 1) {
      throw new IllegalArgumentException("stream counts and limits must be positive");
    }
  }

  public StreamSettings withStreamsPerTable(int n) {
    return new StreamSettings(n, maxBatchRecords, maxBatchBytes, linger, maxInflightRecords, maxQueuedRecords,
        recoveryRetries, recoveryBackoff, recoveryTimeout, serverAckTimeout, reopenBackoffMax, failedCooldown);
  }

  public StreamSettings withLimits(int maxInflightRecords, int maxQueuedRecords) {
    return new StreamSettings(streamsPerTable, maxBatchRecords, maxBatchBytes, linger, maxInflightRecords,
        maxQueuedRecords, recoveryRetries, recoveryBackoff, recoveryTimeout, serverAckTimeout, reopenBackoffMax,
        failedCooldown);
  }

  public StreamSettings withBatching(int maxBatchRecords, Duration linger) {
    return new StreamSettings(streamsPerTable, maxBatchRecords, maxBatchBytes, linger, maxInflightRecords,
        maxQueuedRecords, recoveryRetries, recoveryBackoff, recoveryTimeout, serverAckTimeout, reopenBackoffMax,
        failedCooldown);
  }

  public StreamSettings withRecovery(int retries, Duration backoff, Duration timeout, Duration serverAckTimeout,
      Duration reopenBackoffMax, Duration failedCooldown) {
    return new StreamSettings(streamsPerTable, maxBatchRecords, maxBatchBytes, linger, maxInflightRecords,
        maxQueuedRecords, retries, backoff, timeout, serverAckTimeout, reopenBackoffMax, failedCooldown);
  }
}
