package dev.zerobus.station.bridge;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.zerobus.station.bridge.ErrorAnswers.Context;
import dev.zerobus.station.core.delivery.IngestTicket;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.encode.RecordEncoder.Batch;
import dev.zerobus.station.core.encode.RecordEncoder.BatchFormat;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.table.SchemaRefresh;
import dev.zerobus.station.core.table.TableDefinition;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xnio.XnioExecutor;

/**
 * {@code POST /ingest/{table}}: one JSON record, a JSON array, or NDJSON. The body is read and
 * encoded without blocking (large bodies are encoded on a worker thread), handed to the stream
 * manager as one batch, and answered when the SDK has taken it or, with wait_for_ack=true, when
 * Zerobus has made it durable: both are futures, so no thread waits per request.
 */
final class IngestHandler implements HttpHandler {
  /** Bodies above this are encoded on a worker thread rather than the I/O thread. */
  private static final int INLINE_ENCODE_BYTES = 64 * 1024;

  private final Tables tables;
  private final StreamManager manager;
  private final BridgeSettings settings;
  private final BridgeMetrics metrics;
  private final IdempotencyColumns idempotency;
  private final BodyReader bodies;
  private final SchemaRefresh refresh;

  IngestHandler(Tables tables, StreamManager manager, BridgeSettings settings, BridgeMetrics metrics,
      BodyBudget budget, SchemaRefresh refresh) {
    this.refresh = refresh;
    this.bodies = new BodyReader(settings.maxBodyBytes(), settings.edge().bodyReadTimeout(), budget);
    this.idempotency = new IdempotencyColumns(tables.registry(), settings.edge());
    this.tables = tables;
    this.manager = manager;
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    TableDefinition table = tables.authorized(exchange);
    if (table == null) {
      return;
    }
    String type = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
    BatchFormat format = format(type);
    if (format == null) {
      // Required: a body without a JSON type is what a web page can send cross-site without a preflight.
      Json.error(exchange, 415, (type == null || type.isBlank() ? "No Content-Type"
          : "Unsupported Content-Type '" + Json.clip(type) + "'") + " for table " + table.key()
          + ": send application/json (one record or an array) or application/x-ndjson"
          + (type != null && type.startsWith("application/x-www-form-urlencoded")
              ? " (curl -d sends form encoding unless you add -H 'Content-Type: application/json')" : ""));
      return;
    }
    Boolean waitForAck = flag(exchange, "wait_for_ack", false);
    Boolean partial = flag(exchange, "accept_partial", settings.acceptPartialBatches());
    if (waitForAck == null || partial == null || IdempotencyColumns.requestId(exchange) == null) {
      return;
    }
    long started = System.nanoTime();
    bodies.read(exchange, table.key(), (ex, body) -> {
      Request request = new Request(ex, body, format, waitForAck, partial, started);
      if (body.bytes().length > INLINE_ENCODE_BYTES && ex.isInIoThread()) {
        ex.dispatch(() -> ingest(request, table, false));
      } else {
        ingest(request, table, false);
      }
    });
  }

  /** A request whose body was read: what encoding it needs, and, if the table's columns are read again, again. */
  private record Request(HttpServerExchange exchange, BodyReader.Body body, BatchFormat format, boolean waitForAck,
      boolean acceptPartial, long started) {}

