package dev.zerobus.station.bridge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Zerobus emulator as a child process, for {@code --local}: started from its jar, its printed
 * settings (endpoints, credentials) read back, its output passed through, stopped with the bridge.
 */
final class LocalEmulator implements AutoCloseable {
  private final Process process;
  private final Map<String, String> settings;
  private final String adminUrl;

  private LocalEmulator(Process process, Map<String, String> settings, String adminUrl) {
    this.process = process;
    this.settings = settings;
    this.adminUrl = adminUrl;
  }

  static LocalEmulator start(Path jar, List<String> arguments) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException("the emulator jar " + jar.toAbsolutePath() + " does not exist; build it with"
          + " mvn -B -ntp package -DskipTests (or point --emulator-jar at it)");
    }
    String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-jar", jar.toString()));
    command.addAll(arguments);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    Map<String, String> settings = new HashMap<>();
    String admin = null;
    String line;
    while ((line = out.readLine()) != null) {
      System.out.println("[emulator] " + line);
      int eq = line.indexOf('=');
      if (line.startsWith("  ") && eq > 0) {
        settings.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      } else if (line.startsWith("Admin API: ")) {
        admin = line.substring("Admin API: ".length()).split("\\s+")[0];
      } else if (line.startsWith("Tables land in")) {
        break;
      }
    }
    if (line == null) {
      throw new IOException("the emulator exited before it was ready (exit code "
          + waitQuietly(process) + "); its output is above");
    }
    Thread passThrough = new Thread(() -> out.lines().forEach(l -> System.out.println("[emulator] " + l)),
        "emulator-output");
    passThrough.setDaemon(true);
    passThrough.start();
    return new LocalEmulator(process, settings, admin);
  }

  /** ZEROBUS_SERVER_ENDPOINT, DATABRICKS_WORKSPACE_URL, DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET. */
  Map<String, String> clientSettings() {
    return Map.copyOf(settings);
  }

  String adminUrl() {
    return adminUrl;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static int waitQuietly(Process p) {
    try {
      return p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
