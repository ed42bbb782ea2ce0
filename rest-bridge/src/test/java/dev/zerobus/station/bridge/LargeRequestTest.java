package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.core.config.Settings.Setting;
import dev.zerobus.station.core.config.StreamSettings;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request as large as the bridge takes (10 MiB) goes out as several Zerobus calls, each under the
 * service's 10 MiB message limit (which the emulator enforces, as the service does).
 */
class LargeRequestTest {
  @TempDir
  Path dir;

  @Test
  void aTenMebibyteRequestLandsAsSeveralCallsUnderTheMessageLimit() throws Exception {
    // Only the byte limit cuts calls here: no record-count limit gets in the way; and a busy machine may take
    // seconds to land 8 MiB, so the ack timeout is the default's rather than the fault tests' 2 s.
    StreamSettings settings = BridgeFixture.FAST.with(Setting.MAX_BATCH_RECORDS, 100_000)
        .with(Setting.ACK_TIMEOUT_MS, 60_000);
    try (BridgeFixture bridge = new BridgeFixture(dir, settings, s -> s)) {
      String name = "n".repeat(180);
      StringBuilder body = new StringBuilder();
      int n = 0;
      while (true) {
        String line = "{\"device_name\":\"" + name + n + "\",\"temp\":" + (n % 40) + ",\"humidity\":" + n + "}\n";
        if (body.length() + line.length() > BridgeSettings.DEFAULT_MAX_BODY_BYTES) {
          break;
        }
        body.append(line);
        n++;
      }
      HttpResponse<String> r = bridge.post("/ingest/station_one?wait_for_ack=true", "application/x-ndjson",
          body.toString());
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(n, BridgeFixture.json(r).get("records").asInt());
      Set<String> offsets = new HashSet<>(); // a call is (stream, offset)
      Set<String> names = new HashSet<>();
      for (JsonNode row : bridge.emulator.rows("main.default.station_one")) {
        offsets.add(row.get("stream_id").asText() + ":" + row.get("offset").asLong());
        names.add(row.get("row").get("device_name").asText());
      }
      assertEquals(n, names.size(), "every record landed");
      // ~10 MB of protobuf does not fit one 8 MiB call: at least two.
      assertTrue(offsets.size() >= 2, "calls: " + offsets.size());
      System.out.println("LARGE-REQUEST " + body.length() + " bytes, " + n + " records landed in " + offsets.size()
          + " Zerobus calls");
    }
  }
}
