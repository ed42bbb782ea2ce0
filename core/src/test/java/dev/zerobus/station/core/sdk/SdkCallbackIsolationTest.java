package dev.zerobus.station.core.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.ZerobusClient;
import dev.zerobus.station.core.delivery.ZerobusClient.StreamEvents;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.Fixtures;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's callbacks are shared by every stream in the process: SDK 1.0.1 calls them from a few native
 * threads and leaves a Java exception thrown by one pending on its thread, after which every callback
 * run there is lost. A stream whose handlers throw (a closed lane's, whose pool is shut down, while its
 * stream still closes in the background) must not cost other streams their acknowledgements.
 */
class SdkCallbackIsolationTest {
  private static final int CALLS = 50;

  @TempDir
  Path dir;

  @Test
  void handlersThatThrowOnOneStreamCostNoOtherStreamItsAcks() throws Exception {
    try (ZerobusEmulator emulator = ZerobusEmulator.builder().start()) {
      TableRegistry registry = Fixtures.standard(dir, emulator.zerobusEndpoint(), emulator.workspaceUrl(),
          EncoderOptions.STRICT);
      TableDefinition table = registry.find("station_one").orElseThrow();
      byte[] record = table.encoder().encode("{\"device_name\": \"d\", \"temp\": 1}".getBytes(StandardCharsets.UTF_8));
      SdkZerobusClient client = new SdkZerobusClient(registry.config().databricks(),
          new Credentials(emulator.clientId(), emulator.clientSecret()), StreamSettings.DEFAULTS);
      try {
        AtomicLong thrownAt = new AtomicLong(-1);
        StreamEvents throwing = StreamEvents.of(offset -> {
          thrownAt.set(offset);
          throw new RejectedExecutionException("the lane's pool is shut down");
        }, failure -> {
          throw new RejectedExecutionException("the lane's pool is shut down");
        });
        ZerobusClient.Stream closedLanes = client.open(table.tableName(), table.descriptorProto(), throwing)
            .get(30, TimeUnit.SECONDS);
        long last = -1;
        for (int i = 0; i < CALLS; i++) {
          last = closedLanes.send(List.of(record));
        }
        long lastThrowing = last;
        Awaitility.await("every ack of the stream whose handlers throw still reaches them")
            .atMost(Duration.ofSeconds(30)).until(() -> thrownAt.get() == lastThrowing);

        AtomicLong acked = new AtomicLong(-1);
        ZerobusClient.Stream healthy = client.open(table.tableName(), table.descriptorProto(),
            StreamEvents.of(acked::set, failure -> { })).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < CALLS; i++) {
          last = healthy.send(List.of(record));
        }
        long lastHealthy = last;
        Awaitility.await("every call on the healthy stream acknowledged").atMost(Duration.ofSeconds(30))
            .until(() -> acked.get() == lastHealthy);
        assertEquals(lastHealthy, acked.get());
        closedLanes.close();
        healthy.close();
      } finally {
        client.close();
      }
    }
  }
}
