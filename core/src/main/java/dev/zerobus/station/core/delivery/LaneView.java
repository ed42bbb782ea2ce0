package dev.zerobus.station.core.delivery;

import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import dev.zerobus.station.core.errors.BackpressureException;
import dev.zerobus.station.core.errors.SchemaChangedException;
import dev.zerobus.station.core.errors.StreamUnavailableException;
import dev.zerobus.station.core.errors.TooLargeException;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableDefinition.SchemaNotice;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lane as its callers see it, from their own threads: the checks a submission meets before
 * anything is queued (size, queue room, a refused or closing table), the counters, and the state,
 * error and window that the lane's strand publishes here. Nothing here decides what the lane does.
 */
final class LaneView {
  private static final Logger log = LoggerFactory.getLogger(LaneView.class);
  static final Duration SHUTDOWN_RETRY_AFTER = Duration.ofSeconds(5);
  /** A table refused over a change in its columns waits for a restart: callers need not come back soon. */
  private static final Duration SCHEMA_CHANGED_RETRY_AFTER = Duration.ofSeconds(60);

  final String name;
  private final String table;
  private final String tableName;
  private final StreamSettings settings;
  private final Batcher batcher;

  final LongAdder accepted = new LongAdder();
  final LongAdder durable = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder refused = new LongAdder();
  final LongAdder replayed = new LongAdder();
  final LongAdder streamsOpened = new LongAdder();
  private final AtomicInteger queuedRecords = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();

  // Published by the strand.
  private volatile StreamState state = StreamState.IDLE;
  private volatile String lastError;
  private volatile Instant openedAt;
  private volatile int inflight;
  private volatile int losses;
  private volatile long refuseUntilNanos;
  private volatile boolean closing;
  private volatile long lastActivityNanos = System.nanoTime();

  LaneView(String name, String table, String tableName, StreamSettings settings, Batcher batcher) {
    this.name = name;
    this.table = table;
    this.tableName = tableName;
    this.settings = settings;
    this.batcher = batcher;
  }

  /**
   * The checks a submission meets before it is queued; nothing is taken when one fails.
   *
   * @throws StreamUnavailableException while the table is refused after a table failure, while
   *     opening a stream keeps failing, or once the lane is closing
   * @throws TooLargeException for a record no call can carry, or more records than the lane queues
   * @throws BackpressureException when the queue has no room for them now
   * @throws SchemaChangedException while the table refuses records over a change in its columns
   */
  IngestTicket admit(List<byte[]> records, TableDefinition def) {
    if (closing) {
      throw new StreamUnavailableException("table " + table + ": shutting down", SHUTDOWN_RETRY_AFTER);
    }
    SchemaNotice notice = def.schemaNotice();
    if (notice != null && notice.refusing()) {
      throw new SchemaChangedException("table " + table + " (" + tableName + "): Unity Catalog's columns changed ("
          + notice.change() + "), so records are refused until a restart reads the new columns (schema_drift is"
          + " fail)", SCHEMA_CHANGED_RETRY_AFTER);
    }
    long refuseFor = refuseUntilNanos - System.nanoTime();
    if (state == StreamState.FAILED && refuseFor > 0) { // the same clock as refusing()
      throw new StreamUnavailableException("table " + table + ": " + lastError,
          Duration.ofNanos(Math.max(refuseFor, 1_000_000_000L)));
    }
    // A working stream replaced once is the lane's business: records queue behind the replay. Only when
    // opening has failed again is it an outage that callers should hear about.
    if (state == StreamState.RECOVERING && losses > 1) {
      throw new StreamUnavailableException("table " + table + ": the stream is being replaced after a failure ("
          + lastError + ")", Duration.ofSeconds(1));
    }
    int n = records.size();
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      byte[] r = records.get(i);
      if (!batcher.fitsAlone(r)) {
        throw batcher.tooLarge(table, r, i);
      }
      bytes += r.length;
    }
    if (n > settings.maxQueuedRecords() || bytes > settings.maxQueuedBytes()) {
      throw new TooLargeException("table " + table + ": a submission of " + n + " records (" + bytes
          + " bytes encoded) is more than a stream queues (max.queued.records=" + settings.maxQueuedRecords()
          + ", max.queued.bytes=" + settings.maxQueuedBytes() + "); split it", -1);
    }
    int queued = queuedRecords.addAndGet(n);
    long queuedNow = queuedBytes.addAndGet(bytes);
    if (queued > settings.maxQueuedRecords() || queuedNow > settings.maxQueuedBytes()) {
      unqueue(n, bytes);
      throw new BackpressureException("table " + table + ": " + (queued - n) + " records are waiting for Zerobus ("
          + (queuedNow - bytes) + " bytes; limits " + settings.maxQueuedRecords() + " records, "
          + settings.maxQueuedBytes() + " bytes)", Duration.ofSeconds(1));
    }
    lastActivityNanos = System.nanoTime();
    return new IngestTicket(table, records, bytes, def.schemaVersion());
  }

  /** The table's Unity Catalog name. */
  String tableName() {
    return tableName;
  }

  void unqueue(int records, long bytes) {
    queuedRecords.addAndGet(-records);
    queuedBytes.addAndGet(-bytes);
  }

  /**
   * Fails the tickets of these slices (whole tickets: one failure answers a submission).
   *
   * @return how many of their records were neither durable nor refused
   */
  int fail(List<Slice> slices, RuntimeException e) {
    Set<IngestTicket> tickets = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Slice s : slices) {
      tickets.add(s.ticket());
    }
    int records = 0;
    for (IngestTicket t : tickets) {
      records += t.fail(e, failed);
    }
    if (records > 0) {
      log.error("table {}: {} records were not written: {}", table, records, e.getMessage());
    }
    return records;
  }

  RuntimeException tableException(String why) {
    Duration cooldown = settings.failedCooldown();
    return new StreamUnavailableException("table " + table + " (" + tableName + "): " + why,
        cooldown.isZero() ? Duration.ofSeconds(1) : cooldown);
  }

  RuntimeException shutdown() {
    return new StreamUnavailableException("table " + table + ": shut down before Zerobus acknowledged these records",
        SHUTDOWN_RETRY_AFTER);
  }

  // --- Published by the strand ---

  void state(StreamState s) {
    state = s;
    if (s != StreamState.OPEN) {
      openedAt = null;
    }
  }

  void opened() {
    streamsOpened.increment();
    openedAt = Instant.now();
    lastError = null;
  }

  void lastError(String e) {
    lastError = e;
  }

  void inflight(int records) {
    inflight = records;
  }

  void losses(int n) {
    losses = n;
  }

  void refuseFor(Duration cooldown) {
    refuseUntilNanos = System.nanoTime() + cooldown.toNanos();
  }

  void closing() {
    closing = true;
  }

  /** Whether a table failure's cooldown is still running. */
  boolean refusing() {
    return refuseUntilNanos - System.nanoTime() > 0;
  }

  // --- Read by anyone ---

  /** The table's key. */
  String table() {
    return table;
  }

  StreamState state() {
    return state;
  }

  String lastError() {
    return lastError;
  }

  Instant openedAt() {
    return state == StreamState.OPEN ? openedAt : null;
  }

  int inflightRecords() {
    return inflight;
  }

  int queuedRecords() {
    return queuedRecords.get();
  }

  long lastActivityNanos() {
    return lastActivityNanos;
  }
}
