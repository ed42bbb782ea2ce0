package dev.zerobus.station.core.schema;

/**
 * What an integer field means, from config.json's {@code type}: Zerobus writes TIMESTAMP columns
 * as int64 microseconds since the epoch and DATE columns as int32 days since the epoch, so the
 * encoder also takes ISO-8601 text (and, from Kafka Connect, date/time objects) for them.
 */
public enum LogicalType {
  NONE,
  /** int64 microseconds since 1970-01-01T00:00:00Z. */
  TIMESTAMP,
  /** int32 days since 1970-01-01. */
  DATE
}
