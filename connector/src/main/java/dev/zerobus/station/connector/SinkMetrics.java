package dev.zerobus.station.connector;

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

  static final class TableCounters {
    final LongAdder ingested = new LongAdder();
    final LongAdder acked = new LongAdder();
    final LongAdder deadLettered = new LongAdder();
    final LongAdder skipped = new LongAdder();
    final LongAdder empty = new LongAdder();
    final AtomicLong lastAckMillis = new AtomicLong(-1);
  }

  private final LongAdder put = new LongAdder();
  private final LongAdder retried = new LongAdder();
  private final LongAdder deadLetteredUnrouted = new LongAdder();
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
    }
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

  void ingested(String table, int n) {
    counters(table).ingested.add(n);
  }

  void acked(String table, int n) {
    TableCounters c = counters(table);
    c.acked.add(n);
    c.lastAckMillis.set(System.currentTimeMillis());
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
