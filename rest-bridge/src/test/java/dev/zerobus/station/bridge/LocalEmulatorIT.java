package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.StreamConfigurationOptions;
import com.databricks.zerobus.ZerobusJsonStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --local}'s emulator child: the bridge decides the client secret and hands it to the
 * emulator, so the credentials it uses work whether or not ZEROBUS_EMULATOR_CLIENT_SECRET is set
 * (the emulator does not print a secret other than its public default).
 */
class LocalEmulatorIT {
  private static final Path JAR = Path.of("..").toAbsolutePath().normalize().resolve("emulator/target/zerobus-emulator.jar");
  private static final String PUBLIC_DEFAULT_SECRET = "emulator-secret";
  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir
  Path dataDir;

  @Test
  void aSecretSetInTheEnvironmentIsTheOneTheEmulatorAcceptsAndTheBridgeUses() throws Exception {
    Map<String, String> environment = environmentWithout("ZEROBUS_EMULATOR_");
    environment.put(LocalEmulator.SECRET_VARIABLE, "a-secret-from-the-environment");
    try (LocalEmulator emulator = LocalEmulator.start(JAR, arguments(), environment)) {
      Map<String, String> settings = emulator.clientSettings();
      assertEquals("a-secret-from-the-environment", settings.get("DATABRICKS_CLIENT_SECRET"));
      assertEquals(200, tokenRequest(settings, settings.get("DATABRICKS_CLIENT_SECRET")).statusCode());
      assertEquals(401, tokenRequest(settings, PUBLIC_DEFAULT_SECRET).statusCode());

      // What the bridge does with them: the real SDK opens a stream and a record lands.
      try (ZerobusSdk sdk = new ZerobusSdk(settings.get("ZEROBUS_SERVER_ENDPOINT"), settings.get("DATABRICKS_WORKSPACE_URL"))) {
        ZerobusJsonStream stream = sdk.createJsonStream("main.local.check", settings.get("DATABRICKS_CLIENT_ID"),
            settings.get("DATABRICKS_CLIENT_SECRET"), StreamConfigurationOptions.builder().build())
            .get(60, TimeUnit.SECONDS);
        stream.ingestRecordOffset("{\"device_name\": \"sensor-001\"}");
        stream.flush();
        stream.close();
      }
      JsonNode table = Json.MAPPER.readTree(http.send(HttpRequest.newBuilder(
          URI.create(emulator.adminUrl() + "/tables/main.local.check")).build(), HttpResponse.BodyHandlers.ofString()).body());
      assertEquals(1, table.get("rows").asLong());
    }
  }

  @Test
  void withoutOneEachRunGetsItsOwnRandomSecret() throws Exception {
    Map<String, String> environment = environmentWithout("ZEROBUS_EMULATOR_");
    String first;
    try (LocalEmulator emulator = LocalEmulator.start(JAR, arguments(), environment)) {
      Map<String, String> settings = emulator.clientSettings();
      first = settings.get("DATABRICKS_CLIENT_SECRET");
      assertTrue(first.length() >= 32, first);
      assertEquals(200, tokenRequest(settings, first).statusCode());
      assertEquals(401, tokenRequest(settings, PUBLIC_DEFAULT_SECRET).statusCode());
    }
    try (LocalEmulator emulator = LocalEmulator.start(JAR, arguments(), environment)) {
      Map<String, String> settings = emulator.clientSettings();
      assertNotEquals(first, settings.get("DATABRICKS_CLIENT_SECRET"));
      assertEquals(200, tokenRequest(settings, settings.get("DATABRICKS_CLIENT_SECRET")).statusCode());
    }
  }

  /** Free loopback ports, so the test never collides with a running copy. */
  private List<String> arguments() {
    return List.of("--host", "127.0.0.1", "--grpc-port", "0", "--workspace-port", "0", "--admin-port", "0",
        "--data-dir", dataDir.toString());
  }

  private static Map<String, String> environmentWithout(String prefix) {
    Map<String, String> environment = new HashMap<>(System.getenv());
    environment.keySet().removeIf(name -> name.startsWith(prefix));
    return environment;
  }

  /** The workspace's OAuth client-credentials request, as the SDK makes it. */
  private HttpResponse<String> tokenRequest(Map<String, String> settings, String secret) throws Exception {
    String basic = Base64.getEncoder().encodeToString((settings.get("DATABRICKS_CLIENT_ID") + ":" + secret)
        .getBytes(StandardCharsets.UTF_8));
    return http.send(HttpRequest.newBuilder(URI.create(settings.get("DATABRICKS_WORKSPACE_URL") + "/oidc/v1/token"))
        .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&scope=all-apis")).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
