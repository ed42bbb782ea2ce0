package dev.zerobus.station.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
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
  private final Set<String> withheldAcks = new TreeSet<>();
  private final Map<String, Refusal> refusals = new TreeMap<>();
  private final Map<String, List<RecordRule>> recordRules = new TreeMap<>();
  private TokenFailure tokenFailure;
  private final Consumer<String> acksReleased;

  private record Refusal(Status status, int remaining) {}

  private record TokenFailure(int httpStatus, int remaining) {}

  /**
   * One reject-records rule: a field path and the JSON text of the value it refuses, or
   * {@code every} &gt; 0 to refuse every n-th record the table receives.
   */
  private record RecordRule(String field, String value, long every, AtomicLong received) {
    static RecordRule matching(String field, String value) {
      return new RecordRule(field, value, 0, null);
    }

    static RecordRule everyNth(long every) {
      return new RecordRule(null, null, every, new AtomicLong());
    }

    boolean sameAs(RecordRule other) {
      return Objects.equals(field, other.field) && Objects.equals(value, other.value)
          && every == other.every;
    }

    Map<String, Object> describe() {
      Map<String, Object> out = new LinkedHashMap<>();
      if (every > 0) {
        out.put("every", every);
        out.put("received", received.get());
      } else {
        out.put("field", field);
        out.put("value", value);
      }
      return out;
    }
  }

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

  /**
   * Refuses, at ingest, every record whose decoded row has {@code field} (a column name, or a
   * dotted path into a STRUCT) with this value, as the service refuses a record it cannot write:
   * the stream ends with INVALID_ARGUMENT naming the table, the record and the value, and nothing
   * of that message lands. The value is compared with the JSON text of the decoded one ("1000"
   * matches the number 1000, "p" the string p). Stands until cleared.
   */
  public synchronized void rejectRecords(String table, String field, String value) {
    if (field == null || field.isBlank() || value == null) {
      throw new IllegalArgumentException("reject-records needs a field and a value");
    }
    addRecordRule(table, RecordRule.matching(field, value));
  }

  /**
   * Refuses every {@code n}-th record the table receives (counting records across its streams,
   * not messages), the same way as {@link #rejectRecords}. Stands until cleared.
   */
  public synchronized void rejectEveryNth(String table, long n) {
    if (n < 1) {
      throw new IllegalArgumentException("reject-records every must be at least 1, got " + n);
    }
    addRecordRule(table, RecordRule.everyNth(n));
  }

  private void addRecordRule(String table, RecordRule rule) {
    List<RecordRule> rules = recordRules.computeIfAbsent(key(table), t -> new ArrayList<>());
    rules.removeIf(rule::sameAs);
    rules.add(rule);
  }

  /** Answers the next {@code times} token requests (0: all, until cleared) with this HTTP status. */
  public synchronized void failTokenRequests(int httpStatus, int times) {
    tokenFailure = new TokenFailure(httpStatus, times <= 0 ? -1 : times);
  }

  /** Removes every fault and releases withheld acks. */
  public void clear() {
    List<String> released;
    synchronized (this) {
      dropAfterRecords.clear();
      ackDelayMillis.clear();
      refusals.clear();
      recordRules.clear();
      tokenFailure = null;
      released = new ArrayList<>(withheldAcks);
      withheldAcks.clear();
    }
    released.forEach(acksReleased);
  }

  /** The standing faults, for the admin API. */
  public synchronized Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("drop_stream_after_records", new TreeMap<>(dropAfterRecords));
    out.put("ack_delay_ms", new TreeMap<>(ackDelayMillis));
    out.put("withheld_acks", new ArrayList<>(withheldAcks));
    Map<String, Object> refused = new TreeMap<>();
    refusals.forEach((t, r) -> refused.put(t, Map.of(
        "code", r.status().getCode().name(),
        "message", String.valueOf(r.status().getDescription()),
        "remaining", r.remaining() < 0 ? "until cleared" : r.remaining())));
    out.put("refuse_streams", refused);
    Map<String, Object> rejected = new TreeMap<>();
    recordRules.forEach((t, rules) -> rejected.put(t, rules.stream().map(RecordRule::describe).toList()));
    out.put("reject_records", rejected);
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

  /**
   * The reject-records rules that apply to a table, checked against each record of a message in
   * order, or null when there are none (the common case: rows are then not inspected).
   */
  synchronized RecordCheck recordCheck(String table) {
    List<RecordRule> rules = new ArrayList<>(recordRules.getOrDefault(table, List.of()));
    if (!table.equals(ANY_TABLE)) {
      rules.addAll(recordRules.getOrDefault(ANY_TABLE, List.of()));
    }
    return rules.isEmpty() ? null : new RecordCheck(rules);
  }

  /** The reject-records rules for one message. */
  static final class RecordCheck {
    private final List<RecordRule> rules;

    private RecordCheck(List<RecordRule> rules) {
      this.rules = rules;
    }

    /** Whether any rule needs the decoded row (every-n-th rules do not). */
    boolean inspectsRows() {
      return rules.stream().anyMatch(r -> r.every() == 0);
    }

    /**
     * Counts one received record and returns why it is refused, or null. {@code row} is the
     * decoded row (null when {@link #inspectsRows} is false).
     */
    String refusal(JsonNode row) {
      String reason = null;
      for (RecordRule rule : rules) {
        if (rule.every() > 0) {
          long n = rule.received().incrementAndGet();
          if (reason == null && n % rule.every() == 0) {
            reason = "record " + n + " received on the table refused by fault injection (reject-records every "
                + rule.every() + ")";
          }
        } else if (reason == null) {
          JsonNode v = at(row, rule.field());
          if (v != null && rule.value().equals(v.isTextual() ? v.asText() : v.toString())) {
            reason = "field '" + rule.field() + "' value " + v + " refused by fault injection (reject-records)";
          }
        }
      }
      return reason;
    }

    private static JsonNode at(JsonNode row, String path) {
      JsonNode node = row;
      for (String name : path.split("\\.")) {
        node = node == null ? null : node.get(name);
      }
      return node;
    }
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
