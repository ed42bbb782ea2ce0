package dev.zerobus.station.bridge;

import dev.zerobus.station.core.encode.RecordEncoder;
import dev.zerobus.station.core.encode.RecordEncoder.Batch;
import dev.zerobus.station.core.errors.BackpressureException;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.errors.IngestRefusedException;
import dev.zerobus.station.core.errors.RecordsRefusedException;
import dev.zerobus.station.core.errors.TooLargeException;
import dev.zerobus.station.core.errors.UnknownTableException;
import io.undertow.server.HttpServerExchange;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's one decision of what a failure means to a client. Every failure the core or the edge
 * produces, with what its request had come to, becomes here a status, a message, details and, when
 * a later retry can succeed, Retry-After. Ingest, flush, readiness, shutdown and the edge's limits
 * all answer through this class, so a failure gets the same status wherever it surfaces and every
 * Retry-After is rounded the same way.
 *
 * <table>
 *   <caption>failure to status</caption>
 *   <tr><td>{@link EncodeException}</td><td>400, naming the table, record and field</td></tr>
 *   <tr><td>{@link UnknownTableException}</td><td>404</td></tr>
 *   <tr><td>{@link TooLargeException}</td><td>413, with the record's index</td></tr>
 *   <tr><td>{@link RecordsRefusedException}</td><td>422, listing the refused records</td></tr>
 *   <tr><td>{@link BackpressureException}</td><td>429 with Retry-After</td></tr>
 *   <tr><td>{@link dev.zerobus.station.core.errors.StreamUnavailableException}, shutdown, the edge's
 *       limits</td><td>503 with Retry-After</td></tr>
 *   <tr><td>{@link TimeoutException}</td><td>504, saying whether the records may still land</td></tr>
 *   <tr><td>anything else</td><td>500, logged with its stack trace</td></tr>
 * </table>
 */
final class ErrorAnswers {
  private static final Logger log = LoggerFactory.getLogger(ErrorAnswers.class);
  /** A bridge going away: long enough for a restart or for a load balancer to drop it. */
  static final Duration SHUTDOWN_RETRY_AFTER = Duration.ofSeconds(5);
  /** The bridge holds as many bodies or connections as it may; those drain within requests' time. */
  static final Duration FULL_RETRY_AFTER = Duration.ofSeconds(1);

  private ErrorAnswers() {}

  /**
   * One error answer: {@code {"error": message, "status_code": status, ...details}}, plus
   * {@code retry_after_seconds} and the Retry-After header when {@code retryAfter} is set.
   */
  record ErrorAnswer(int status, String message, Map<String, Object> details, Duration retryAfter) {
    /** Whole seconds, rounded up (a client told to come back early would only be refused again), at least 1. */
    long retryAfterSeconds() {
      long seconds = retryAfter.getSeconds() + (retryAfter.getNano() > 0 ? 1 : 0);
      return Math.max(1, seconds);
    }

    Map<String, Object> body() {
      Map<String, Object> body = Json.errorBody(status, message, details);
      if (retryAfter != null) {
        body.put("retry_after_seconds", retryAfterSeconds());
      }
      return body;
    }

    void send(HttpServerExchange exchange) {
      Json.send(exchange, status, body(), retryAfter == null ? null : Long.toString(retryAfterSeconds()));
    }
  }

  /** Where a request was when it failed. */
  enum Stage {
    /** Being handed to the core, which refused it: nothing was taken. */
    SUBMITTING,
    /** Taken by the core, waiting to be taken by the SDK or made durable. */
    WAITING,
    /** Waiting for everything sent to the table to be durable. */
    FLUSHING
  }

