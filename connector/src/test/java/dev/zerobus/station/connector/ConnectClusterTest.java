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
  static ClassLoadingWatch classLoading;

  @BeforeAll
  static void startCluster() throws Exception {
    classLoading = new ClassLoadingWatch();
    h = new ConnectHarness(dir, 1);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    try {
      if (h != null) {
        h.close();
      }
    } finally {
      classLoading.assertClean(); // the plugin ran from plugin.path: no class it needs may have gone missing
    }
  }

  @AfterEach
  void deleteConnectorsAndEmptyTables() throws Exception {
    h.reset();
  }
}
