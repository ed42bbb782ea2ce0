package dev.zerobus.station.bridge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Zerobus emulator as a child process, for {@code --local}: started from its jar with a client
 * secret chosen here, its printed endpoints and client id read back, its output passed through,
 * stopped with the bridge.
 */
final class LocalEmulator implements AutoCloseable {
  /** The emulator's own variable for the secret its token endpoint accepts. */
  static final String SECRET_VARIABLE = "ZEROBUS_EMULATOR_CLIENT_SECRET";
  /** What the emulator prints that the bridge needs; the secret is never among them (it prints only the public default). */
  private static final List<String> PRINTED_SETTINGS =
      List.of("ZEROBUS_SERVER_ENDPOINT", "DATABRICKS_WORKSPACE_URL", "DATABRICKS_CLIENT_ID");

  private final Process process;
  private final Map<String, String> settings;
  private final String adminUrl;

  private LocalEmulator(Process process, Map<String, String> settings, String adminUrl) {
    this.process = process;
    this.settings = settings;
    this.adminUrl = adminUrl;
  }

  static LocalEmulator start(Path jar, List<String> arguments) throws IOException {
    return start(jar, arguments, System.getenv());
  }

  /**
   * Starts the emulator in {@code environment}. Its client secret is that environment's
   * ZEROBUS_EMULATOR_CLIENT_SECRET when set, else a random one for this run: the bridge hands it to
   * the emulator and uses it itself, so it never depends on what the emulator prints.
   */
  static LocalEmulator start(Path jar, List<String> arguments, Map<String, String> environment) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException("the emulator jar " + jar.toAbsolutePath() + " does not exist; build it with"
          + " mvn -B -ntp package -DskipTests (or point --emulator-jar at it)");
    }
    String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-jar", jar.toString()));
    command.addAll(arguments);
    String secret = environment.get(SECRET_VARIABLE);
    if (secret == null || secret.isBlank()) {
      secret = randomSecret();
    }
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(environment);
    builder.environment().put(SECRET_VARIABLE, secret);
    Process process = builder.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    Map<String, String> settings = new HashMap<>();
    String admin = null;
    String line;
    while ((line = out.readLine()) != null) {
      System.out.println("[emulator] " + line);
      int eq = line.indexOf('=');
      if (line.startsWith("  ") && eq > 0) {
        String name = line.substring(0, eq).trim();
        if (PRINTED_SETTINGS.contains(name)) {
          settings.put(name, line.substring(eq + 1).trim());
        }
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
    for (String name : PRINTED_SETTINGS) {
      if (!settings.containsKey(name)) {
        process.destroy();
        throw new IOException("the emulator did not print " + name + "; its output is above");
      }
    }
    settings.put("DATABRICKS_CLIENT_SECRET", secret);
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

  /** 32 random bytes: only this bridge and the emulator it started know the secret. */
  private static String randomSecret() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    return "local-" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
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
