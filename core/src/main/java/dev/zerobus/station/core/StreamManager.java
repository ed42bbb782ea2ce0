package dev.zerobus.station.core;

import com.databricks.zerobus.ZerobusSdk;
import dev.zerobus.station.core.TableHealth.StreamState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that talks to Zerobus: one SDK per process, and per table one or more streams
 * ("lanes"), opened lazily on first use, reused, replaced when the SDK gives one up. Single
 * records from concurrent callers are coalesced into SDK batch calls, which are ~50 times cheaper
 * per record than single-record calls. Callers get an {@link IngestTicket} whose futures tell when
 * the SDK took the records and when Zerobus made them durable.
 *
 * <p>Nothing it accepts is dropped quietly: batches are kept until acknowledged and replayed on a
 * new stream if one is lost (so a record may land twice, never zero times); only a non-retryable
 * error (credentials, permissions, schema) fails them, through their tickets.
 */
public final class StreamManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StreamManager.class);

  private final TableRegistry registry;
  private final ZerobusSdk sdk;
  private final Map<String, StreamLane[]> lanes = new LinkedHashMap<>();
  private final Map<String, AtomicInteger> nextLane = new LinkedHashMap<>();
  private volatile boolean closed;

  public StreamManager(TableRegistry registry, Credentials credentials, StreamSettings settings) {
    this.registry = registry;
    DatabricksSettings db = registry.config().databricks();
    this.sdk = new ZerobusSdk(db.serverEndpoint(), db.workspaceUrl());
    for (TableDefinition table : registry.tables()) {
      StreamLane[] tableLanes = new StreamLane[settings.streamsPerTable()];
      for (int i = 0; i < tableLanes.length; i++) {
        tableLanes[i] = new StreamLane(sdk, table, i, credentials, settings);
      }
      lanes.put(table.key(), tableLanes);
      nextLane.put(table.key(), new AtomicInteger());
    }
    log.info("Zerobus endpoint {}, workspace {}, {} tables, {} stream(s) per table, client {}", db.serverEndpoint(),
        db.workspaceUrl(), lanes.size(), settings.streamsPerTable(), credentials.clientId());
  }

  public TableRegistry registry() {
    return registry;
  }

  /** Queues one record; it goes out in a batch with whatever else arrives within the linger time. */
  public IngestTicket ingest(String table, byte[] record) {
    return ingest(table, -1, List.of(record));
  }

  /** Queues records that go out together in one SDK batch call (never split). */
  public IngestTicket ingest(String table, List<byte[]> records) {
    return ingest(table, -1, records);
  }

  /**
   * Queues records on lane {@code laneKey mod streamsPerTable} (keeping order per key, e.g. per
   * Kafka partition), or round-robin when laneKey is negative.
   *
   * @throws UnknownTableException for a table that is not configured
   * @throws BackpressureException when the lane's queue is full (nothing was taken)
   * @throws StreamUnavailableException when the table cannot take records now (nothing was taken)
   */
  public IngestTicket ingest(String table, int laneKey, List<byte[]> records) {
    return lane(table, laneKey).submit(records);
  }

  /** Completes when everything queued for the table before this call is durable. */
  public CompletableFuture<Void> flush(String table) {
    return everyLane(table, StreamLane::flush);
  }

  public CompletableFuture<Void> flushAll() {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (String table : lanes.keySet()) {
      all.add(flush(table));
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
  }

  /** Opens the table's streams if they are not open; completes when they are (readiness). */
  public CompletableFuture<Void> open(String table) {
    return everyLane(table, StreamLane::ready);
  }

  private CompletableFuture<Void> everyLane(String table, Function<StreamLane, CompletableFuture<?>> action) {
    StreamLane[] tableLanes = lanes(table);
    CompletableFuture<?>[] all = new CompletableFuture<?>[tableLanes.length];
    for (int i = 0; i < tableLanes.length; i++) {
      all[i] = action.apply(tableLanes[i]);
    }
    return CompletableFuture.allOf(all);
  }

  public TableHealth health(String table) {
    TableDefinition def = registry.find(table).orElseThrow(() -> new UnknownTableException(table, lanes.keySet()));
    StreamState worst = StreamState.IDLE;
    Instant openedAt = null;
    String lastError = null;
    long opened = 0;
    long accepted = 0;
    long durable = 0;
    long failed = 0;
    long replayed = 0;
    long inflight = 0;
    long queued = 0;
    for (StreamLane lane : lanes(table)) {
      if (lane.state().compareTo(worst) > 0) {
        worst = lane.state();
      }
      if (openedAt == null) {
        openedAt = lane.openedAt();
      }
      if (lane.lastError() != null) {
        lastError = lane.lastError();
      }
      opened += lane.streamsOpened.sum();
      accepted += lane.accepted.sum();
      durable += lane.durable.sum();
      failed += lane.failed.sum();
      replayed += lane.replayed.sum();
      inflight += lane.inflightRecords();
      queued += lane.queuedRecords();
    }
    return new TableHealth(table, def.tableName(), worst, openedAt, opened, accepted, durable, failed, replayed,
        inflight, queued, lastError);
  }

  public List<TableHealth> health() {
    List<TableHealth> out = new ArrayList<>();
    for (String table : lanes.keySet()) {
      out.add(health(table));
    }
    return out;
  }

  /**
   * Stops taking records, waits up to {@code timeout} for everything queued and in flight to
   * become durable, closes the streams and the SDK. Logs what did not become durable.
   *
   * @return records that were not durable when it gave up
   */
  public synchronized long close(Duration timeout) {
    if (closed) {
      return 0;
    }
    closed = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    long notDurable = 0;
    for (Map.Entry<String, StreamLane[]> e : lanes.entrySet()) {
      for (StreamLane lane : e.getValue()) {
        long left = Math.max(0, deadline - System.nanoTime());
        int lost = lane.close(Duration.ofNanos(left));
        if (lost > 0) {
          log.error("table {}: {} records were not durable at shutdown", e.getKey(), lost);
        }
        notDurable += lost;
      }
    }
    sdk.close();
    return notDurable;
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  private StreamLane[] lanes(String table) {
    StreamLane[] tableLanes = lanes.get(table);
    if (tableLanes == null) {
      throw new UnknownTableException(table, lanes.keySet());
    }
    return tableLanes;
  }

  private StreamLane lane(String table, int laneKey) {
    StreamLane[] tableLanes = lanes(table);
    if (tableLanes.length == 1) {
      return tableLanes[0];
    }
    int i = laneKey >= 0 ? laneKey : nextLane.get(table).getAndIncrement();
    return tableLanes[Math.floorMod(i, tableLanes.length)];
  }
}