  /**
   * The request a failure concerns.
   *
   * @param table the table's key
   * @param records the records the core took (while WAITING)
   * @param mayStillLand whether some reached a Zerobus stream, so they may land whatever the answer says
   * @param waitForAck whether the caller waits for durability rather than for the SDK to take the records
   * @param waited how long the bridge waited before it gave up (a timeout)
   * @param lastError the table's last stream error, or null: why nothing reached a stream
   */
  record Context(Stage stage, String table, int records, boolean mayStillLand, boolean waitForAck, Duration waited,
      String lastError) {
    static Context submitting(String table) {
      return new Context(Stage.SUBMITTING, table, 0, false, false, Duration.ZERO, null);
    }

    static Context waiting(String table, int records, boolean mayStillLand, boolean waitForAck, Duration waited,
        String lastError) {
      return new Context(Stage.WAITING, table, records, mayStillLand, waitForAck, waited, lastError);
    }

    static Context flushing(String table, Duration waited) {
      return new Context(Stage.FLUSHING, table, 0, true, true, waited, null);
    }
  }

  /** The answer to {@code failure} (a CompletionException is seen through) of the request {@code request}. */
  static ErrorAnswer of(Throwable failure, Context request) {
    Throwable e = cause(failure);
    if (e instanceof EncodeException invalid) {
      return new ErrorAnswer(400, "Validation error: " + invalid.getMessage(), where(invalid), null);
    }
    if (e instanceof UnknownTableException unknown) {
      return new ErrorAnswer(404, "Table '" + Json.clip(unknown.key()) + "' not found", null, null);
    }
    if (e instanceof TooLargeException tooLarge) {
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("table", request.table());
      if (tooLarge.index() >= 0) {
        details.put("index", tooLarge.index());
      }
      return new ErrorAnswer(413, tooLarge.getMessage(), details, null);
    }
    if (e instanceof RecordsRefusedException refused) {
      // Outside a request's own wait the refusal was answered to the request that carried the records; here it
      // only ends a flush.
      return request.stage() == Stage.WAITING ? refused(refused, request) : failed(500, request, e, null);
    }
    if (e instanceof TimeoutException) {
      return timedOut(request);
    }
    if (e instanceof IngestRefusedException retryLater) {
      int status = retryLater instanceof BackpressureException ? 429 : 503;
      return request.stage() == Stage.SUBMITTING ? new ErrorAnswer(status, e.getMessage(), null, retryLater.retryAfter())
          : failed(status, request, e, retryLater.retryAfter());
    }
    // Not a failure the core documents: a bug, or an SDK failure nobody mapped. The 500 is all the client
    // learns, so the log keeps the trace.
    log.error("table {}: answering 500 to an unexpected failure", request.table(), e);
    return failed(500, request, e, null);
  }

  /** A batch with invalid records, refused whole: the first of them and how many there were. */
  static ErrorAnswer invalidBatch(String table, Batch batch, Map<String, Object> rejections) {
    if (batch.total() == 0) {
      return new ErrorAnswer(400, "Validation error: table " + table + ": the body holds no records", null, null);
    }
    if (batch.single()) {
      return of(batch.rejected().get(0), Context.submitting(table));
    }
    return new ErrorAnswer(400, "Validation error: " + batch.rejectedCount() + " of " + batch.total() + " records"
        + " are invalid, so none were ingested (first: " + Json.clip(batch.rejected().get(0).getMessage()) + ")",
        rejections, null);
  }

  /** New requests while the bridge shuts down. */
  static ErrorAnswer shuttingDown() {
    return new ErrorAnswer(503, "Zerobus Station is shutting down", null, SHUTDOWN_RETRY_AFTER);
  }

  /** A request still waiting when shutdown has closed the streams. */
  static ErrorAnswer shutDownWhileWaiting() {
    return new ErrorAnswer(503, "Zerobus Station shut down before this request was complete; records it carried"
        + " may still land, so a retry may write them twice", null, SHUTDOWN_RETRY_AFTER);
  }

  /** The request bodies held, all requests together, are at {@code --max-inflight-body-bytes}. */
  static ErrorAnswer bodyBudgetFull(long limit, String table) {
    return new ErrorAnswer(503, "The bridge is holding as many request bodies as it may (--max-inflight-body-bytes="
        + limit + "); this request to table " + table + " was not read; retry", null, FULL_RETRY_AFTER);
  }

  /** A new connection when every one of {@code --max-connections} has a request under way. */
  static ErrorAnswer connectionsFull(int maxConnections) {
    return new ErrorAnswer(503, "Zerobus Station has its maximum of " + maxConnections + " connections, each with a"
        + " request under way; retry", null, FULL_RETRY_AFTER);
  }

