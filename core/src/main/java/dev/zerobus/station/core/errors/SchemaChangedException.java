package dev.zerobus.station.core.errors;

import java.time.Duration;

/**
 * The table's columns changed in Unity Catalog in a way records written for the old columns may not
 * fit, and schema_drift is fail: its records are refused until the bridge or task starts again and
 * reads the new columns (HTTP 503; the connector fails the task). Nothing was taken.
 */
public final class SchemaChangedException extends IngestRefusedException {
  public SchemaChangedException(String message, Duration retryAfter) {
    super(message, retryAfter);
  }
}