  /** @param reread whether the table's columns were read again for this request already */
  private void ingest(Request request, TableDefinition table, boolean reread) {
    HttpServerExchange exchange = request.exchange();
    boolean waitForAck = request.waitForAck();
    long started = request.started();
    Batch batch;
    try {
      batch = table.encoder().encodeBatch(request.body().bytes(), request.format());
    } catch (EncodeException e) {
      if (!reread && e.unknownField() && readColumnsAgain(request, table)) {
        return;
      }
      request.body().release();
      metrics.table(table.key()).rejected().inc();
      ErrorAnswers.of(e, Context.submitting(table.key())).send(exchange);
      return;
    }
    if (!reread && !batch.allValid() && batch.rejected().stream().anyMatch(EncodeException::unknownField)
        && readColumnsAgain(request, table)) {
      return;
    }
    request.body().release();
    boolean acceptPartial = request.acceptPartial();
    List<Map<String, Object>> rejected = new ArrayList<>();
    batch.rejected().forEach(e -> rejected.add(rejection(e)));
    if (!batch.allValid()) {
      metrics.table(table.key()).rejected().inc(batch.rejectedCount());
    }
    if (batch.total() == 0 || (!batch.allValid() && (!acceptPartial || batch.records().isEmpty()))) {
      ErrorAnswers.invalidBatch(table.key(), batch, rejections(batch, rejected)).send(exchange);
      return;
    }

    IngestTicket ticket;
    try {
      ticket = manager.ingest(table.key(), idempotency.fill(table, batch, IdempotencyColumns.requestId(exchange)));
    } catch (EncodeException | RuntimeException e) {
      ErrorAnswers.of(e, Context.submitting(table.key())).send(exchange);
      return;
    }
    int records = batch.records().size();
    BridgeMetrics.TableSeries series = metrics.table(table.key());
    series.ingested().inc(records);
    ticket.durable().whenComplete((ok, failure) -> {
      if (failure == null) {
        series.acked().inc(records);
        series.ackSeconds().observe((System.nanoTime() - started) / 1e9);
      } else {
        series.failed().inc(records);
      }
    });
    Answer answer = new Answer(exchange, table, batch, rejected, waitForAck, ticket);
    // Dispatched so Undertow keeps the exchange open past this call; the answer may come right away.
    exchange.dispatch(SameThreadExecutor.INSTANCE, answer::await);
  }

  /**
   * Records with a field the table does not know: columns may have been added to it since they were
   * read. If a read of the table's columns is due (or under way), the body is encoded again after it,
   * with the new columns if there are; false when none is, and the answer stands.
   */
  private boolean readColumnsAgain(Request request, TableDefinition table) {
    CompletableFuture<TableDefinition> read = refresh.unknownField(table.key());
    if (read.isDone() && read.join().schemaVersion() == table.schemaVersion()) {
      return false;
    }
    HttpServerExchange exchange = request.exchange();
    Runnable again = () -> ingest(request, read.join(), true);
    if (read.isDone()) {
      again.run(); // newer columns were read already
      return true;
    }
    // Kept open past this call; encoded again where a body of its size is encoded.
    exchange.dispatch(SameThreadExecutor.INSTANCE, () -> read.whenComplete((def, never) ->
        (request.body().bytes().length > INLINE_ENCODE_BYTES ? exchange.getConnection().getWorker() : exchange.getIoThread())
            .execute(again)));
    return true;
  }

  /**
   * The answer to one request, sent on the exchange's I/O thread when the ticket is accepted (or
   * durable) or when the ack timeout fires, whichever comes first. The timeout is a timer on that
   * same I/O thread, so both ends run on one thread and no other scheduler or future is involved.
   */
  private final class Answer implements java.util.function.BiConsumer<Object, Throwable> {
    private final HttpServerExchange exchange;
    private final TableDefinition table;
    private final Batch batch;
    private final List<Map<String, Object>> rejected;
    private final boolean waitForAck;
    private final IngestTicket ticket;
    /** Touched only on the exchange's I/O thread. */
    private boolean answered;
    private XnioExecutor.Key timeout;

    Answer(HttpServerExchange exchange, TableDefinition table, Batch batch, List<Map<String, Object>> rejected,
        boolean waitForAck, IngestTicket ticket) {
      this.exchange = exchange;
      this.table = table;
      this.batch = batch;
      this.rejected = rejected;
      this.waitForAck = waitForAck;
      this.ticket = ticket;
    }

    /** On the I/O thread: answers now if the ticket is settled, else arms the timeout and waits. */
    void await() {
      if (!exchange.isInIoThread()) {
        exchange.getIoThread().execute(this::await); // a large body was encoded on a worker thread
        return;
      }
      CompletableFuture<?> when = waitForAck ? ticket.durable() : ticket.accepted();
      if (!when.isDone()) {
        timeout = exchange.getIoThread().executeAfter(
            () -> finish(new TimeoutException()), settings.ackTimeout().toMillis(), TimeUnit.MILLISECONDS);
      }
      when.whenComplete(this);
    }

    @Override
    public void accept(Object ok, Throwable failure) {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
          : failure;
      if (exchange.isInIoThread()) {
        finish(cause);
      } else {
        exchange.getIoThread().execute(() -> finish(cause));
      }
    }

