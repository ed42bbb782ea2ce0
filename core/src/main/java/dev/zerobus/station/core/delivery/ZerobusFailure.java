package dev.zerobus.station.core.delivery;

/**
 * A failure of Zerobus, classified by what the core does about it (docs/delivery.md has the table).
 * The message is a plain sentence that keeps the service's reason; SDK debug text is removed.
 */
public final class ZerobusFailure extends Exception {

  /** The failure classes of the failure model. */
  public enum Kind {
    /** Stream lost, service unavailable, ack timeout, token endpoint 5xx or unreachable: reopen with backoff, replay. */
    UNAVAILABLE,
    /** Credentials, permissions, missing table, schema mismatch: fail the table's records, refuse for a cooldown. */
    TABLE,
    /** The service refused a record at ingest (invalid value, message too large): isolate it, send the rest. */
    RECORD
  }

  private final Kind kind;
  private final boolean cheapToRetry;

  public ZerobusFailure(Kind kind, String message) {
    this(kind, message, false);
  }

  /** @param cheapToRetry found without asking the service (e.g. a refused TCP connection): probe again soon */
  public ZerobusFailure(Kind kind, String message, boolean cheapToRetry) {
    super(message, null, false, false);
    this.kind = kind;
    this.cheapToRetry = cheapToRetry;
  }

  /** What went wrong in a client's future: its own classified failure, or an unavailable service. */
  public static ZerobusFailure of(Throwable error) {
    Throwable e = error;
    while ((e instanceof java.util.concurrent.CompletionException || e instanceof java.util.concurrent.ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof ZerobusFailure f) {
      return f;
    }
    return new ZerobusFailure(Kind.UNAVAILABLE, e instanceof java.util.concurrent.TimeoutException
        ? "timed out" : "unexpected error: " + e);
  }

  public boolean cheapToRetry() {
    return cheapToRetry;
  }

  public Kind kind() {
    return kind;
  }
}
