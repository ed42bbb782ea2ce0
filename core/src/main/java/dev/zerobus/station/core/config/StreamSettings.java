package dev.zerobus.station.core.config;

import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.errors.Text;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * How the core uses Zerobus streams: one settings object for both faces. Every setting is one
 * {@link Setting} with its key, default, bounds and documentation; the bridge exposes them as
 * {@code --key-with-dashes} options (env {@code ZEROBUS_KEY_WITH_UNDERSCORES}) and the connector as
 * connector settings under the same dotted key, so defaults and validation live only here.
 */
public final class StreamSettings {

  /** Largest message the Zerobus service takes (10 MiB, decoded); a batch call must stay under it. */
  public static final int SERVICE_MAX_MESSAGE_BYTES = 10 << 20;

  /** Each setting: its key, default, bounds and what it does. Durations are in milliseconds. */
  public enum Setting {
    STREAMS_PER_TABLE("streams.per.table", 1, 1, 64,
        "Zerobus streams per table (one stream is capped by the service near 15,000 rows/s, so a busy table spreads"
            + " over several); order holds only within a stream."),
    MAX_BATCH_RECORDS("max.batch.records", 1000, 1, 100_000,
        "Records in one SDK batch call (one Zerobus offset) at most; larger submissions are split."),
    MAX_BATCH_BYTES("max.batch.bytes", 8L << 20, 1024, SERVICE_MAX_MESSAGE_BYTES - 4096,
        "Bytes in one SDK batch call at most, protobuf framing included; larger submissions are split, and a single"
            + " record over it is refused (413 / dead-letter queue). The service refuses messages over 10 MiB."),
    LINGER_MS("linger.ms", 0, 0, 60_000,
        "How long records wait for others to share an SDK batch call; 0 sends at once and batches whatever arrives"
            + " meanwhile."),
    MAX_INFLIGHT_RECORDS("max.inflight.records", 50_000, 1, 10_000_000,
        "Records per stream handed to the SDK and not yet durable; when full, new records queue."),
    MAX_QUEUED_RECORDS("max.queued.records", 200_000, 1, 100_000_000,
        "Records per stream waiting for the SDK; past this, ingest is refused (HTTP 429; the connector pauses the"
            + " partition and reads it again) rather than queued without bound, and one submission larger than this is refused (HTTP 413)."),
    MAX_QUEUED_BYTES("max.queued.bytes", 64L << 20, 1024, 1L << 34,
        "Encoded bytes per stream waiting for the SDK; the same as max.queued.records, counted in bytes, so memory"
            + " stays bounded whatever the record size."),
    RECOVERY_RETRIES("stream.recovery.retries", 3, 0, 100,
        "The SDK's own attempts to recover a lost stream before it gives the stream up."),
    RECOVERY_BACKOFF_MS("stream.recovery.backoff.ms", 2_000, 0, 600_000,
        "The SDK's pause between its recovery attempts."),
    RECOVERY_TIMEOUT_MS("stream.recovery.timeout.ms", 5_000, 100, 600_000,
        "The limit on one stream-creation attempt (a stream opens in well under a second; a creation that hangs"
            + " is given up after this and tried again)."),
    ACK_TIMEOUT_MS("stream.ack.timeout.ms", 60_000, 100, 3_600_000,
        "How long the SDK waits for any acknowledgement before it treats the stream as lost."),
    REOPEN_BACKOFF_MAX_MS("stream.reopen.backoff.max.ms", 30_000, 10, 3_600_000,
        "Longest pause between attempts to open a new stream after one was lost (exponential from 100 ms, with"
            + " jitter)."),
    FAILED_COOLDOWN_MS("stream.failed.cooldown.ms", 10_000, 0, 3_600_000,
        "After a non-retryable failure (credentials, permissions, a table that is missing or does not match), how"
            + " long ingest is refused (HTTP 503) before a new stream is tried."),
    IDLE_CLOSE_MS("stream.idle.close.ms", 0, 0, 86_400_000,
        "A stream with nothing queued or in flight for this long is closed, and opened again by the next record;"
            + " 0 keeps streams open."),
    MAX_OPEN_STREAMS("max.open.streams", 0, 0, 1_000_000,
        "Streams open at once in this process at most (bridge) or task (connector); at the bound, the stream idle"
            + " longest is closed to open another, and records wait while every open stream is busy; 0: no bound.");

    private final String key;
    private final long defaultValue;
    private final long min;
    private final long max;
    private final String doc;

    Setting(String key, long defaultValue, long min, long max, String doc) {
      this.key = key;
      this.defaultValue = defaultValue;
      this.min = min;
      this.max = max;
      this.doc = doc;
    }

    /** The connector setting's name, e.g. {@code max.batch.bytes}. */
    public String key() {
      return key;
    }

