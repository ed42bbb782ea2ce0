package dev.zerobus.station.connector;

import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task's counters, registered with the worker through Connect's plugin metrics, so they show
 * in JMX as {@code kafka.connect:type=plugins,connector=<name>,task=<n>[,table=<key>]} beside the
 * worker's own metrics (and in any other reporter the worker has).
 */
final class SinkMetrics {
  private static final Logger log = LoggerFactory.getLogger(SinkMetrics.class);

  /** Ack latencies kept for the percentiles: the last this many acknowledged submissions ... */
  static final int LATENCY_SAMPLES = 1024;
  /** ... of the last this many ms. */
  static final long LATENCY_WINDOW_MS = 60_000;

  static final class TableCounters {
    final LongAdder ingested = new LongAdder();
    final LongAdder acked = new LongAdder();
    final LongAdder deadLettered = new LongAdder();
    final LongAdder skipped = new LongAdder();
    final LongAdder empty = new LongAdder();
    final LongAdder inFlight = new LongAdder();
    final AtomicLong lastAckMillis = new AtomicLong(-1);
    /** Kafka timestamp to acknowledgement of the newest record of the last acknowledged submission; -1: none yet. */
    final AtomicLong durableLagMillis = new AtomicLong(-1);
    final LatencyWindow ackLatency = new LatencyWindow(LATENCY_SAMPLES, LATENCY_WINDOW_MS);
  }

  private final LongAdder put = new LongAdder();
  private final LongAdder retried = new LongAdder();
  private final LongAdder deadLetteredUnrouted = new LongAdder();
  private final LongAdder commitRequests = new LongAdder();
  private final Map<String, TableCounters> tables = new LinkedHashMap<>();
  private final PluginMetrics registry;
  private final List<MetricName> registered = new ArrayList<>();

  SinkMetrics(PluginMetrics registry, List<String> tableKeys) {
    this.registry = registry;
    for (String t : tableKeys) {
      tables.put(t, new TableCounters());
    }
    gauge("records-put-total", "Records Connect handed to the task (including ones handed over again).",
        new LinkedHashMap<>(), put::sum);
    gauge("put-retries-total", "Times put() asked Connect to retry because Zerobus could not take records then.",
        new LinkedHashMap<>(), retried::sum);
    gauge("records-unrouted-total", "Records of topics that route to no configured table (dead-lettered or skipped).",
        new LinkedHashMap<>(), deadLetteredUnrouted::sum);
    gauge("commit-requests-total", "Offset commits the task asked Connect for after acknowledgements (commit.request.ms).",
        new LinkedHashMap<>(), commitRequests::sum);
    for (Map.Entry<String, TableCounters> e : tables.entrySet()) {
      LinkedHashMap<String, String> tags = new LinkedHashMap<>();
      tags.put("table", e.getKey());
      TableCounters c = e.getValue();
      gauge("records-ingested-total", "Records handed to Zerobus.", tags, c.ingested::sum);
      gauge("records-acked-total", "Records Zerobus acknowledged as durable.", tags, c.acked::sum);
      gauge("records-dead-lettered-total", "Records sent to the dead-letter queue (or skipped as errors).", tags,
          c.deadLettered::sum);
      gauge("records-skipped-total", "Records with a null value (tombstones), skipped (null.values=ignore).", tags,
          c.skipped::sum);
      gauge("records-empty-total", "Values that set no column, such as {} (landed or refused, per empty.values).",
          tags, c.empty::sum);
      gauge("ack-lag-records", "Records handed to Zerobus and not yet acknowledged.", tags,
          () -> c.ingested.sum() - c.acked.sum());
      gauge("last-ack-age-ms", "Milliseconds since the last acknowledgement; -1 before the first.", tags, () -> {
        long last = c.lastAckMillis.get();
        return last < 0 ? -1 : System.currentTimeMillis() - last;
      });
      gauge("records-in-flight", "Records handed to Zerobus that it has not answered for yet.", tags, c.inFlight::sum);
      gauge("durable-lag-ms", "How far behind Kafka the landed data is: milliseconds from the Kafka timestamp of the"
          + " newest record in the last acknowledgement to that acknowledgement; -1 before the first.", tags,
          c.durableLagMillis::get);
      gauge("ack-latency-p50-ms", "Median milliseconds from handing records to Zerobus to their acknowledgement, over"
          + " the last " + LATENCY_SAMPLES + " acknowledged calls of the last " + LATENCY_WINDOW_MS / 1000
          + " s; -1 when there were none.", tags, () -> c.ackLatency.percentile(0.5, System.currentTimeMillis()));
      gauge("ack-latency-p99-ms", "The 99th percentile of the same.", tags,
          () -> c.ackLatency.percentile(0.99, System.currentTimeMillis()));
    }
  }

