package dev.zerobus.station.bridge;

import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.delivery.TableHealth;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bridge's Prometheus metrics, written in the text format by the Prometheus Java client: HTTP
 * requests, records and streams per table, and the client's JVM and process metrics.
 */
final class BridgeMetrics {
  private static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
      5, 10, 30, 60};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

  final Counter requests = Counter.builder().name("zerobus_bridge_requests")
      .help("HTTP requests by endpoint, table and status").labelNames("endpoint", "table", "status").register(registry);
  final Histogram requestSeconds = Histogram.builder().name("zerobus_bridge_request_duration_seconds")
      .help("Time from request start to response, by endpoint and status").labelNames("endpoint", "status")
      .classicUpperBounds(LATENCY_BUCKETS).classicOnly().register(registry);
  final Counter recordsRejected = Counter.builder().name("zerobus_bridge_records_rejected")
      .help("Records refused as invalid (HTTP 400)").labelNames("table").register(registry);
  final Counter recordsIngested = Counter.builder().name("zerobus_bridge_records_ingested")
      .help("Records handed to the Zerobus stream manager").labelNames("table").register(registry);
  final Counter recordsAcked = Counter.builder().name("zerobus_bridge_records_acked")
      .help("Records Zerobus acknowledged as durable").labelNames("table").register(registry);
  final Counter recordsFailed = Counter.builder().name("zerobus_bridge_records_failed")
      .help("Records that could not be written (non-retryable stream errors)").labelNames("table").register(registry);
  final Histogram ackSeconds = Histogram.builder().name("zerobus_bridge_ack_latency_seconds")
      .help("Time from request start to Zerobus's durable ack, by table").labelNames("table")
      .classicUpperBounds(LATENCY_BUCKETS).classicOnly().register(registry);

  final Gauge httpInFlight = Gauge.builder().name("zerobus_bridge_http_requests_in_flight")
      .help("HTTP requests received and not yet answered").register(registry);

  /** A table's record series, looked up once: the request path then does no label lookups. */
  record TableSeries(CounterDataPoint rejected, CounterDataPoint ingested, CounterDataPoint acked,
      CounterDataPoint failed, DistributionDataPoint ackSeconds) {}

  /** Every table's series; tables are fixed at start, so a plain map read by many threads is safe. */
  private final Map<String, TableSeries> tables = new HashMap<>();
  /** Request series by endpoint, table and status, made on first use (few: routes × tables × statuses). */
  private final Map<RouteKey, RouteSeries> routes = new ConcurrentHashMap<>();

  private record RouteKey(String endpoint, String table, int status) {}

  /** The request counter and duration histogram of one endpoint, table and status. */
  record RouteSeries(CounterDataPoint requests, DistributionDataPoint seconds) {}

  BridgeMetrics(StreamManager manager, String version) {
    // Every table's series exist from the start, at 0, so rate() and alerts see them before the first event.
    for (String table : manager.registry().keys()) {
      tables.put(table, new TableSeries(recordsRejected.labelValues(table), recordsIngested.labelValues(table),
          recordsAcked.labelValues(table), recordsFailed.labelValues(table), ackSeconds.labelValues(table)));
    }
    CounterWithCallback.builder().name("zerobus_bridge_streams_opened")
        .help("Zerobus streams created, by table (more than the streams per table means replacements)")
        .labelNames("table")
        .callback(cb -> manager.health().forEach(h -> cb.call(h.streamsOpened(), h.table())))
        .register(registry);
    CounterWithCallback.builder().name("zerobus_bridge_records_replayed")
        .help("Records sent again on a new stream after the SDK gave one up, by table").labelNames("table")
        .callback(cb -> manager.health().forEach(h -> cb.call(h.recordsReplayed(), h.table())))
        .register(registry);
    GaugeWithCallback.builder().name("zerobus_bridge_stream_state")
        .help("1 for the state the table's streams are in (the least healthy lane's), 0 for the others")
        .labelNames("table", "state")
        .callback(cb -> manager.health().forEach(h -> {
          for (TableHealth.StreamState state : TableHealth.StreamState.values()) {
            cb.call(h.state() == state ? 1 : 0, h.table(), state.name().toLowerCase(Locale.ROOT));
          }
        }))
        .register(registry);
    Info.builder().name("zerobus_bridge_build_info").help("The bridge's version and its Java runtime")
        .labelNames("version", "java_version").register(registry)
        .setLabelValues(version, System.getProperty("java.version"));
    JvmMetrics.builder().register(registry);
    GaugeWithCallback.builder().name("zerobus_bridge_inflight_records")
        .help("Records handed to the SDK and not yet acknowledged, by table").labelNames("table")
        .callback(cb -> manager.health().forEach(h -> cb.call(h.inflightRecords(), h.table())))
        .register(registry);
    GaugeWithCallback.builder().name("zerobus_bridge_queued_records")
        .help("Records waiting for the SDK, by table").labelNames("table")
        .callback(cb -> manager.health().forEach(h -> cb.call(h.queuedRecords(), h.table())))
        .register(registry);
    GaugeWithCallback.builder().name("zerobus_bridge_stream_open")
        .help("1 when the table's stream is open").labelNames("table")
        .callback(cb -> manager.health().forEach(h -> cb.call(h.state() == TableHealth.StreamState.OPEN ? 1 : 0, h.table())))
        .register(registry);
  }

  /** The edge's own state: request bodies held against their budget, and connections. */
  void edge(BodyBudget bodies, Listener listener) {
    GaugeWithCallback.builder().name("zerobus_bridge_request_body_bytes")
        .help("Bytes of request bodies being read or held, all requests together")
        .callback(cb -> cb.call(bodies.used())).register(registry);
    GaugeWithCallback.builder().name("zerobus_bridge_request_body_budget_bytes")
        .help("The most request-body bytes held at once (--max-inflight-body-bytes); past it, 503")
        .callback(cb -> cb.call(bodies.limit())).register(registry);
    GaugeWithCallback.builder().name("zerobus_bridge_connections_open")
        .help("Open HTTP connections").callback(cb -> cb.call(listener.connections())).register(registry);
    CounterWithCallback.builder().name("zerobus_bridge_connections_evicted")
        .help("Idle connections closed near --max-connections to make room for new ones")
        .callback(cb -> cb.call(listener.evicted())).register(registry);
    CounterWithCallback.builder().name("zerobus_bridge_connections_refused")
        .help("New connections answered 503 because every open one had a request under way (--max-connections)")
        .callback(cb -> cb.call(listener.refused())).register(registry);
  }

  TableSeries table(String key) {
    return tables.get(key);
  }

  RouteSeries route(String endpoint, String table, int status) {
    return routes.computeIfAbsent(new RouteKey(endpoint, table, status), k -> {
      String code = Integer.toString(k.status());
      return new RouteSeries(requests.labelValues(k.endpoint(), k.table(), code),
          requestSeconds.labelValues(k.endpoint(), code));
    });
  }

  String contentType() {
    return writer.getContentType();
  }

  void write(OutputStream out) throws IOException {
    writer.write(out, registry.scrape());
  }
}