    /** The bridge option, e.g. {@code --max-batch-bytes}. */
    public String option() {
      return "--" + key.replace('.', '-');
    }

    /** The bridge's environment variable, e.g. {@code ZEROBUS_MAX_BATCH_BYTES}. */
    public String env() {
      return "ZEROBUS_" + key.replace('.', '_').toUpperCase(Locale.ROOT);
    }

    public long defaultValue() {
      return defaultValue;
    }

    public long min() {
      return min;
    }

    public long max() {
      return max;
    }

    public String doc() {
      return doc;
    }

    /** Whether the value fits an int (the connector's ConfigDef type). */
    public boolean isInt() {
      return max <= Integer.MAX_VALUE;
    }

    long check(long value, String name) {
      if (value < min || value > max) {
        throw new ConfigException(name + " must be between " + min + " and " + max + ", got " + value);
      }
      return value;
    }
  }

  public static final StreamSettings DEFAULTS = parse(s -> null, Setting::key);

  private final EnumMap<Setting, Long> values;

  private StreamSettings(EnumMap<Setting, Long> values) {
    this.values = values;
  }

  /**
   * Reads every setting through {@code lookup} (null or blank: the default), checking bounds.
   *
   * @param name how the setting is called in the caller's face, for error messages
   * @throws ConfigException naming the setting
   */
  public static StreamSettings parse(Function<Setting, String> lookup, Function<Setting, String> name) {
    EnumMap<Setting, Long> values = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      String text = lookup.apply(s);
      long value;
      if (text == null || text.isBlank()) {
        value = s.defaultValue;
      } else {
        try {
          value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
          throw new ConfigException(name.apply(s) + " must be a whole number, got '" + Text.clip(text) + "'");
        }
      }
      values.put(s, s.check(value, name.apply(s)));
    }
    return new StreamSettings(values);
  }

  /** These settings with one changed (tests and programmatic use). */
  public StreamSettings with(Setting setting, long value) {
    EnumMap<Setting, Long> copy = new EnumMap<>(values);
    copy.put(setting, setting.check(value, setting.key()));
    return new StreamSettings(copy);
  }

  public long get(Setting setting) {
    return values.get(setting);
  }

  public Map<Setting, Long> asMap() {
    return new EnumMap<>(values);
  }

  public int streamsPerTable() {
    return (int) get(Setting.STREAMS_PER_TABLE);
  }

  public int maxBatchRecords() {
    return (int) get(Setting.MAX_BATCH_RECORDS);
  }

  public int maxBatchBytes() {
    return (int) get(Setting.MAX_BATCH_BYTES);
  }

  public Duration linger() {
    return Duration.ofMillis(get(Setting.LINGER_MS));
  }

  public int maxInflightRecords() {
    return (int) get(Setting.MAX_INFLIGHT_RECORDS);
  }

  public int maxQueuedRecords() {
    return (int) get(Setting.MAX_QUEUED_RECORDS);
  }

  public long maxQueuedBytes() {
    return get(Setting.MAX_QUEUED_BYTES);
  }

  public int recoveryRetries() {
    return (int) get(Setting.RECOVERY_RETRIES);
  }

  public Duration recoveryBackoff() {
    return Duration.ofMillis(get(Setting.RECOVERY_BACKOFF_MS));
  }

  public Duration recoveryTimeout() {
    return Duration.ofMillis(get(Setting.RECOVERY_TIMEOUT_MS));
  }

  public Duration serverAckTimeout() {
    return Duration.ofMillis(get(Setting.ACK_TIMEOUT_MS));
  }

  public Duration reopenBackoffMax() {
    return Duration.ofMillis(get(Setting.REOPEN_BACKOFF_MAX_MS));
  }

  public Duration failedCooldown() {
    return Duration.ofMillis(get(Setting.FAILED_COOLDOWN_MS));
  }

  /** How long a stream may sit idle before it is closed; zero: never. */
  public Duration idleClose() {
    return Duration.ofMillis(get(Setting.IDLE_CLOSE_MS));
  }

  /** Streams open at once at most; 0: no bound. */
  public int maxOpenStreams() {
    return (int) get(Setting.MAX_OPEN_STREAMS);
  }

  /** The settings as the Markdown table docs/configuration.md shows (a test keeps the two equal). */
  public static String markdownTable() {
    StringBuilder out = new StringBuilder("| connector setting | bridge option | bridge environment | default | range |"
        + " meaning |\n|---|---|---|---|---|---|\n");
    for (Setting s : Setting.values()) {
      out.append("| `").append(s.key()).append("` | `").append(s.option()).append("` | `").append(s.env())
          .append("` | ").append(s.defaultValue()).append(" | ").append(s.min()).append("–").append(s.max())
          .append(" | ").append(s.doc()).append(" |\n");
    }
    return out.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StreamSettings other && values.equals(other.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return "StreamSettings" + values;
  }
}