  /**
   * The gauges read from the task's parts once they exist: each table's stream state (core's lanes) and the
   * records behind the last offset put.
   */
  void watch(StreamManager streams, java.util.function.LongSupplier behind) {
    gauge("records-behind", "Records Connect handed to the task (up to the last offset put, per partition) that are"
        + " not durable yet, summed over the task's partitions.", new LinkedHashMap<>(), behind);
    for (String table : tables.keySet()) {
      LinkedHashMap<String, String> tags = new LinkedHashMap<>();
      tags.put("table", table);
      gauge("stream-state", "The state of the table's streams (the least healthy): " + STATE_CODES + ".", tags,
          () -> streams.health(table).state().ordinal());
    }
  }

  /** The stream-state values, e.g. "0 IDLE, 1 OPEN, ...": core's states in their order of health. */
  static final String STATE_CODES = stateCodes();

  private static String stateCodes() {
    StringBuilder out = new StringBuilder();
    for (StreamState s : StreamState.values()) {
      out.append(out.length() == 0 ? "" : ", ").append(s.ordinal()).append(' ').append(s.name());
    }
    return out.toString();
  }

  private void gauge(String name, String doc, LinkedHashMap<String, String> tags, java.util.function.LongSupplier v) {
    if (registry == null) {
      return;
    }
    try {
      MetricName metric = registry.metricName(name, doc, tags);
      registry.addMetric(metric, (Gauge<Long>) (config, now) -> v.getAsLong());
      registered.add(metric);
    } catch (RuntimeException | LinkageError e) {
      log.debug("metric {} not registered: {}", name, e.toString());
    }
  }

  void put(int n) {
    put.add(n);
  }

  void retried() {
    retried.increment();
  }

  void commitRequested() {
    commitRequests.increment();
  }

  void ingested(String table, int n) {
    TableCounters c = counters(table);
    c.ingested.add(n);
    c.inFlight.add(n);
  }

  /** Zerobus answered for records (any answer): they are no longer in flight. */
  void answered(String table, int n) {
    counters(table).inFlight.add(-n);
  }

  /**
   * @param latencyNanos from handing the records to core until they were durable
   * @param newestTimestamp the newest Kafka timestamp among them, -1 when none had one
   */
  void acked(String table, int n, long latencyNanos, long newestTimestamp) {
    TableCounters c = counters(table);
    long now = System.currentTimeMillis();
    c.ackLatency.add(latencyNanos / 1_000_000, now);
    if (newestTimestamp >= 0) {
      c.durableLagMillis.set(now - newestTimestamp);
    }
    c.lastAckMillis.set(now);
    c.acked.add(n); // last: who sees the count sees the lag and latency of the same acks
  }

  void deadLettered(String table) {
    if (table == null) {
      deadLetteredUnrouted.increment();
    } else {
      counters(table).deadLettered.increment();
    }
  }

  void skipped(String table) {
    LongAdder n = counters(table).skipped;
    if (n.sum() == 0) {
      log.info("table {}: skipping records with a null value (tombstones, null.values=ignore); counted in"
          + " records-skipped-total", table);
    }
    n.increment();
  }

  void empty(String table) {
    LongAdder n = counters(table).empty;
    if (n.sum() == 0) {
      log.info("table {}: a value set no column (such as an empty JSON object); counted in records-empty-total (empty.values decides"
          + " whether such values land as rows of NULLs)", table);
    }
    n.increment();
  }

  /** One line per table that skipped tombstones or saw empty values, for the log at stop. */
  void logTotals() {
    tables.forEach((table, c) -> {
      if (c.skipped.sum() > 0 || c.empty.sum() > 0) {
        log.info("table {}: {} tombstones skipped, {} empty values", table, c.skipped.sum(), c.empty.sum());
      }
    });
  }

  TableCounters counters(String table) {
    TableCounters c = tables.get(table);
    if (c == null) {
      throw new IllegalArgumentException("unknown table " + table);
    }
    return c;
  }

  void close() {
    logTotals();
    if (registry == null) {
      return;
    }
    for (MetricName m : registered) {
      try {
        registry.removeMetric(m);
      } catch (RuntimeException e) {
        log.debug("metric {} not removed: {}", m, e.toString());
      }
    }
  }
}
