package dev.zerobus.station.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code alter [requests/s] [seconds]}: ALTER TABLE … ADD COLUMNS in the catalog while the bridge jar
 * takes single records (wait_for_ack=true) at a fixed rate for a table it knows only from the
 * emulator's catalog. Halfway through, a column is added and every request from then on carries it.
 * Prints how long after the ALTER the first record with the new column was acknowledged (a 200 with
 * wait_for_ack=true: it landed), how requests were answered, and, from the rows the emulator landed,
 * records answered 200 that are missing, records that landed twice, and records with the new column
 * that landed without it.
 */
final class AlterBench {
  private AlterBench() {}

  private static final String TABLE = "main.default.evo";

  static void run(int rate, int seconds) throws Exception {
    Path dir = Files.createTempDirectory("bench-alter");
    Path tables = Files.writeString(dir.resolve("emulator-tables.json"),
        "{\"tables\": {\"" + TABLE + "\": \"id STRING NOT NULL, v BIGINT\"}}");
    try (EmulatorProcess emulator = EmulatorProcess.start(BenchMain.EMULATOR_JAR, false,
        List.of("--config", tables.toString()))) {
      Files.writeString(dir.resolve("config.json"), "{\"databricks\": {\"server_endpoint\": \"" + emulator.endpoint()
          + "\", \"workspace_id\": \"bench\", \"workspace_url\": \"" + emulator.workspaceUrl() + "\"}, \"tables\":"
          + " {\"evo\": {\"table_name\": \"" + TABLE + "\"}}}");
      Process bridge = BridgeBench.startBridge(dir, emulator, 1, BridgeBench.THROUGHPUT_JVM, Map.of());
      try {
        URI url = URI.create(BridgeBench.bridgeUrl(bridge));
        AtomicLong alteredAt = new AtomicLong(Long.MAX_VALUE); // nanoTime when the column exists in the catalog
        AtomicLong firstNoteDue = new AtomicLong(Long.MAX_VALUE); // the first request that carries the column
        Thread alter = new Thread(() -> {
          try {
            Thread.sleep(seconds * 500L); // a benchmark's schedule, not a test's wait
            emulator.adminPost("/tables/" + TABLE + "/columns", "{\"add\": \"note STRING\"}");
            alteredAt.set(System.nanoTime());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }, "alter");
        alter.start();
        OpenLoop.Run run = OpenLoop.run(url, "/ingest/evo?wait_for_ack=true", rate, seconds, 16, k -> {
          if (System.nanoTime() >= alteredAt.get()) {
            firstNoteDue.accumulateAndGet(k, Math::min);
            return "{\"id\":\"" + k + "\",\"v\":" + k + ",\"note\":\"n" + k + "\"}";
          }
          return "{\"id\":\"" + k + "\",\"v\":" + k + "}";
        });
        alter.join();
        report(rate, seconds, run, alteredAt.get(), firstNoteDue.get(), emulator.rows(TABLE));
      } finally {
        BridgeBench.stop(bridge);
      }
    }
  }

  private static void report(int rate, int seconds, OpenLoop.Run run, long alteredAt, long firstNote,
      List<JsonNode> rows) {
    Map<String, Integer> landed = new HashMap<>();
    Set<String> withNote = new HashSet<>();
    for (JsonNode r : rows) {
      JsonNode row = r.path("row");
      landed.merge(row.path("id").asText(), 1, Integer::sum);
      if (row.hasNonNull("note")) {
        withNote.add(row.path("id").asText());
      }
    }
    long ok = 0;
    long notOk = 0;
    long lost = 0;
    long noteMissing = 0;
    long firstNoteLanded = Long.MAX_VALUE;
    Map<Integer, Long> statuses = new java.util.TreeMap<>();
    for (OpenLoop.Answer a : run.answers()) {
      statuses.merge(a.status(), 1L, Long::sum);
      String id = Long.toString(a.k());
      if (a.status() != 200) {
        notOk++;
        continue;
      }
      ok++;
      if (!landed.containsKey(id)) {
        lost++;
      }
      if (a.k() >= firstNote && !withNote.contains(id)) {
        noteMissing++;
      }
      if (a.k() >= firstNote) {
        firstNoteLanded = Math.min(firstNoteLanded, a.doneNanos());
      }
    }
    long twice = landed.values().stream().filter(n -> n > 1).count();
    System.out.printf("%nALTER TABLE %s ADD COLUMNS (note STRING) halfway through %d s of single records,"
        + " wait_for_ack=true, at a fixed %,d requests/s over 16 connections%n%n", TABLE, seconds, rate);
    System.out.println("| requests | answered 200 | other answers | ALTER → first record with the column landed"
        + " | answered 200, not landed | landed twice | landed without its column |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
    System.out.printf("| %,d | %,d | %s | %s | %d | %d | %d |%n", run.answers().size(), ok,
        notOk == 0 ? "0" : statuses.toString(),
        firstNoteLanded == Long.MAX_VALUE ? "never" : String.format("%.0f ms", (firstNoteLanded - alteredAt) / 1e6),
        lost, twice, noteMissing);
  }
}
