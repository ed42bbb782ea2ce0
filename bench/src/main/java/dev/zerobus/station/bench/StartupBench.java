package dev.zerobus.station.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code startup [tables] [rounds]}: how long the bridge jar takes from its launch until it listens,
 * and how many threads and how much memory it has then, with N tables known only to Unity Catalog
 * (the emulator's): each table's schema is read from the catalog and its stream opened before the
 * bridge listens, as it starts by default.
 */
final class StartupBench {
  private StartupBench() {}

  static void run(int tables, int rounds) throws Exception {
    Path dir = Files.createTempDirectory("bench-startup");
    StringBuilder declared = new StringBuilder("{\"tables\": {");
    StringBuilder config = new StringBuilder();
    for (int i = 0; i < tables; i++) {
      String name = String.format("main.default.t%04d", i);
      declared.append(i == 0 ? "" : ", ").append('"').append(name).append("\": \"id STRING NOT NULL, v INT, note STRING\"");
      config.append(i == 0 ? "" : ", ").append(String.format("\"t%04d\": {\"table_name\": \"%s\"}", i, name));
    }
    Path emulatorTables = Files.writeString(dir.resolve("emulator-tables.json"), declared.append("}}").toString());
    EmulatorProcess emulator = EmulatorProcess.start(BenchMain.EMULATOR_JAR, false,
        List.of("--config", emulatorTables.toString()));
    try {
      Files.writeString(dir.resolve("config.json"), "{\"databricks\": {\"server_endpoint\": \"" + emulator.endpoint()
          + "\", \"workspace_id\": \"bench\", \"workspace_url\": \"" + emulator.workspaceUrl() + "\"}, \"tables\": {"
          + config + "}}");
      System.out.printf("%n| round | tables | seconds to listen | threads | RSS MB |%n|---:|---:|---:|---:|---:|%n");
      for (int round = 1; round <= rounds; round++) {
        long started = System.nanoTime();
        Process bridge = BridgeBench.startBridge(dir, emulator, 1, List.of("-Xmx512m"), Map.of());
        try {
          BridgeBench.bridgeUrl(bridge);
          double seconds = (System.nanoTime() - started) / 1e9;
          Map<String, Long> status = procStatus(bridge.pid());
          System.out.printf("| %d | %d | %.1f | %d | %d |%n", round, tables, seconds, status.get("Threads"),
              status.get("VmRSS") / 1024);
        } finally {
          BridgeBench.stop(bridge);
        }
      }
    } finally {
      emulator.close();
    }
  }

  /** Threads and VmRSS (kB) from /proc/<pid>/status. */
  private static Map<String, Long> procStatus(long pid) throws java.io.IOException {
    Map<String, Long> out = new java.util.HashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      String[] parts = line.split(":\\s+");
      if (parts.length == 2 && (parts[0].equals("Threads") || parts[0].equals("VmRSS"))) {
        out.put(parts[0], Long.parseLong(parts[1].replaceAll("[^0-9]", "")));
      }
    }
    return out;
  }
}
