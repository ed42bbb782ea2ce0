package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.DatabricksSettings;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.emulator.EmulatorMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Keeps docker-compose.yml and the Dockerfile true to the code: every variable the bridge and
 * emulator services set is one the programs read (from their picocli options or core), published
 * ports are the ports they listen on, the emulator's volume is its data directory, and the config
 * files and build targets named exist, health checks use tools the images have, and the stack does
 * not hang on the emulator. (docker-compose config -q checks the syntax and scripts/compose-smoke
 * starts the stack; see .ci/run.)
 */
class ComposeFileTest {
  static final Path ROOT = Path.of("..");
  static JsonNode services;
  static String dockerfile;

  /** One program's environment: variable name to its default, from "${env:NAME:-default}" option defaults. */
  record EnvOption(String name, String defaultValue) {}

  @BeforeAll
  static void read() throws Exception {
    services = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("docker-compose.yml").toFile()).get("services");
    dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
  }

  static Map<String, EnvOption> envOptions(Object command) {
    Map<String, EnvOption> out = new HashMap<>();
    Pattern env = Pattern.compile("\\$\\{env:([A-Z0-9_]+)(?::-([^}]*))?}");
    for (OptionSpec o : new CommandLine(command).setInterpolateVariables(false).getCommandSpec().options()) {
      if (o.defaultValue() == null) {
        continue;
      }
      Matcher m = env.matcher(o.defaultValue());
      if (m.find()) {
        out.put(m.group(1), new EnvOption(m.group(1), m.group(2)));
      }
    }
    return out;
  }

  /** What core reads from the environment, whichever face runs it. */
  static final Set<String> CORE_ENV = Set.of(DatabricksSettings.SERVER_ENDPOINT_ENV, DatabricksSettings.WORKSPACE_URL_ENV,
      DatabricksSettings.WORKSPACE_ID_ENV, Credentials.CLIENT_ID, Credentials.CLIENT_SECRET, StationConfig.TABLES_DIR_ENV);

  static Map<String, String> environment(String service) {
    Map<String, String> out = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = services.get(service).path("environment").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  /** ENV lines of a Dockerfile stage, as the container starts with them. */
  static Map<String, String> dockerfileEnv(String target) {
    String stage = dockerfile.substring(dockerfile.indexOf(" AS " + target));
    int next = stage.indexOf("\nFROM ");
    stage = next > 0 ? stage.substring(0, next) : stage;
    Map<String, String> out = new HashMap<>();
    Matcher m = Pattern.compile("(?m)^ENV ((?:.|\\\\\\n)*?)(?<!\\\\)$").matcher(stage);
    while (m.find()) {
      for (String pair : m.group(1).replace("\\\n", " ").trim().split("\\s+")) {
        String[] kv = pair.split("=", 2);
        out.put(kv[0], kv[1]);
      }
    }
    return out;
  }

  /** The value a variable has in the container: compose over the Dockerfile over the option default. */
  static String effective(String service, String target, EnvOption option) {
    Map<String, String> compose = environment(service);
    String v = compose.containsKey(option.name()) ? compose.get(option.name())
        : dockerfileEnv(target).getOrDefault(option.name(), option.defaultValue());
    Matcher m = Pattern.compile("\\$\\{[A-Z0-9_]+:-([^}]*)}").matcher(v == null ? "" : v);
    return m.find() ? m.replaceAll("$1") : v; // a compose ${VAR:-default} as it is without .env
  }

  static Set<Integer> containerPorts(String service) {
    Set<Integer> out = new HashSet<>();
    for (JsonNode p : services.get(service).path("ports")) {
      String[] parts = p.asText().split(":");
      out.add(Integer.parseInt(parts[parts.length - 1].replaceAll("/.*", "")));
    }
    return out;
  }

  @Test
  void everyVariableTheBridgeAndEmulatorServicesSetIsOneTheyRead() {
    Map<String, EnvOption> bridge = envOptions(new BridgeMain());
    Map<String, EnvOption> emulator = envOptions(new EmulatorMain());
    for (String name : environment("rest-bridge").keySet()) {
      assertTrue(bridge.containsKey(name) || CORE_ENV.contains(name) || name.equals(BridgeMain.TOKENS_ENV),
          "rest-bridge sets " + name + ", which nothing reads");
    }
    for (String name : environment("emulator").keySet()) {
      assertTrue(emulator.containsKey(name), "emulator sets " + name + ", which the emulator does not read");
    }
    for (String name : dockerfileEnv("bridge").keySet()) {
      assertTrue(bridge.containsKey(name) || CORE_ENV.contains(name), "the bridge image sets " + name);
    }
    for (String name : dockerfileEnv("emulator").keySet()) {
      assertTrue(emulator.containsKey(name), "the emulator image sets " + name);
    }
  }

  @Test
  void publishedPortsAreThePortsTheProgramsListenOn() {
    Map<String, EnvOption> bridge = envOptions(new BridgeMain());
    Map<String, EnvOption> emulator = envOptions(new EmulatorMain());
    assertEquals(Set.of(Integer.parseInt(effective("rest-bridge", "bridge", bridge.get("ZEROBUS_BRIDGE_PORT")))),
        containerPorts("rest-bridge"));
    Set<Integer> emulatorPorts = new HashSet<>();
    for (String v : new String[] {"ZEROBUS_EMULATOR_GRPC_PORT", "ZEROBUS_EMULATOR_WORKSPACE_PORT", "ZEROBUS_EMULATOR_ADMIN_PORT"}) {
      emulatorPorts.add(Integer.parseInt(effective("emulator", "emulator", emulator.get(v))));
    }
    assertEquals(emulatorPorts, containerPorts("emulator"));
    assertEquals("0.0.0.0", effective("rest-bridge", "bridge", bridge.get("ZEROBUS_BRIDGE_HOST")), "reachable from outside");
    // Listening on every interface inside the container is only safe because the host publishes on loopback.
    for (String service : (Iterable<String>) services::fieldNames) {
      for (JsonNode port : services.get(service).path("ports")) {
        assertTrue(port.asText().startsWith("127.0.0.1:") || port.asText().startsWith("${") && port.asText()
            .contains(":-127.0.0.1}:"), service + " publishes " + port.asText() + " beyond 127.0.0.1 by default");
      }
    }
    assertEquals("true", effective("rest-bridge", "bridge", bridge.get("ZEROBUS_BRIDGE_ALLOW_UNAUTHENTICATED")),
        "the compose bridge says it runs without tokens");
    assertTrue(!dockerfileEnv("bridge").containsKey("ZEROBUS_BRIDGE_ALLOW_UNAUTHENTICATED"),
        "the image itself never waives tokens: docker run -p 8000:8000 would expose it");
    assertEquals("0.0.0.0", effective("emulator", "emulator", emulator.get("ZEROBUS_EMULATOR_HOST")));
    // the other services reach the emulator on the ports it listens on
    for (String service : new String[] {"rest-bridge", "connect"}) {
      Map<String, String> env = environment(service);
      assertTrue(env.get("ZEROBUS_SERVER_ENDPOINT").contains("emulator:" + effective("emulator", "emulator",
          emulator.get("ZEROBUS_EMULATOR_GRPC_PORT"))), service);
      assertTrue(env.get("DATABRICKS_WORKSPACE_URL").contains("emulator:" + effective("emulator", "emulator",
          emulator.get("ZEROBUS_EMULATOR_WORKSPACE_PORT"))), service);
    }
  }

  @Test
  void volumesFilesAndTargetsExist() {
    Map<String, EnvOption> emulator = envOptions(new EmulatorMain());
    String dataDir = effective("emulator", "emulator", emulator.get("ZEROBUS_EMULATOR_DATA_DIR"));
    boolean mounted = false;
    for (JsonNode v : services.get("emulator").path("volumes")) {
      mounted |= v.asText().split(":")[1].equals(dataDir);
    }
    assertTrue(mounted, "the emulator's data directory " + dataDir + " is a volume");
    assertTrue(services.get("emulator").path("volumes").get(0).asText().startsWith("emulator-data:"));

    Map<String, EnvOption> bridge = envOptions(new BridgeMain());
    String config = effective("rest-bridge", "bridge", bridge.get("ZEROBUS_CONFIG"));
    assertTrue(config.startsWith("/app/config/") && Files.exists(ROOT.resolve("config").resolve(config.substring(12))),
        "the bridge's config " + config + " exists in config/");
    String emulatorConfig = effective("emulator", "emulator", emulator.get("ZEROBUS_EMULATOR_CONFIG"));
    assertTrue(Files.exists(ROOT.resolve("config").resolve(emulatorConfig.substring("/app/config/".length()))));

    for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> s = it.next();
      JsonNode target = s.getValue().path("build").path("target");
      if (!target.isMissingNode()) {
        assertTrue(dockerfile.contains(" AS " + target.asText() + "\n"), s.getKey() + ": no Dockerfile stage " + target);
      }
      for (JsonNode v : s.getValue().path("volumes")) {
        String source = v.asText().split(":")[0];
        if (source.startsWith("./")) {
          assertTrue(Files.exists(ROOT.resolve(source)), s.getKey() + " mounts " + source + ", which does not exist");
        }
      }
    }
  }

  @Test
  void theEmulatorIsPublishedOnLoopbackAndNothingWaitsForIt() {
    for (JsonNode p : services.get("emulator").path("ports")) {
      String hostIp = p.asText().replaceAll("\\$\\{[A-Z0-9_]+:-([^}]*)}", "$1").split(":")[0];
      assertEquals("127.0.0.1", hostIp, "emulator port " + p.asText() + ": its admin API has no auth");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> s = it.next();
      assertTrue(!s.getValue().path("depends_on").has("emulator"),
          s.getKey() + " depends on the emulator: with .env pointing at Databricks it would wait for nothing");
    }
  }

  @Test
  void imagesHaveTheNamesTheContainerTestUsesAndHealthChecksTheirTools() throws Exception {
    for (String target : new String[] {"kafka", "emulator", "bridge", "connect"}) {
      String service = target.equals("bridge") ? "rest-bridge" : target;
      assertEquals("zerobus-station/" + target + ":local", services.get(service).path("image").asText(), service);
      String stage = dockerfile.substring(dockerfile.indexOf(" AS " + target + "\n"));
      int next = stage.indexOf("\nFROM ", 1);
      stage = next > 0 ? stage.substring(0, next) : stage;
      Matcher health = Pattern.compile("HEALTHCHECK[^\n]*?CMD (\\S+)", Pattern.DOTALL)
          .matcher(stage.replace("\\\n", " "));
      assertTrue(health.find(), target + " has a health check");
      String tool = health.group(1);
      assertTrue(tool.equals("curl") && dockerfile.contains("apt-get install -y --no-install-recommends curl")
          || Files.isExecutable(ROOT.resolve("docker/kafka/bin").resolve(tool)),
          target + ": the health check runs " + tool + ", which the image does not have");
    }
  }

  @Test
  void buildStepsDoNotHideFailuresAndTheContextHasNoSecrets() throws Exception {
    assertTrue(!dockerfile.contains("|| true"), "a build step hides its failure");
    Set<String> ignored = new HashSet<>(Files.readAllLines(ROOT.resolve(".dockerignore")));
    for (String must : new String[] {".env", ".git", "**/target", "zerobus-emulator-data"}) {
      assertTrue(ignored.contains(must), ".dockerignore leaves out " + must);
    }
  }
}
