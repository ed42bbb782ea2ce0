package dev.zerobus.station.core.config;

import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.errors.Text;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The one settings table for both faces, and the values read from it. Every setting is one
 * {@link Setting}: its key, the values it takes (whole numbers within bounds, or one of a fixed set
 * of words), default and documentation, and any older names the bridge still answers to. The bridge
 * exposes each as an option {@code --key-with-dashes} (env {@code ZEROBUS_KEY_WITH_UNDERSCORES}),
 * the connector as a connector setting under the same dotted key, so defaults and validation live
 * only here. Typed views: {@link #streams()} for the stream manager, {@link #encoderOptions()} for
 * the encoder.
 */
public final class Settings {

  /** Which part of the station a setting tunes; the connector groups its settings by it. */
  public enum Section {
    /** How records are read: the encoder's options. */
    RECORDS,
    /** How the core uses Zerobus streams. */
    STREAMS,
    /** How tables' schemas follow Unity Catalog while running. */
    TABLES
  }

  /** The values a setting takes. */
  public sealed interface Allowed permits Range, Choice {
    /**
     * The value {@code text} stands for: a Long for a range, the word for a choice.
     *
     * @param name how the setting is called where {@code text} came from, for the error message
     * @throws ConfigException naming the setting
     */
    Object parse(String text, String name);

    /** For the docs: {@code 1–64}, or {@code `reject`, `ignore`}. */
    String describe();
  }

  /** Whole numbers from {@code min} to {@code max}, both included. */
  public record Range(long min, long max) implements Allowed {
    @Override
    public Object parse(String text, String name) {
      long value;
      try {
        value = Long.parseLong(text.trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(name + " must be a whole number, got '" + Text.clip(text) + "'");
      }
      if (value < min || value > max) {
        throw new ConfigException(name + " must be between " + min + " and " + max + ", got " + value);
      }
      return value;
    }

    /** Whether every value fits an int (the connector's ConfigDef type). */
    public boolean fitsInt() {
      return min >= Integer.MIN_VALUE && max <= Integer.MAX_VALUE;
    }

    @Override
    public String describe() {
      return min + "–" + max;
    }
  }

  /** One of a fixed set of lower-case words, given in any case. */
  public record Choice(List<String> words) implements Allowed {
    public Choice {
      words = List.copyOf(words);
    }

    @Override
    public Object parse(String text, String name) {
      String word = text.trim().toLowerCase(Locale.ROOT);
      if (!words.contains(word)) {
        throw new ConfigException(name + " must be one of " + String.join(", ", words) + ", got '" + Text.clip(text)
            + "'");
      }
      return word;
    }

    @Override
    public String describe() {
      return words.stream().map(w -> "`" + w + "`").collect(Collectors.joining(", "));
    }
  }

  /**
   * An older bridge option and environment variable that still set a setting.
   *
   * @param whenTrue null when the old name takes the setting's own values; else the old name was a
   *     boolean flag, and true stands for this value (false leaves the setting alone)
   */
  public record Alias(String option, String env, String whenTrue) {
    static Alias renamed(String option, String env) {
      return new Alias(option, env, null);
    }

    static Alias flag(String option, String env, String whenTrue) {
      return new Alias(option, env, whenTrue);
    }

    public boolean isFlag() {
      return whenTrue != null;
    }

    /**
     * The setting's value for what the old name was given, or null when that says nothing (a flag set to false).
     *
     * @param name how the old name is called where {@code given} came from, for the error message
     * @throws ConfigException for a flag given anything but true or false
     */
    public String translate(String given, String name) {
      if (!isFlag()) {
        return given;
      }
      return switch (given.trim().toLowerCase(Locale.ROOT)) {
        case "true" -> whenTrue;
        case "false" -> null;
        default -> throw new ConfigException(name + " must be true or false, got '" + Text.clip(given) + "'");
      };
    }
  }

  /** Each setting: its section, key, values, default and what it does. Durations are in milliseconds. */
  public enum Setting {
    UNKNOWN_FIELDS(Section.RECORDS, "unknown.fields", new Choice(List.of("reject", "ignore")), "reject",
        "A field of a record that the table has no column for: reject the record (HTTP 400 / dead-letter queue), or"
            + " ignore the field.",
        Alias.flag("--ignore-unknown-fields", "ZEROBUS_IGNORE_UNKNOWN_FIELDS", "ignore")),
    STRING_MAX_LENGTH(Section.RECORDS, "string.max.length", new Range(0, Integer.MAX_VALUE), 0,
        "Longest string value taken, in characters (UTF-16 units); a record with a longer one is refused. 0: no"
            + " limit.",
        Alias.renamed("--max-string-length", "ZEROBUS_MAX_STRING_LENGTH")),
    STREAMS_PER_TABLE(Section.STREAMS, "streams.per.table", new Range(1, 64), 1,
        "Zerobus streams per table (one stream is capped by the service near 15,000 rows/s, so a busy table spreads"
            + " over several); order holds only within a stream."),
    MAX_BATCH_RECORDS(Section.STREAMS, "max.batch.records", new Range(1, 100_000), 1000,
        "Records in one SDK batch call (one Zerobus offset) at most; larger submissions are split."),
    MAX_BATCH_BYTES(Section.STREAMS, "max.batch.bytes",
        new Range(1024, StreamSettings.SERVICE_MAX_MESSAGE_BYTES - 4096), 8L << 20,
        "Bytes in one SDK batch call at most, protobuf framing included; larger submissions are split, and a single"
            + " record over it is refused (413 / dead-letter queue). The service refuses messages over 10 MiB."),
    LINGER_MS(Section.STREAMS, "linger.ms", new Range(0, 60_000), 0,
        "How long records wait for others to share an SDK batch call; 0 sends at once and batches whatever arrives"
            + " meanwhile."),
    MAX_INFLIGHT_RECORDS(Section.STREAMS, "max.inflight.records", new Range(1, 10_000_000), 50_000,
        "Records per stream handed to the SDK and not yet durable; when full, new records queue."),
    MAX_QUEUED_RECORDS(Section.STREAMS, "max.queued.records", new Range(1, 100_000_000), 200_000,
        "Records per stream waiting for the SDK; past this, ingest is refused (HTTP 429; the connector pauses the"
            + " partition and reads it again) rather than queued without bound, and one submission larger than this is refused (HTTP 413)."),
    MAX_QUEUED_BYTES(Section.STREAMS, "max.queued.bytes", new Range(1024, 1L << 34), 64L << 20,
        "Encoded bytes per stream waiting for the SDK; the same as max.queued.records, counted in bytes, so memory"
            + " stays bounded whatever the record size."),
    RECOVERY_RETRIES(Section.STREAMS, "stream.recovery.retries", new Range(0, 100), 3,
        "The SDK's own attempts to recover a lost stream before it gives the stream up."),
    RECOVERY_BACKOFF_MS(Section.STREAMS, "stream.recovery.backoff.ms", new Range(0, 600_000), 2_000,
        "The SDK's pause between its recovery attempts."),
    RECOVERY_TIMEOUT_MS(Section.STREAMS, "stream.recovery.timeout.ms", new Range(100, 600_000), 5_000,
        "The limit on one stream-creation attempt (a stream opens in well under a second; a creation that hangs"
            + " is given up after this and tried again)."),
    ACK_TIMEOUT_MS(Section.STREAMS, "stream.ack.timeout.ms", new Range(100, 3_600_000), 60_000,
        "How long the SDK waits for any acknowledgement before it treats the stream as lost."),
    REOPEN_BACKOFF_MAX_MS(Section.STREAMS, "stream.reopen.backoff.max.ms", new Range(10, 3_600_000), 30_000,
        "Longest pause between attempts to open a new stream after one was lost (exponential from 100 ms, with"
            + " jitter)."),
    FAILED_COOLDOWN_MS(Section.STREAMS, "stream.failed.cooldown.ms", new Range(0, 3_600_000), 10_000,
        "After a non-retryable failure (credentials, permissions, a table that is missing or does not match), how"
            + " long ingest is refused (HTTP 503) before a new stream is tried."),
    IDLE_CLOSE_MS(Section.STREAMS, "stream.idle.close.ms", new Range(0, 86_400_000), 0,
        "A stream with nothing queued or in flight for this long is closed, and opened again by the next record;"
            + " 0 keeps streams open."),
    MAX_OPEN_STREAMS(Section.STREAMS, "max.open.streams", new Range(0, 1_000_000), 0,
        "Streams open at once in this process at most (bridge) or task (connector); at the bound, the stream idle"
            + " longest is closed to open another, and records wait while every open stream is busy; 0: no bound."),
    CATALOG_REFRESH_SECONDS(Section.TABLES, "catalog.refresh.seconds", new Range(0, 86_400), 300,
        "How often every table's columns are read again from Unity Catalog while running. A table with no local"
            + " schema takes columns added to it without a restart (a record with a field the table does not know"
            + " also prompts a read, at most every 5 s); any other change is logged and shown in its health, and with"
            + " schema_drift fail its records are refused until a restart. A local schema is kept; changes are only"
            + " reported. 0: read only when records prompt it.");

    private final Section section;
    private final String key;
    private final Allowed allowed;
    private final Object defaultValue;
    private final String doc;
    private final List<Alias> aliases;

    Setting(Section section, String key, Allowed allowed, Object defaultValue, String doc, Alias... aliases) {
      this.section = section;
      this.key = key;
      this.allowed = allowed;
      // Parsed as a face's value would be, so a default is a Long or a word the setting allows.
      this.defaultValue = allowed.parse(String.valueOf(defaultValue), key);
      this.doc = doc;
      this.aliases = List.of(aliases);
    }

    public Section section() {
      return section;
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

    public Allowed allowed() {
      return allowed;
    }

    /** A Long for a range, the word for a choice. */
    public Object defaultValue() {
      return defaultValue;
    }

    public String doc() {
      return doc;
    }

    /** Older bridge names that still set this setting; the setting's own names win over them. */
    public List<Alias> aliases() {
      return aliases;
    }
  }

  public static final Settings DEFAULTS = parse(s -> null, Setting::key);

  private final EnumMap<Setting, Object> values;

  private Settings(EnumMap<Setting, Object> values) {
    this.values = values;
  }

  /**
   * Reads every setting through {@code lookup} (null or blank: the default), checking it.
   *
   * @param name how the setting is called in the caller's face, for error messages
   * @throws ConfigException naming the setting
   */
  public static Settings parse(Function<Setting, String> lookup, Function<Setting, String> name) {
    EnumMap<Setting, Object> values = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      String text = lookup.apply(s);
      values.put(s, text == null || text.isBlank() ? s.defaultValue() : s.allowed().parse(text, name.apply(s)));
    }
    return new Settings(values);
  }

  /** These settings with one changed, checked as a face's value would be (tests and programmatic use). */
  public Settings with(Setting setting, String value) {
    EnumMap<Setting, Object> copy = new EnumMap<>(values);
    copy.put(setting, setting.allowed().parse(value, setting.key()));
    return new Settings(copy);
  }

  public Settings with(Setting setting, long value) {
    return with(setting, Long.toString(value));
  }

  /** A numeric setting's value. */
  public long number(Setting setting) {
    if (!(values.get(setting) instanceof Long value)) {
      throw new IllegalArgumentException(setting.key() + " is not a number");
    }
    return value;
  }

  /** A choice's word. */
  public String choice(Setting setting) {
    if (!(values.get(setting) instanceof String word)) {
      throw new IllegalArgumentException(setting.key() + " is not a choice");
    }
    return word;
  }

  /** The stream settings, typed, as the stream manager takes them. */
  public StreamSettings streams() {
    return new StreamSettings(this);
  }

  /** How often tables' columns are read again from the catalog; zero: only when records prompt it. */
  public Duration catalogRefresh() {
    return Duration.ofSeconds(number(Setting.CATALOG_REFRESH_SECONDS));
  }

  /** The encoder's options: the one way either face makes them. */
  public EncoderOptions encoderOptions() {
    return new EncoderOptions(choice(Setting.UNKNOWN_FIELDS).equals("ignore"),
        (int) number(Setting.STRING_MAX_LENGTH));
  }

  /** The settings as the Markdown table docs/configuration.md shows (a test keeps the two equal). */
  public static String markdownTable() {
    StringBuilder out = new StringBuilder("| connector setting | bridge option | bridge environment | default | values |"
        + " meaning |\n|---|---|---|---|---|---|\n");
    for (Setting s : Setting.values()) {
      StringBuilder option = new StringBuilder("`" + s.option() + "`");
      StringBuilder env = new StringBuilder("`" + s.env() + "`");
      for (Alias a : s.aliases()) {
        String means = a.isFlag() ? ", meaning `" + a.whenTrue() + "`" : "";
        option.append(" (older name: `").append(a.option()).append("`").append(means).append(")");
        env.append(" (older name: `").append(a.env()).append(a.isFlag() ? "=true`" : "`").append(means).append(")");
      }
      out.append("| `").append(s.key()).append("` | ").append(option).append(" | ").append(env).append(" | ")
          .append(s.defaultValue()).append(" | ").append(s.allowed().describe()).append(" | ").append(s.doc())
          .append(" |\n");
    }
    return out.toString();
  }

  /** The values of {@code section}'s settings, for equality and display. */
  Map<Setting, Object> in(Section section) {
    Map<Setting, Object> out = new EnumMap<>(Setting.class);
    values.forEach((s, v) -> {
      if (s.section() == section) {
        out.put(s, v);
      }
    });
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Settings other && values.equals(other.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return "Settings" + values;
  }
}
