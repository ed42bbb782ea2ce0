package dev.zerobus.station.core.encode;

import dev.zerobus.station.core.errors.EncodeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;

/**
 * TIMESTAMP and DATE values as the integers Zerobus writes them as: ISO-8601 text and java.util /
 * java.time objects become microseconds since the epoch or days since 1970-01-01.
 */
final class Temporals {
  private final String table;

  Temporals(String table) {
    this.table = table;
  }

  /** A java.util.Date or java.time value as microseconds (or days, for {@code days}); null for anything else. */
  Long fromObject(Object v, boolean days, String path) throws EncodeException {
    Instant instant;
    if (v instanceof java.util.Date d) {
      instant = d.toInstant();
    } else if (v instanceof Instant i) {
      instant = i;
    } else if (v instanceof OffsetDateTime o) {
      instant = o.toInstant();
    } else if (v instanceof ZonedDateTime z) {
      instant = z.toInstant();
    } else if (v instanceof LocalDateTime l) {
      instant = l.toInstant(ZoneOffset.UTC);
    } else if (v instanceof LocalDate l) {
      return days ? l.toEpochDay() : micros(l.atStartOfDay(ZoneOffset.UTC).toInstant(), path);
    } else {
      return null;
    }
    return days ? Math.floorDiv(instant.getEpochSecond(), 86_400L) : micros(instant, path);
  }

  /** ISO-8601 text (a space for the T is taken; no offset means UTC) as microseconds since the epoch. */
  long timestampMicros(String s, String path) throws EncodeException {
    String t = s.trim();
    if (t.length() > 10 && t.charAt(10) == ' ') {
      t = t.substring(0, 10) + 'T' + t.substring(11);
    }
    try {
      return micros(OffsetDateTime.parse(t).toInstant(), path);
    } catch (DateTimeParseException offsetMissing) {
      try {
        return micros(LocalDateTime.parse(t).toInstant(ZoneOffset.UTC), path);
      } catch (DateTimeParseException e) {
        throw new EncodeException(table, path, "expected a timestamp (microseconds since the epoch, or ISO-8601 such as"
            + " 2024-01-31T10:15:30.123456Z), got \"" + Coercion.abbreviate(s) + "\"");
      }
    }
  }

  /** {@code YYYY-MM-DD} as days since 1970-01-01. */
  long dateDays(String s, String path) throws EncodeException {
    try {
      return LocalDate.parse(s.trim()).toEpochDay();
    } catch (DateTimeParseException e) {
      throw new EncodeException(table, path, "expected a date (days since the epoch, or YYYY-MM-DD), got \""
          + Coercion.abbreviate(s) + "\"");
    }
  }

  private long micros(Instant i, String path) throws EncodeException {
    try {
      return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
    } catch (ArithmeticException e) {
      throw new EncodeException(table, path, "timestamp " + i + " is out of range for microseconds since the epoch");
    }
  }
}
