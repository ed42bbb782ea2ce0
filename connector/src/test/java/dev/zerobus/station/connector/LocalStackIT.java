package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The no-Docker stack of scripts/local-stack: HTTP and Kafka records both land in the emulator,
 * and everything shuts down. Needs the bridge jar and the plugin directory, which the full build
 * makes before this module's tests (mvn verify from the root).
 */
class LocalStackIT {
  @Test
  void httpAndKafkaRecordsLandAndTheStackStops() throws Exception {
    assumeTrue(Files.exists(LocalStack.BRIDGE_JAR), "build rest-bridge first: " + LocalStack.BRIDGE_JAR);
    LocalStack stack = new LocalStack(0, 0, 0);
    boolean landed;
    try {
      landed = stack.smokeTest(Duration.ofSeconds(60));
    } finally {
      stack.close();
    }
    assertTrue(landed, "the HTTP and Kafka records landed in main.default.station_one");
    assertTrue(!stack.bridge.isAlive(), "the bridge process stopped");
  }
}
