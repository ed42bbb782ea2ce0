package dev.zerobus.station.connector;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** One broker, Connect worker and emulator per test class (starting them costs seconds); clean between tests. */
abstract class ConnectClusterTest {
  @TempDir
  static Path dir;
  static ConnectHarness h;

  @BeforeAll
  static void startCluster() throws Exception {
    h = new ConnectHarness(dir, 1);
  }

  @AfterAll
  static void stopCluster() {
    if (h != null) {
      h.close();
    }
  }

  @AfterEach
  void deleteConnectorsAndEmptyTables() throws Exception {
    h.reset();
  }
}
