package dev.zerobus.station.core.errors;

import java.time.Duration;

/** Ingest refused before anything was handed to Zerobus; safe to retry after {@link #retryAfter()}. */
public abstract class IngestRefusedException extends RuntimeException {
  private final Duration retryAfter;

  protected IngestRefusedException(String message, Duration retryAfter) {
    super(message, null, false, false);
    this.retryAfter = retryAfter;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