  /** Readiness refused: {@code tables} names each table's reason (null when the caller may not see them). */
  static ErrorAnswer notReady(Map<String, String> tables) {
    return new ErrorAnswer(503, "Not ready: cannot open a Zerobus stream for every table",
        tables == null ? null : Map.of("tables", tables), null);
  }

  /** Why a table's stream did not open, for {@code /ready}. */
  static String notReadyReason(Throwable failure) {
    Throwable e = cause(failure);
    return e instanceof TimeoutException ? "timed out opening a stream" : e.getMessage();
  }

  /** Zerobus will never take these records; the request's other records landed. */
  private static ErrorAnswer refused(RecordsRefusedException refused, Context request) {
    int records = request.records();
    List<Map<String, Object>> list = new ArrayList<>();
    for (RecordsRefusedException.Refusal r : refused.refusals()) {
      if (list.size() == RecordEncoder.MAX_REPORTED_REJECTIONS) {
        break;
      }
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("index", r.index());
      one.put("error", Json.clip(r.reason()));
      list.add(one);
    }
    int refusedCount = refused.refusals().size();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("table", request.table());
    details.put("records", records);
    details.put("landed", records - refusedCount);
    details.put("refused", list);
    details.put("refused_count", refusedCount);
    details.put("may_still_land", false);
    RecordsRefusedException.Refusal first = refused.refusals().get(0);
    return new ErrorAnswer(422, "Zerobus refused " + (records == 1 ? "the record" : refusedCount + " of " + records
        + " records (first: record " + first.index() + ")") + " of table " + request.table() + ": "
        + Json.clip(first.reason()) + (records - refusedCount > 0 ? "; the other " + (records - refusedCount)
        + " landed" : ""), details, null);
  }

  private static ErrorAnswer timedOut(Context request) {
    String table = request.table();
    long seconds = request.waited().toSeconds();
    if (request.stage() == Stage.FLUSHING) {
      return new ErrorAnswer(504, "Records of table " + table + " were not all durable after " + seconds
          + " s; they may still land", table(request), null);
    }
    String waited = request.waitForAck() ? "for Zerobus to acknowledge" : "for the Zerobus stream to take";
    return new ErrorAnswer(504, "Timed out after " + seconds + " s waiting " + waited + " " + request.records()
        + " record(s) of table " + table + (request.mayStillLand()
            ? "; they reached a Zerobus stream and may still land, so a retry may write them twice"
            : "; none reached a Zerobus stream (" + (request.lastError() == null ? "the stream is still opening"
                : request.lastError()) + "), so they were withdrawn and a retry will not write them twice"),
        taken(request), null);
  }

  /** The records (or the flush) failed for a reason the client can only retry or report. */
  private static ErrorAnswer failed(int status, Context request, Throwable e, Duration retryAfter) {
    String table = request.table();
    return switch (request.stage()) {
      case SUBMITTING -> new ErrorAnswer(status, "Zerobus did not take the record(s) of table " + table + ": "
          + e.getMessage(), table(request), retryAfter);
      case WAITING -> new ErrorAnswer(status, "Zerobus did not take the record(s) of table " + table + ": "
          + e.getMessage() + (request.mayStillLand() ? " (some reached a stream before it failed and may have landed)"
              : ""), taken(request), retryAfter);
      case FLUSHING -> new ErrorAnswer(status, "Flushing table " + table + " failed: " + e.getMessage(),
          table(request), retryAfter);
    };
  }

  private static Map<String, Object> table(Context request) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("table", request.table());
    return details;
  }

  /** What became of the records the core took. */
  private static Map<String, Object> taken(Context request) {
    Map<String, Object> details = table(request);
    details.put("records", request.records());
    details.put("may_still_land", request.mayStillLand());
    return details;
  }

  /** The table and field of a refused record, beside the error message. */
  private static Map<String, Object> where(EncodeException e) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("table", e.table());
    details.put("field", e.field());
    return details;
  }

  private static Throwable cause(Throwable failure) {
    Throwable e = failure;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
