package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.databricks.zerobus.StreamConfigurationOptions;
import com.databricks.zerobus.ZerobusJsonStream;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.Descriptor;
import dev.zerobus.station.emulator.testing.Reading;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Drives the real Zerobus SDK against an emulator. */
final class TestSdk {
  private TestSdk() {}

  /** Recovery tuned for tests: quick retries, a short lack-of-ack timeout. */
  static StreamConfigurationOptions fastRecovery() {
    return StreamConfigurationOptions.builder()
        .setRecovery(true)
        .setRecoveryBackoffMs(200)
        .setRecoveryRetries(20)
        .setRecoveryTimeoutMs(5_000)
        .setServerLackOfAckTimeoutMs(2_000)
        .setFlushTimeoutMs(60_000)
        .build();
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
