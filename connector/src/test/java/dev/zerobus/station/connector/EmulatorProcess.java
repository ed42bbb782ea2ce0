package dev.zerobus.station.connector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * The Zerobus emulator as a separate process, so a test can kill it the hard way (SIGKILL, no
 * shutdown hooks) and start it again on the same ports and data directory.
 */
final class EmulatorProcess implements AutoCloseable {
  private static final Pattern DEVICE = Pattern.compile("\"device_name\":\"([^\"]*)\"");

  final int grpcPort;
  final int workspacePort;
  final Path dataDir;
  private final Path log;
  private Process process;

  EmulatorProcess(Path dir) throws IOException {
    grpcPort = freePort();
    workspacePort = freePort();
    dataDir = Files.createDirectories(dir.resolve("landed"));
    log = dir.resolve("emulator.log");
  }

  String zerobusEndpoint() {
    return "http://127.0.0.1:" + grpcPort;
  }

  String workspaceUrl() {
    return "http://127.0.0.1:" + workspacePort;
  }

  /** Starts the emulator and waits until both its ports take connections. */
  void start() throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        "dev.zerobus.station.emulator.EmulatorMain", "--host", "127.0.0.1", "--grpc-port", String.valueOf(grpcPort),
        "--workspace-port", String.valueOf(workspacePort), "--admin-port", "-1", "--data-dir", dataDir.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    Awaitility.await("the emulator's ports (log: " + log + ")").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50)).until(() -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("the emulator exited while starting; see " + log);
          }
          return listening(grpcPort) && listening(workspacePort);
        });
  }

  /** kill -9: no shutdown hook, no flush, open connections reset. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Rows landed so far (every line, duplicates included). */
  long rowCount() {
    return lines().size();
  }

  /** The device names of the landed rows; a line torn by a kill counts as nothing. */
  Set<String> deviceNames() {
    Set<String> out = new HashSet<>();
    for (String line : lines()) {
      Matcher m = DEVICE.matcher(line);
      while (m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  /**
   * The dedup recipe of docs/connector.md applied to the landed rows: one row per Kafka record,
   * keyed by (_kafka_topic, _kafka_partition, _kafka_offset); fails if two copies of a key differ.
   */
  java.util.Map<String, String> deduplicated() {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (String line : lines()) {
      com.fasterxml.jackson.databind.JsonNode row;
      try {
        row = json.readTree(line).path("row");
      } catch (IOException torn) {
        continue; // cut short by a kill; the record was not acknowledged, so it landed again
      }
      String key = row.path("_kafka_topic").asText() + "/" + row.path("_kafka_partition").asInt() + "/"
          + row.path("_kafka_offset").asLong();
      String previous = out.putIfAbsent(key, row.toString());
      if (previous != null && !previous.equals(row.toString())) {
        throw new AssertionError("two different rows for " + key + ": " + previous + " and " + row);
      }
    }
    return out;
  }

  private List<String> lines() {
    Path file = dataDir.resolve(ConnectHarness.EVENTS + ".jsonl");
    try {
      return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null) {
      kill();
    }
  }
}
