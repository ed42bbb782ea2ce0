package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.databricks.zerobus.AckCallback;
import com.databricks.zerobus.StreamConfigurationOptions;
import com.databricks.zerobus.ZerobusJsonStream;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.Descriptor;
import dev.zerobus.station.emulator.testing.Reading;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;

/** Drives the real Zerobus SDK against an emulator. */
final class TestSdk {
  private TestSdk() {}

  /**
   * Recovery with quick retries and a short (2 s) lack-of-ack timeout: for the tests where the SDK
   * must give up on a stream that stopped acking. On a busy machine it may also replay a stream
   * that is merely slow, so tests using it assert no loss, never "no duplicates".
   */
  static StreamConfigurationOptions fastRecovery() {
    return options(2_000).build();
  }

  /**
   * Recovery with quick retries and a lack-of-ack timeout no busy machine reaches: without an
   * injected fault the SDK never replays, so exact row counts hold.
   */
  static StreamConfigurationOptions patient() {
    return options(120_000).build();
  }

  /** {@link #patient()} reporting to {@code acks}. */
  static StreamConfigurationOptions patient(AckCallback acks) {
    return options(120_000).setAckCallback(acks).build();
  }

  static StreamConfigurationOptions.StreamConfigurationOptionsBuilder options(int lackOfAckTimeoutMs) {
    return StreamConfigurationOptions.builder()
        .setRecovery(true)
        .setRecoveryBackoffMs(200)
        .setRecoveryRetries(20)
        .setRecoveryTimeoutMs(30_000)
        .setServerLackOfAckTimeoutMs(lackOfAckTimeoutMs)
        .setFlushTimeoutMs(120_000);
  }

  /** What the SDK reported through AckCallback: the highest acked offset and each failed offset's message. */
  static final class Acks implements AckCallback {
    private final AtomicLong ackedUpTo = new AtomicLong(-1);
    private final Map<Long, String> errors = new ConcurrentHashMap<>();

    @Override
    public void onAck(long offset) {
      ackedUpTo.accumulateAndGet(offset, Math::max);
    }

    @Override
    public void onError(long offset, String message) {
      errors.put(offset, message);
    }

    long ackedUpTo() {
      return ackedUpTo.get();
    }

    /** Waits until the SDK reported {@code offset} failed, and returns its message. */
    String awaitError(long offset) {
      return await("onError for offset " + offset, Duration.ofSeconds(60), () -> errors.get(offset));
    }

    Map<Long, String> errors() {
      return Map.copyOf(errors);
    }
  }

  /** Polls {@code value} until it is non-null, failing after {@code timeout}. */
  static <T> T await(String what, Duration timeout, java.util.concurrent.Callable<T> value) {
    return Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(20)).until(value, Objects::nonNull);
  }

  /** Waits until the table holds at least {@code rows} rows. */
  static void awaitRows(ZerobusEmulator emulator, String table, long rows) {
    Awaitility.await(table + " holds " + rows + " rows").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
        .until(() -> emulator.rowCount(table) >= rows);
  }

  static ZerobusProtoStream protoStream(ZerobusSdk sdk, ZerobusEmulator emulator, String table, Descriptor descriptor,
      StreamConfigurationOptions options) throws Exception {
    return unwrap(() -> sdk.createProtoStream(table, descriptor.toProto(), emulator.clientId(), emulator.clientSecret(),
        options).get(60, TimeUnit.SECONDS));
  }

  static ZerobusJsonStream jsonStream(ZerobusSdk sdk, ZerobusEmulator emulator, String table,
      StreamConfigurationOptions options) throws Exception {
    return unwrap(() -> sdk.createJsonStream(table, emulator.clientId(), emulator.clientSecret(), options)
        .get(60, TimeUnit.SECONDS));
  }

  interface Call<T> {
    T call() throws Exception;
  }

  /** Rethrows the SDK's own exception rather than the future's ExecutionException. */
  static <T> T unwrap(Call<T> call) throws Exception {
    try {
      return call.call();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  static Reading reading(int i) {
    return Reading.newBuilder().setDeviceName("sensor-" + i).setTemp(i % 50 - 10).setHumidity(1_000_000_000L * i).build();
  }

  /**
   * Checks that rows hold readings 0..n-1, each with the values {@link #reading} gave it, and
   * returns how many rows were extra copies (duplicates from replays).
   */
  static int assertReadings(List<JsonNode> rows, int n) {
    Map<String, Integer> seen = new HashMap<>();
    for (JsonNode r : rows) {
      JsonNode row = r.get("row");
      String name = row.get("device_name").asText();
      int i = Integer.parseInt(name.substring("sensor-".length()));
      assertEquals(i % 50 - 10, row.get("temp").asInt(), name);
      assertEquals(1_000_000_000L * i, row.get("humidity").asLong(), name);
      seen.merge(name, 1, Integer::sum);
    }
    for (int i = 0; i < n; i++) {
      if (!seen.containsKey("sensor-" + i)) {
        fail("reading " + i + " of " + n + " never landed (" + seen.size() + " distinct landed)");
      }
    }
    assertEquals(n, seen.size(), "distinct readings");
    return rows.size() - n;
  }
}