    private void finish(Throwable failure) {
      if (answered) {
        return;
      }
      answered = true;
      if (timeout != null) {
        timeout.remove();
      }
      if (failure == null) {
        Json.send(exchange, 200, success(table, batch, rejected, waitForAck, ticket));
      } else {
        failed(exchange, table, ticket, waitForAck, failure);
      }
    }
  }

  /** The success answer: a Map for Jackson, or for one record (the hot path) the same JSON written directly. */
  private Object success(TableDefinition table, Batch batch, List<Map<String, Object>> rejected,
      boolean waitForAck, IngestTicket ticket) {
    long offset = ticket.accepted().getNow(-1L);
    boolean durable = ticket.durable().isDone() && !ticket.durable().isCompletedExceptionally();
    if (batch.single()) {
      StringBuilder json = new StringBuilder(160).append("{\"status\":\"success\",\"table\":\"");
      JsonStringEncoder.getInstance().quoteAsString(table.key(), json);
      json.append("\",\"message\":\"Record ingested successfully\",\"wait_for_ack\":").append(waitForAck)
          .append(",\"records\":1,\"offset\":").append(offset).append(",\"durable\":").append(durable).append('}');
      return json.toString().getBytes(StandardCharsets.UTF_8);
    }
    int records = batch.records().size();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", batch.allValid() ? "success" : "partial");
    body.put("table", table.key());
    body.put("message", batch.allValid() ? records + " records ingested successfully"
        : records + " of " + batch.total() + " records ingested, " + batch.rejectedCount() + " rejected");
    body.put("wait_for_ack", waitForAck);
    body.put("records", records);
    body.put("offset", offset);
    body.put("durable", durable);
    body.putAll(rejections(batch, rejected));
    return body;
  }

  private void failed(HttpServerExchange exchange, TableDefinition table, IngestTicket ticket, boolean waitForAck,
      Throwable e) {
    // Records still waiting in the queue are withdrawn on a timeout, so "may not land" stays true after the answer.
    boolean mayStillLand = e instanceof TimeoutException ? !ticket.withdraw() : ticket.handedToStream();
    String lastError = manager.health(table.key()).lastError();
    ErrorAnswers.of(e, Context.waiting(table.key(), ticket.records(), mayStillLand, waitForAck, settings.ackTimeout(),
        lastError)).send(exchange);
  }

  private static Map<String, Object> rejection(EncodeException e) {
    Map<String, Object> r = new LinkedHashMap<>();
    if (e.index() >= 0) {
      r.put("index", e.index());
    }
    r.put("field", e.field());
    r.put("error", Json.clip(e.getMessage()));
    return r;
  }

  /**
   * The first rejections (at most {@link dev.zerobus.station.core.encode.RecordEncoder#MAX_REPORTED_REJECTIONS}) and
   * how many there were, so an answer stays small however many records a body holds.
   */
  private static Map<String, Object> rejections(Batch batch, List<Map<String, Object>> first) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("rejected", first);
    out.put("rejected_count", batch.rejectedCount());
    return out;
  }

  /** JSON or NDJSON by the content type; null for none or another. */
  static BatchFormat format(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return null;
    }
    String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    switch (type) {
      case "application/x-ndjson":
      case "application/ndjson":
      case "application/jsonl":
      case "application/x-jsonlines":
        return BatchFormat.NDJSON;
      case "application/json":
      case "text/json":
        return BatchFormat.JSON;
      default:
        return type.endsWith("+json") ? BatchFormat.JSON : null;
    }
  }

  /** A boolean query parameter as FastAPI reads them (true/false, 1/0, yes/no, on/off); null after a 400. */
  static Boolean flag(HttpServerExchange exchange, String name, boolean dflt) {
    var values = exchange.getQueryParameters().get(name);
    if (values == null || values.isEmpty()) {
      return dflt;
    }
    switch (values.getFirst().toLowerCase(Locale.ROOT)) {
      case "true":
      case "1":
      case "yes":
      case "on":
        return true;
      case "false":
      case "0":
      case "no":
      case "off":
        return false;
      default:
        Json.error(exchange, 400, "Validation error: query parameter " + name + " must be true or false, got '"
            + Json.clip(values.getFirst()) + "'");
        return null;
    }
  }

}
