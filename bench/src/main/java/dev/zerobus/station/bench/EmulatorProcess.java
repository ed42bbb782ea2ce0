package dev.zerobus.station.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The emulator as a child process, so its CPU time is measured apart from the client's: landing
 * rows (decoded and written to JSON Lines before the ack), or with {@code --discard} (acked unread,
 * only counted), the ceiling a client can reach.
 */
final class EmulatorProcess implements AutoCloseable {
  final Process process;
  final Map<String, String> settings = new HashMap<>();
  final Path dataDir;
  final boolean discard;
  /** Given to the emulator, not read from its banner: it prints only its public default secret. */
  private final String clientSecret;

  private EmulatorProcess(Process process, Path dataDir, boolean discard, String clientSecret) {
    this.process = process;
    this.dataDir = dataDir;
    this.discard = discard;
    this.clientSecret = clientSecret;
  }

  static EmulatorProcess start(Path jar) throws IOException {
    return start(jar, false);
  }

  static EmulatorProcess start(Path jar, boolean discard) throws IOException {
    return start(jar, discard, List.of());
  }

  /** @param args more emulator options (e.g. --config with declared tables) */
  static EmulatorProcess start(Path jar, boolean discard, List<String> args) throws IOException {
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run mvn -B -Pbench -DskipTests package first");
    }
    Path dataDir = Files.createTempDirectory("bench-emulator");
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx1g"));
    // e.g. -Dbench.emulator.jvmArgs="-XX:StartFlightRecording=filename=emu.jfr" to profile the server side
    String extra = System.getProperty("bench.emulator.jvmArgs", "").trim();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    command.addAll(List.of("-jar", jar.toString(), "--grpc-port", "0", "--workspace-port", "0", "--admin-port", "0",
        "--data-dir", dataDir.toString()));
    if (discard) {
      command.add("--discard");
    }
    command.addAll(args);
    String secret = "bench-" + UUID.randomUUID();
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("ZEROBUS_EMULATOR_CLIENT_SECRET", secret);
    Process p = builder.start();
    EmulatorProcess emulator = new EmulatorProcess(p, dataDir, discard, secret);
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      int eq = line.indexOf('=');
      if (line.startsWith("  ") && eq > 0) {
        emulator.settings.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
      if (line.startsWith("Admin API: ")) {
        emulator.settings.put("ADMIN_URL", line.substring("Admin API: ".length()).split("\\s+")[0]);
      }
      if (line.startsWith("Tables land in")) {
        break;
      }
    }
    if (line == null) {
      throw new IllegalStateException("the emulator exited before it was ready");
    }
    Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "emulator-output");
    drain.setDaemon(true);
    drain.start();
    return emulator;
  }

  String endpoint() {
    return settings.get("ZEROBUS_SERVER_ENDPOINT");
  }

  String workspaceUrl() {
    return settings.get("DATABRICKS_WORKSPACE_URL");
  }

  String clientId() {
    return settings.get("DATABRICKS_CLIENT_ID");
  }

  String clientSecret() {
    return clientSecret;
  }

  /** "landing emulator" or "discard emulator", for labels. */
  String kind() {
    return discard ? "discard emulator" : "landing emulator";
  }

  /**
   * Records of a table the emulator acknowledged, read from its admin API: rows landed, or in
   * discard mode records counted unread.
   */
  long rowCount(String table) throws IOException, InterruptedException {
    var response = HTTP.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(settings.get("ADMIN_URL") + "/tables/" + table)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      return 0;
    }
    var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body());
    return node.path("rows").asLong() + node.path("discarded_records").asLong();
  }

  /** Sends every ack on {@code table} ("*": all) that much later (the emulator's delay-acks fault). */
  void delayAcks(String table, long millis) throws IOException, InterruptedException {
    var response = HTTP.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(settings.get("ADMIN_URL") + "/faults/delay-acks"))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
            "{\"table\":\"" + table + "\",\"delay_ms\":" + millis + "}")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("delay-acks failed: " + response.statusCode() + " " + response.body());
    }
  }

  /** POSTs {@code body} to the admin API's {@code path}; fails the benchmark unless the answer is 200. */
  void adminPost(String path, String body) throws IOException, InterruptedException {
    var response = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(settings.get("ADMIN_URL") + path))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("POST " + path + " failed: " + response.statusCode() + " " + response.body());
    }
  }

  /** Every row the table landed, oldest first, as JSON objects. */
  List<com.fasterxml.jackson.databind.JsonNode> rows(String table) throws IOException, InterruptedException {
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    List<com.fasterxml.jackson.databind.JsonNode> out = new java.util.ArrayList<>();
    while (true) {
      var response = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(settings.get("ADMIN_URL")
          + "/tables/" + table + "/rows?from=" + out.size() + "&limit=1000&format=ndjson")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("rows of " + table + ": " + response.statusCode() + " " + response.body());
      }
      List<String> lines = response.body().lines().filter(l -> !l.isBlank()).toList();
      for (String line : lines) {
        out.add(mapper.readTree(line));
      }
      if (lines.size() < 1000) {
        return out;
      }
    }
  }

  /** Fails the benchmark unless the table holds exactly the rows sent (no loss, no replays). */
  void assertRows(String table, long expected) throws IOException, InterruptedException {
    long actual = rowCount(table);
    if (actual != expected) {
      throw new IllegalStateException(table + " holds " + actual + " rows, expected " + expected);
    }
  }

  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

  /** CPU time the emulator process has used so far. */
  Duration cpu() {
    return process.toHandle().info().totalCpuDuration().orElseThrow();
  }

  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var files = Files.list(dataDir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dataDir);
  }
}
