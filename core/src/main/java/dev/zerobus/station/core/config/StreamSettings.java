package dev.zerobus.station.core.config;

import dev.zerobus.station.core.config.Settings.Section;
import dev.zerobus.station.core.config.Settings.Setting;
import java.time.Duration;

/**
 * How the core uses Zerobus streams: the {@link Section#STREAMS} part of the one settings table
 * ({@link Settings}), typed for the stream manager and the SDK adapter.
 */
public final class StreamSettings {

  /** Largest message the Zerobus service takes (10 MiB, decoded); a batch call must stay under it. */
  public static final int SERVICE_MAX_MESSAGE_BYTES = 10 << 20;

  public static final StreamSettings DEFAULTS = Settings.DEFAULTS.streams();

  private final Settings settings;

  StreamSettings(Settings settings) {
    this.settings = settings;
  }

  /** These settings with one stream setting changed (tests and programmatic use). */
  public StreamSettings with(Setting setting, long value) {
    if (setting.section() != Section.STREAMS) {
      throw new IllegalArgumentException(setting.key() + " is not a stream setting");
    }
    return settings.with(setting, value).streams();
  }

  public long get(Setting setting) {
    return settings.number(setting);
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

  @Override
  public boolean equals(Object o) {
    return o instanceof StreamSettings other && settings.in(Section.STREAMS).equals(other.settings.in(Section.STREAMS));
  }

  @Override
  public int hashCode() {
    return settings.in(Section.STREAMS).hashCode();
  }

  @Override
  public String toString() {
    return "StreamSettings" + settings.in(Section.STREAMS);
  }
}
