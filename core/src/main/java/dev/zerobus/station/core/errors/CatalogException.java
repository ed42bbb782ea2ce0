package dev.zerobus.station.core.errors;

/** A table schema the catalog could not give; the message says why and never holds a secret. */
public final class CatalogException extends Exception {
  /** Why. */
  public enum Reason {
    /** Network failure, timeout, or an answer that is not a table. */
    UNREACHABLE,
    /** The credentials were refused (401/403). */
    DENIED,
    /** The catalog has no such table. */
    NOT_FOUND
  }

  private final Reason reason;

  public CatalogException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
