package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.bridge.ErrorAnswers.Context;
import dev.zerobus.station.bridge.ErrorAnswers.ErrorAnswer;
import dev.zerobus.station.core.errors.BackpressureException;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.errors.RecordsRefusedException;
import dev.zerobus.station.core.errors.StreamUnavailableException;
import dev.zerobus.station.core.errors.TooLargeException;
import dev.zerobus.station.core.errors.UnknownTableException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The one mapping from a failure and its request to a status, a message, details and Retry-After. */
class ErrorAnswersTest {
  static final Context SUBMITTING = Context.submitting("station_one");
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

  static Context waiting(int records, boolean mayStillLand) {
    return Context.waiting("station_one", records, mayStillLand, true, ACK_TIMEOUT, "UNAVAILABLE: connection reset");
  }

  @Test
  void eachFailureHasOneStatusWhereverItSurfaces() {
    Context flushing = Context.flushing("station_one", ACK_TIMEOUT);
    StreamUnavailableException unavailable = new StreamUnavailableException("table station_one: down",
        Duration.ofSeconds(2));
    for (Context request : List.of(SUBMITTING, waiting(3, false), flushing)) {
      assertEquals(503, ErrorAnswers.of(unavailable, request).status(), request.toString());
      assertEquals(404, ErrorAnswers.of(new UnknownTableException("nowhere", List.of("station_one")), request)
          .status(), request.toString());
      assertEquals(500, ErrorAnswers.of(new IllegalStateException("a bug"), request).status(), request.toString());
      assertEquals(504, ErrorAnswers.of(new TimeoutException(), request).status(), request.toString());
    }
    assertEquals(400, ErrorAnswers.of(new EncodeException("station_one", "temp", "expected an integer"), SUBMITTING)
        .status());
    assertEquals(413, ErrorAnswers.of(new TooLargeException("table station_one: record 1 is too large", 1), SUBMITTING)
        .status());
    assertEquals(429, ErrorAnswers.of(new BackpressureException("full", Duration.ofSeconds(1)), SUBMITTING).status());
    assertEquals(422, ErrorAnswers.of(refused(), waiting(3, false)).status());
    // A future's wrapper is seen through.
    assertEquals(503, ErrorAnswers.of(new CompletionException(unavailable), waiting(1, true)).status());
  }

  @Test
  void retryAfterIsWholeSecondsRoundedUpAndAtLeastOneEverywhere() {
    assertEquals(2, retryAfter(Duration.ofMillis(1500)));
    assertEquals(2, retryAfter(Duration.ofMillis(1001)));
    assertEquals(1, retryAfter(Duration.ofMillis(1)));
    assertEquals(1, retryAfter(Duration.ZERO));
    assertEquals(5, retryAfter(Duration.ofSeconds(5)));
    assertEquals(1, retryAfter(Duration.ofNanos(1)));
    // The same failure, before and after the core took the records: the same Retry-After, in the header and the body.
    StreamUnavailableException cooling = new StreamUnavailableException("cooldown", Duration.ofMillis(8200));
    for (Context request : List.of(SUBMITTING, waiting(1, false))) {
      ErrorAnswer answer = ErrorAnswers.of(cooling, request);
      assertEquals(9, answer.retryAfterSeconds(), request.toString());
      assertEquals(9L, answer.body().get("retry_after_seconds"), request.toString());
    }
    assertEquals(5, ErrorAnswers.shuttingDown().retryAfterSeconds());
    assertEquals(5, ErrorAnswers.shutDownWhileWaiting().retryAfterSeconds());
    assertEquals(1, ErrorAnswers.bodyBudgetFull(1024, "station_one").retryAfterSeconds());
    assertEquals(1, ErrorAnswers.connectionsFull(10).retryAfterSeconds());
  }

  @Test
  void answersCarryTheDocumentedDetails() {
    Map<String, Object> invalid = ErrorAnswers.of(new EncodeException("station_one", "temp", "expected an integer")
        .at(2), SUBMITTING).body();
    assertEquals(List.of("error", "status_code", "table", "field"), List.copyOf(invalid.keySet()));
    assertTrue(invalid.get("error").toString().startsWith("Validation error: table station_one, record 2"));

    Map<String, Object> tooLarge = ErrorAnswers.of(new TooLargeException("too large", 4), SUBMITTING).body();
    assertEquals(4, tooLarge.get("index"));
    assertFalse(ErrorAnswers.of(new TooLargeException("too large", -1), SUBMITTING).body().containsKey("index"));

    Map<String, Object> full = ErrorAnswers.of(new BackpressureException("table station_one: 20 records are waiting",
        Duration.ofSeconds(1)), SUBMITTING).body();
    assertEquals(List.of("error", "status_code", "retry_after_seconds"), List.copyOf(full.keySet()));

    Map<String, Object> refused = ErrorAnswers.of(refused(), waiting(3, true)).body();
    assertEquals(2, refused.get("landed"));
    assertEquals(1, refused.get("refused_count"));
    assertEquals(false, refused.get("may_still_land"), "a refused record never lands");

    ErrorAnswer lost = ErrorAnswers.of(new StreamUnavailableException("table station_one: PERMISSION_DENIED",
        Duration.ofSeconds(10)), waiting(2, true));
    assertEquals(List.of("error", "status_code", "table", "records", "may_still_land", "retry_after_seconds"),
        List.copyOf(lost.body().keySet()));
    assertTrue(lost.message().contains("PERMISSION_DENIED") && lost.message().contains("may have landed"),
        lost.message());

    ErrorAnswer late = ErrorAnswers.of(new TimeoutException(), waiting(2, true));
    assertTrue(late.message().contains("may still land"), late.message());
    assertEquals(true, late.body().get("may_still_land"));
    assertNull(late.retryAfter(), "a timeout is no invitation to retry at once: the records may land twice");
    ErrorAnswer withdrawn = ErrorAnswers.of(new TimeoutException(), waiting(2, false));
    assertTrue(withdrawn.message().contains("UNAVAILABLE: connection reset") && withdrawn.message().contains("withdrawn"),
        withdrawn.message());

    ErrorAnswer flush = ErrorAnswers.of(new TimeoutException(), Context.flushing("station_one", ACK_TIMEOUT));
    assertEquals("Records of table station_one were not all durable after 30 s; they may still land", flush.message());
    assertEquals(Map.of("table", "station_one"), flush.details());
  }

  @Test
  void readinessNamesEachTablesReason() {
    assertEquals("timed out opening a stream", ErrorAnswers.notReadyReason(new CompletionException(new TimeoutException())));
    assertEquals("table x: no MODIFY", ErrorAnswers.notReadyReason(new CompletionException(
        new StreamUnavailableException("table x: no MODIFY", Duration.ZERO))));
    assertEquals(503, ErrorAnswers.notReady(null).status());
    assertFalse(ErrorAnswers.notReady(null).body().containsKey("tables"), "without a token, no table names");
  }

  private static long retryAfter(Duration wait) {
    return ErrorAnswers.of(new BackpressureException("full", wait), SUBMITTING).retryAfterSeconds();
  }

  private static RecordsRefusedException refused() {
    return new RecordsRefusedException("station_one", 3,
        List.of(new RecordsRefusedException.Refusal(1, "temp: 1000 is out of TINYINT's range")));
  }
}
