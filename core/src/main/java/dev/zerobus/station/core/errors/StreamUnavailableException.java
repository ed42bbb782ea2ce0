package dev.zerobus.station.core.errors;

import java.time.Duration;

/**
 * The table has no usable stream right now (opening failed, or it is being replaced after a
 * failure): retry later (HTTP 503). Nothing was taken.
 */
public final class StreamUnavailableException extends IngestRefusedException {
  public StreamUnavailableException(String message, Duration retryAfter) {
    super(message, retryAfter);
  }
}
