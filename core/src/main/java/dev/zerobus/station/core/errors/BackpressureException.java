package dev.zerobus.station.core.errors;

import java.time.Duration;

/** The table's lane is full: the caller should slow down and retry (HTTP 429). Nothing was taken. */
public final class BackpressureException extends IngestRefusedException {
  public BackpressureException(String message, Duration retryAfter) {
    super(message, retryAfter);
  }
}
