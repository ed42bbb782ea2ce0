package dev.zerobus.station.core.errors;

/**
 * A record or a submission that no Zerobus call can carry: a record larger than a batch call may be,
 * or a submission larger than a stream's queue. Nothing was taken; retrying it unchanged is useless
 * (HTTP 413; the connector sends the record to the dead-letter queue).
 */
public final class TooLargeException extends RuntimeException {
  private final int index;

  /** @param index the record's index in its submission, or -1 when the submission as a whole is too large */
  public TooLargeException(String message, int index) {
    super(message, null, false, false);
    this.index = index;
  }

  public int index() {
    return index;
  }
}
