package dev.zerobus.station.core.errors;

/** A configuration problem, reported at start-up with the file, table and field it concerns. */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
