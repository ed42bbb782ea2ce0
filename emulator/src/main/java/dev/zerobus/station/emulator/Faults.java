package dev.zerobus.station.emulator;

import io.grpc.Status;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Standing faults the emulator injects until they fire or are cleared. Each takes a table name, or
 * {@link #ANY_TABLE} (also null) for every table. One-shot actions (close signals, restarts) live
 * on {@link ZerobusEmulator}.
 */
public final class Faults {
  public static final String ANY_TABLE = "*";

  private final Map<String, Long> dropAfterRecords = new TreeMap<>();
  private final Map<String, Long> ackDelayMillis = new TreeMap<>();
  private final java.util.Set<String> withheldAcks = new TreeSet<>();
  private final Map<String, Refusal> refusals = new TreeMap<>();
  private TokenFailure tokenFailure;
  private final Consumer<String> acksReleased;

  private record Refusal(Status status, int remaining) {}

  private record TokenFailure(int httpStatus, int remaining) {}

  Faults(Consumer<String> acksReleased) {
    this.acksReleased = acksReleased;
  }

  /**
   * Lets {@code records} more records through on the table's streams, then aborts the stream
   * that sends the next one with UNAVAILABLE, leaving that message unwritten. Fires once.
   */
  public synchronized void dropStreamAfter(String table, long records) {
    dropAfterRecords.put(key(table), records);
  }

  /** Holds every durability ack back by {@code delay} (zero removes the delay). */
  public synchronized void delayAcks(String table, Duration delay) {
    if (delay.isZero()) {
      ackDelayMillis.remove(key(table));
    } else {
      ackDelayMillis.put(key(table), delay.toMillis());
    }
  }

  /** Keeps writing rows but sends no acks until {@link #releaseAcks}. */
  public synchronized void withholdAcks(String table) {
    withheldAcks.add(key(table));
  }

  /** Sends the acks held back by {@link #withholdAcks} and stops holding them. */
  public void releaseAcks(String table) {
    boolean released;
    synchronized (this) {
      released = withheldAcks.remove(key(table));
    }
    if (released) {
      acksReleased.accept(key(table));
    }
  }

  /**
   * Answers the next {@code times} CreateStream requests (0: all, until cleared) with this gRPC
   * status, as the service does when a table is unavailable or the caller lacks permission.
   */
  public synchronized void refuseStreams(String table, Status.Code code, String message, int times) {
    refusals.put(key(table), new Refusal(code.toStatus().withDescription(message), times <= 0 ? -1 : times));
  }

  /** Answers the next {@code times} token requests (0: all, until cleared) with this HTTP status. */
  public synchronized void failTokenRequests(int httpStatus, int times) {
    tokenFailure = new TokenFailure(httpStatus, times <= 0 ? -1 : times);
  }

  /** Removes every fault and releases withheld acks. */
  public void clear() {
    java.util.List<String> released;
    synchronized (this) {
      dropAfterRecords.clear();
      ackDelayMillis.clear();
      refusals.clear();
      tokenFailure = null;
      released = new java.util.ArrayList<>(withheldAcks);
      withheldAcks.clear();
    }
    released.forEach(acksReleased);
  }

  /** The standing faults, for the admin API. */
  public synchronized Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("drop_stream_after_records", new TreeMap<>(dropAfterRecords));
    out.put("ack_delay_ms", new TreeMap<>(ackDelayMillis));
    out.put("withheld_acks", new java.util.ArrayList<>(withheldAcks));
    Map<String, Object> refused = new TreeMap<>();
    refusals.forEach((t, r) -> refused.put(t, Map.of(
        "code", r.status().getCode().name(),
        "message", String.valueOf(r.status().getDescription()),
        "remaining", r.remaining() < 0 ? "until cleared" : r.remaining())));
    out.put("refuse_streams", refused);
    out.put("fail_token_requests", tokenFailure == null ? null : Map.of(
        "status", tokenFailure.httpStatus(),
        "remaining", tokenFailure.remaining() < 0 ? "until cleared" : tokenFailure.remaining()));
    return out;
  }

  /** True when a message of {@code records} records must drop its stream. */
  synchronized boolean dropBefore(String table, int records) {
    String rule = ruleFor(dropAfterRecords, table);
    if (rule == null) {
      return false;
    }
    long left = dropAfterRecords.get(rule);
    if (records > left) {
      dropAfterRecords.remove(rule);
      return true;
    }
    dropAfterRecords.put(rule, left - records);
    return false;
  }

  synchronized long ackDelayMillis(String table) {
    String rule = ruleFor(ackDelayMillis, table);
    return rule == null ? 0 : ackDelayMillis.get(rule);
  }

  synchronized boolean acksWithheld(String table) {
    return withheldAcks.contains(table) || withheldAcks.contains(ANY_TABLE);
  }

  /** The status to refuse a new stream with, or null. */
  synchronized Status refusal(String table) {
    String rule = ruleFor(refusals, table);
    if (rule == null) {
      return null;
    }
    Refusal r = refusals.get(rule);
    if (r.remaining() == 1) {
      refusals.remove(rule);
    } else if (r.remaining() > 1) {
      refusals.put(rule, new Refusal(r.status(), r.remaining() - 1));
    }
    return r.status();
  }

  /** The HTTP status to fail a token request with, or 0. */
  synchronized int tokenFailure() {
    if (tokenFailure == null) {
      return 0;
    }
    int status = tokenFailure.httpStatus();
    if (tokenFailure.remaining() == 1) {
      tokenFailure = null;
    } else if (tokenFailure.remaining() > 1) {
      tokenFailure = new TokenFailure(status, tokenFailure.remaining() - 1);
    }
    return status;
  }

  private static String key(String table) {
    return table == null || table.isBlank() || table.equals(ANY_TABLE) ? ANY_TABLE : TableCatalog.normalize(table);
  }

  private static String ruleFor(Map<String, ?> rules, String table) {
    if (rules.containsKey(table)) {
      return table;
    }
    return rules.containsKey(ANY_TABLE) ? ANY_TABLE : null;
  }
}
