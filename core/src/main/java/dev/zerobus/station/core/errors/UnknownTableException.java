package dev.zerobus.station.core.errors;

/** No table with this key is configured. */
public final class UnknownTableException extends RuntimeException {
  private final String key;

  public UnknownTableException(String key, java.util.Collection<String> known) {
    super("table '" + key + "' is not configured (configured: " + String.join(", ", known) + ")", null, false, false);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
