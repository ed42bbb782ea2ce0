package dev.zerobus.station.bridge;

import dev.zerobus.station.bridge.ErrorAnswers.Context;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.delivery.TableHealth;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import dev.zerobus.station.core.errors.IngestRefusedException;
import dev.zerobus.station.core.table.TableDefinition;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/** {@code GET /}, {@code /health}, {@code /health/{table}}, {@code /ready}, {@code POST /flush/{table}}, {@code /metrics}. */
final class StatusHandlers {
  private final Tables tables;
  private final StreamManager manager;
  private final BridgeSettings settings;
  private final BridgeMetrics metrics;
  private final String version;

  StatusHandlers(Tables tables, StreamManager manager, BridgeSettings settings, BridgeMetrics metrics, String version) {
    this.tables = tables;
    this.manager = manager;
    this.settings = settings;
    this.metrics = metrics;
    this.version = version;
  }

  /** The seed's service description. */
  void root(HttpServerExchange exchange) {
    if (!tables.mayReadStatus(exchange)) {
      return;
    }
    Map<String, Object> endpoints = new LinkedHashMap<>();
    for (String key : tables.registry().keys()) {
      endpoints.put(key, Map.of("ingest", "/ingest/" + key, "health", "/health/" + key, "flush", "/flush/" + key));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("service", "Zerobus Station");
    body.put("version", version);
    body.put("tables", tables.registry().keys());
    body.put("endpoints", endpoints);
    body.put("docs", "/docs");
    Json.send(exchange, 200, body);
  }

  /**
   * Liveness: the process answers (always 200). Lists the tables with an open stream, as the seed
   * did, and says "degraded" while a table's stream is recovering or "unhealthy" while one has
   * failed, naming those tables and their last error.
   */
  void health(HttpServerExchange exchange) {
    boolean details = tables.authenticated(exchange);
    List<String> active = new ArrayList<>();
    Map<String, Object> failing = new LinkedHashMap<>();
    boolean failed = false;
    for (TableHealth h : manager.health()) {
      if (h.streamActive()) {
        active.add(h.table());
      }
      if (h.state() == StreamState.FAILED || degraded(h.state()) || refusing(h)) {
        failed |= h.state() == StreamState.FAILED || refusing(h);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("state", h.state().name());
        t.put("last_error", h.lastError());
        if (refusing(h)) {
          t.put("schema_change", schemaChange(h.schemaNotice()));
        }
        failing.put(h.table(), t);
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", failed ? "unhealthy" : failing.isEmpty() ? "healthy" : "degraded");
    if (details) { // with tokens on, table names and errors are for callers with one
      body.put("active_streams", active);
      body.put("failing_tables", failing);
    }
    Json.send(exchange, 200, body);
  }

  void tableHealth(HttpServerExchange exchange) {
    TableDefinition table = tables.authorized(exchange);
    if (table == null) {
      return;
    }
    TableHealth h = manager.health(table.key());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("table", table.key());
    body.put("table_name", table.tableName());
    body.put("stream_active", h.streamActive());
    body.put("status", h.state() == StreamState.FAILED || refusing(h) ? "unhealthy"
        : degraded(h.state()) ? "degraded" : "healthy");
    body.put("state", h.state().name());
    body.put("opened_at", h.openedAt() == null ? null : h.openedAt().toString());
    body.put("streams_opened", h.streamsOpened());
    body.put("records_accepted", h.recordsAccepted());
    body.put("records_durable", h.recordsDurable());
    body.put("records_failed", h.recordsFailed());
    body.put("records_replayed", h.recordsReplayed());
    body.put("inflight_records", h.inflightRecords());
    body.put("queued_records", h.queuedRecords());
    body.put("last_error", h.lastError());
    body.put("schema_version", h.schemaVersion());
    body.put("schema_change", schemaChange(h.schemaNotice()));
    Json.send(exchange, 200, body);
  }

  /** Refusing records until a restart, over a change in its catalog columns (schema_drift fail). */
  private static boolean refusing(TableHealth h) {
    return h.schemaNotice() != null && h.schemaNotice().refusing();
  }

  /** The last change seen in a table's catalog columns: when, what, and whether it was taken up. */
  private static Map<String, Object> schemaChange(TableDefinition.SchemaNotice notice) {
    if (notice == null) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("seen_at", notice.at().toString());
    out.put("change", notice.change());
    out.put("adopted", notice.adopted());
    out.put("refusing_records", notice.refusing());
    return out;
  }

  /** Readiness: a token can be fetched and a stream opened for every table (opens them if needed). */
  void ready(HttpServerExchange exchange) {
    boolean details = tables.authenticated(exchange);
    Map<String, CompletableFuture<Void>> opening = new LinkedHashMap<>();
    for (String key : tables.registry().keys()) {
      CompletableFuture<Void> f;
      try {
        f = manager.open(key).copy().orTimeout(settings.ackTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (IngestRefusedException e) {
        f = CompletableFuture.failedFuture(e);
      }
      opening.put(key, f);
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(opening.values().toArray(new CompletableFuture<?>[0]));
    exchange.dispatch(SameThreadExecutor.INSTANCE, () -> all.whenCompleteAsync((ok, ignored) -> {
      Map<String, String> states = new LinkedHashMap<>();
      boolean ready = true;
      for (Map.Entry<String, CompletableFuture<Void>> e : opening.entrySet()) {
        try {
          e.getValue().join();
          states.put(e.getKey(), "ready");
        } catch (CompletionException failure) {
          ready = false;
          states.put(e.getKey(), ErrorAnswers.notReadyReason(failure));
        }
      }
      if (ready) {
        Json.send(exchange, 200, details ? Map.of("status", "ready", "tables", states) : Map.of("status", "ready"));
      } else {
        ErrorAnswers.notReady(details ? states : null).send(exchange);
      }
    }, exchange.getIoThread()));
  }

  /** Waits, without holding a thread, until everything sent to the table so far is durable. */
  void flush(HttpServerExchange exchange) {
    TableDefinition table = tables.authorized(exchange);
    if (table == null) {
      return;
    }
    boolean hasBody = exchange.getRequestContentLength() > 0
        || exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING);
    if (hasBody && IngestHandler.format(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE)) == null) {
      // A flush takes no body; one without a JSON type is what a page could send cross-site.
      Json.error(exchange, 415, "A body sent to /flush/" + table.key() + " must be JSON (or send none)");
      return;
    }
    TableHealth h = manager.health(table.key());
    if (h.streamsOpened() == 0 && h.queuedRecords() == 0 && h.inflightRecords() == 0) {
      Json.send(exchange, 200, Map.of("status", "no_active_stream", "table", table.key(),
          "message", "No active stream for table " + table.key()));
      return;
    }
    CompletableFuture<Void> flushed = manager.flush(table.key()).copy()
        .orTimeout(settings.ackTimeout().toMillis(), TimeUnit.MILLISECONDS);
    exchange.dispatch(SameThreadExecutor.INSTANCE, () -> flushed.whenCompleteAsync((ok, failure) -> {
      if (failure == null) {
        Json.send(exchange, 200, Map.of("status", "success", "table", table.key(),
            "message", "All pending records flushed"));
      } else {
        ErrorAnswers.of(failure, Context.flushing(table.key(), settings.ackTimeout())).send(exchange);
      }
    }, exchange.getIoThread()));
  }

  void metrics(HttpServerExchange exchange) throws IOException {
    if (!tables.mayReadStatus(exchange)) {
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    metrics.write(out);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, metrics.contentType());
    exchange.getResponseSender().send(ByteBuffer.wrap(out.toByteArray()));
  }

  /** Working, but not at full speed: a stream being replaced, or a refused record being isolated. */
  private static boolean degraded(StreamState state) {
    return state == StreamState.RECOVERING || state == StreamState.ISOLATING;
  }
}
