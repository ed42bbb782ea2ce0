package dev.zerobus.station.core.delivery;

import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import dev.zerobus.station.core.errors.UnknownTableException;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that talks to Zerobus: per table one or more {@link Lane}s, each a stream opened on
 * first use (or by {@link #open}, all tables at once), reused, replaced when it fails, closed when
 * idle (stream.idle.close.ms) and bounded in number (max.open.streams). Single records from
 * concurrent callers are coalesced into SDK batch calls, which are ~50 times cheaper per record than
 * single-record calls. Callers get an {@link IngestTicket} whose futures tell when the SDK took the
 * records and when Zerobus made them durable.
 *
 * <p>Lanes run on a small pool shared by all tables, so threads do not grow with the number of
 * tables; each lane's state has a single owner (its {@link Strand}).
 *
 * <p>Nothing it accepts is dropped quietly: calls are kept until acknowledged and replayed on a
 * new stream if one is lost (so a record may land twice, never zero times). A record the service
 * refuses is isolated and failed alone; a table failure (credentials, permissions, schema) fails
 * the table's records and refuses it for a cooldown. docs/delivery.md has the whole failure model.
 */
public final class StreamManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StreamManager.class);
  /**
   * Records without a lane key go to one lane of their table per slice of this much time, then to the next: over
   * a second every lane takes its share, while records arriving together still share calls. Turn by turn per
   * request, each lane's sender woke for calls N times smaller, which cost single-record requests 2–3× the CPU.
   */
  static final long LANE_SLICE_NANOS = 1_000_000;
  /** How long close() waits for a lane to stop once its records were given their deadline. */
  private static final Duration STOP_WAIT = Duration.ofSeconds(5);

  private final TableRegistry registry;
  private final ZerobusClient client;
  private final Map<String, Lane[]> lanes = new LinkedHashMap<>();
  private final ThreadPoolExecutor pool;
  private final Timers timers = new Timers();
  private boolean closed;

  /** Over a Zerobus client: the SDK's ({@code SdkZerobusClient.streamManager}), or a scripted one in tests. */
  public StreamManager(TableRegistry registry, ZerobusClient client, StreamSettings settings) {
    this.registry = registry;
    this.client = client;
    // A few threads for every lane's events: they never wait on the service, only hand calls to the SDK.
    int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    AtomicInteger count = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "zerobus-lanes-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    pool.allowCoreThreadTimeOut(true);
    StreamSlots slots = settings.maxOpenStreams() > 0 ? new StreamSlots(settings.maxOpenStreams()) : null;
    for (TableDefinition table : registry.tables()) {
      String key = table.key();
      Supplier<TableDefinition> current = () -> registry.find(key).orElseThrow();
      Lane[] tableLanes = new Lane[settings.streamsPerTable()];
      for (int i = 0; i < tableLanes.length; i++) {
        String name = key + "#" + i;
        Strand strand = new Strand(pool, (thread, bug) ->
            log.error("lane {}: unexpected error; the lane goes on with its next event", name, bug));
        tableLanes[i] = new Lane(client, current, i, settings, strand, timers, slots);
      }
      lanes.put(table.key(), tableLanes);
    }
  }

  public TableRegistry registry() {
    return registry;
  }

  /** Queues one record; it goes out in a batch with whatever else is waiting. */
  public IngestTicket ingest(String table, byte[] record) {
    return ingest(table, -1, List.of(record));
  }

  /** Queues records; they go out in order, in as many SDK calls as the size limits need. */
  public IngestTicket ingest(String table, List<byte[]> records) {
    return ingest(table, -1, records);
  }

  /**
   * Queues records on lane {@code laneKey mod streamsPerTable} (keeping order per key, e.g. per
   * Kafka partition), or, when laneKey is negative, on the lane whose turn it is ({@link #LANE_SLICE_NANOS}).
   *
   * @throws UnknownTableException for a table that is not configured
   * @throws dev.zerobus.station.core.errors.BackpressureException when the lane's queue is full (nothing was taken)
   * @throws dev.zerobus.station.core.errors.StreamUnavailableException when the table cannot take records now
   *     (nothing was taken)
   * @throws dev.zerobus.station.core.errors.SchemaChangedException when the table's columns changed in a way
   *     its records may not fit and schema_drift is fail (nothing was taken)
   * @throws dev.zerobus.station.core.errors.TooLargeException for a record no call can carry, or more records
   *     than a lane queues
   */
  public IngestTicket ingest(String table, int laneKey, List<byte[]> records) {
    return lane(table, laneKey).submit(records);
  }

  /** Completes when everything queued for the table before this call is settled. */
  public CompletableFuture<Void> flush(String table) {
    return everyLane(table, Lane::flush);
  }

  public CompletableFuture<Void> flushAll() {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (String table : lanes.keySet()) {
      all.add(flush(table));
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
  }

  /**
   * Opens the table's streams if they are not open; completes when they are (readiness). Opening
   * does not hold a thread, so every table's streams open at once.
   */
  public CompletableFuture<Void> open(String table) {
    return everyLane(table, Lane::ready);
  }

  private CompletableFuture<Void> everyLane(String table, Function<Lane, CompletableFuture<?>> action) {
    Lane[] tableLanes = lanes(table);
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
    for (Lane lane : lanes(table)) {
      LaneView v = lane.view;
      if (v.state().compareTo(worst) > 0) {
        worst = v.state();
      }
      if (openedAt == null) {
        openedAt = v.openedAt();
      }
      if (v.lastError() != null) {
        lastError = v.lastError();
      }
      opened += v.streamsOpened.sum();
      accepted += v.accepted.sum();
      durable += v.durable.sum();
      failed += v.failed.sum() + v.refused.sum();
      replayed += v.replayed.sum();
      inflight += v.inflightRecords();
      queued += v.queuedRecords();
    }
    return new TableHealth(table, def.tableName(), worst, openedAt, opened, accepted, durable, failed, replayed,
        inflight, queued, lastError, def.schemaVersion(), def.schemaNotice());
  }

  public List<TableHealth> health() {
    List<TableHealth> out = new ArrayList<>();
    for (String table : lanes.keySet()) {
      out.add(health(table));
    }
    return out;
  }

  /**
   * Stops taking records, waits up to {@code timeout} for everything taken to become durable (all
   * lanes at once, within the one deadline), then stops the lanes, fails what is left with the
   * shutdown reason, and closes the client once no lane is inside a call.
   *
   * @return taken records that were neither made durable nor refused by the service
   */
  public synchronized long close(Duration timeout) {
    if (closed) {
      return 0;
    }
    closed = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Lane> all = new ArrayList<>();
    lanes.values().forEach(ls -> all.addAll(List.of(ls)));
    all.forEach(l -> l.view.closing());
    await(CompletableFuture.allOf(all.stream().map(Lane::flush).toArray(CompletableFuture<?>[]::new)), deadline);
    long stopDeadline = System.nanoTime() + STOP_WAIT.toNanos();
    long notDurable = 0;
    boolean laneStuck = false;
    for (Map.Entry<String, Lane[]> e : lanes.entrySet()) {
      long table = 0;
      for (Lane lane : e.getValue()) {
        CompletableFuture<Integer> stopped = lane.stop();
        if (await(stopped, stopDeadline)) {
          table += stopped.join();
        } else {
          laneStuck = true;
        }
      }
      if (table > 0) {
        log.error("table {}: {} accepted records were not made durable before shutdown", e.getKey(), table);
      }
      notDurable += table;
    }
    timers.close();
    pool.shutdown();
    if (laneStuck) {
      log.warn("a lane is still inside a Zerobus call; leaving the SDK open rather than closing it under that call");
    } else {
      client.close();
    }
    return notDurable;
  }

  /** Waits for the future until the deadline (System.nanoTime); true when it completed. */
  private static boolean await(CompletableFuture<?> f, long deadline) {
    try {
      f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      return true;
    } catch (TimeoutException e) {
      return false;
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  private Lane[] lanes(String table) {
    Lane[] tableLanes = lanes.get(table);
    if (tableLanes == null) {
      throw new UnknownTableException(table, lanes.keySet());
    }
    return tableLanes;
  }

  private Lane lane(String table, int laneKey) {
    Lane[] tableLanes = lanes(table);
    if (tableLanes.length == 1) {
      return tableLanes[0];
    }
    long i = laneKey >= 0 ? laneKey : System.nanoTime() / LANE_SLICE_NANOS;
    return tableLanes[(int) Math.floorMod(i, (long) tableLanes.length)];
  }
}
