package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.zerobus.station.core.config.DatabricksSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whoever can reach Connect's REST API can submit a connector config; the worker's secret must not
 * follow a URL that config names. A recording server on 127.0.0.1 plays the stranger's workspace.
 */
class CredentialScopeTest {
  static final String WORKER_ID = "worker-client";
  static final String WORKER_SECRET = "worker-secret-value";
  /** Text only the stranger's server says; it must not come back in a message unless the worker trusts the server. */
  static final String FOREIGN_WORDS = "words-from-the-foreign-host";

  @TempDir
  Path dir;
  HttpServer server;
  String serverUrl;
  final List<String> received = new CopyOnWriteArrayList<>();
  volatile int tokenStatus = 200;

  @BeforeEach
  void startRecordingServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::answer);
    server.start();
    serverUrl = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  /** Records every request (recorded before it is answered, so complete once the caller has its answer). */
  private void answer(HttpExchange exchange) throws IOException {
    received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
        + exchange.getRequestHeaders().getFirst("Authorization"));
    exchange.getRequestBody().readAllBytes();
    boolean token = exchange.getRequestURI().getPath().equals("/oidc/v1/token");
    int status = token ? tokenStatus : 404;
    String body = token && status == 200 ? "{\"access_token\": \"t\", \"expires_in\": 3600}"
        : "{\"error_code\": \"NOT_FOUND\", \"message\": \"" + FOREIGN_WORDS + "\"}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  static Map<String, String> workerEnvironment(String... more) {
    Map<String, String> env = new HashMap<>(Map.of(
        "DATABRICKS_CLIENT_ID", WORKER_ID,
        "DATABRICKS_CLIENT_SECRET", WORKER_SECRET,
        "DATABRICKS_WORKSPACE_URL", "https://workers-own.cloud.databricks.com",
        "ZEROBUS_SERVER_ENDPOINT", "1.zerobus.region.cloud.databricks.com"));
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  /** A config naming the recording server as workspace and endpoint, with no credentials of its own. */
  Map<String, String> strangersConfig() {
    Map<String, String> p = new HashMap<>();
    p.put("connector.class", ZerobusSinkConnector.class.getName());
    p.put("topics", "events");
    p.put(ZerobusSinkConfig.CONFIG_FILE, TestTables.write(dir, serverUrl, serverUrl).toString());
    p.put(ZerobusSinkConfig.WORKSPACE_URL, serverUrl);
    p.put(ZerobusSinkConfig.SERVER_ENDPOINT, serverUrl);
    p.put(ZerobusSinkConfig.VALIDATE_CREDENTIALS, "true");
    return p;
  }

  static List<String> errors(Config config, String name) {
    for (ConfigValue v : config.configValues()) {
      if (v.name().equals(name)) {
        return v.errorMessages();
      }
    }
    throw new AssertionError("no setting " + name);
  }

  static List<String> allErrors(Config config) {
    return config.configValues().stream().flatMap(v -> v.errorMessages().stream().map(m -> v.name() + ": " + m))
        .toList();
  }

  static String basic(String id, String secret) {
    return "Basic " + Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void validateSendsTheWorkersSecretNowhereAConfigNames() {
    Config result = new ZerobusSinkConnector(workerEnvironment()).validate(strangersConfig());

    assertEquals(List.of(), received, "nothing reaches the URL the config names");
    String message = errors(result, ZerobusSinkConfig.WORKSPACE_URL).get(0);
    assertTrue(message.contains(serverUrl) && message.contains("DATABRICKS_WORKSPACE_URL")
        && message.contains(CredentialScope.ALLOWED_WORKSPACE_URLS_ENV)
        && message.contains(ZerobusSinkConfig.CLIENT_SECRET), message);
    assertFalse(allErrors(result).toString().contains(WORKER_SECRET), result.configValues().toString());
  }

  @Test
  void aWorkspaceUrlFromTheConfigFileIsNotTheWorkersEither() {
    Map<String, String> worker = workerEnvironment();
    worker.remove("DATABRICKS_WORKSPACE_URL"); // so the file's databricks.workspace_url is the one used
    Map<String, String> config = strangersConfig();
    config.remove(ZerobusSinkConfig.WORKSPACE_URL);

    Config result = new ZerobusSinkConnector(worker).validate(config);

    assertEquals(List.of(), received);
    String message = errors(result, ZerobusSinkConfig.WORKSPACE_URL).get(0);
    assertTrue(message.contains("databricks.workspace_url of " + ZerobusSinkConfig.CONFIG_FILE), message);
  }

  @Test
  void theWorkersSecretHandedBackByValueIsStillTheWorkers() {
    Map<String, String> config = strangersConfig();
    // what ${env:DATABRICKS_CLIENT_SECRET} becomes before the connector sees it
    config.put(ZerobusSinkConfig.CLIENT_ID, "any-client");
    config.put(ZerobusSinkConfig.CLIENT_SECRET, WORKER_SECRET);

    Config result = new ZerobusSinkConnector(workerEnvironment()).validate(config);

    assertEquals(List.of(), received);
    assertEquals(1, errors(result, ZerobusSinkConfig.WORKSPACE_URL).size(), allErrors(result).toString());
  }

  @Test
  void aTaskStartsNothingAndSaysHowToFixIt() {
    Map<String, String> config = strangersConfig();
    config.put(ZerobusSinkConfig.TOPIC_TABLES, "events:events");
    ZerobusSinkTask task = new ZerobusSinkTask(workerEnvironment());
    task.initialize(new RecordingContext());

    ConnectException e;
    try {
      e = assertThrows(ConnectException.class, () -> task.start(config));
    } finally {
      task.stop();
    }

    assertEquals(List.of(), received);
    assertTrue(e.getMessage().contains("set DATABRICKS_WORKSPACE_URL on every worker")
        && e.getMessage().contains(CredentialScope.ALLOWED_WORKSPACE_URLS_ENV)
        && e.getMessage().contains("its own " + ZerobusSinkConfig.CLIENT_ID), e.getMessage());
    assertFalse(e.getMessage().contains(WORKER_SECRET) || e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void theWorkersAllowlistIsWhatOpensAUrlToItsSecret() {
    tokenStatus = 401;
    Config refused = new ZerobusSinkConnector(workerEnvironment()).validate(strangersConfig());
    assertEquals(List.of(), received, "not without the allowlist");
    assertFalse(errors(refused, ZerobusSinkConfig.WORKSPACE_URL).isEmpty());

    // another case, a trailing slash and another entry: the same origin
    Map<String, String> worker = workerEnvironment(CredentialScope.ALLOWED_WORKSPACE_URLS_ENV,
        " https://other.example.com , " + serverUrl.toUpperCase() + "/ ");
    Config result = new ZerobusSinkConnector(worker).validate(strangersConfig());

    assertTrue(received.contains("POST /oidc/v1/token " + basic(WORKER_ID, WORKER_SECRET)), received.toString());
    assertTrue(errors(result, ZerobusSinkConfig.WORKSPACE_URL).isEmpty(), allErrors(result).toString());
    // a workspace the worker trusts may speak for itself in the message
    String refusal = errors(result, ZerobusSinkConfig.CLIENT_SECRET).get(0);
    assertTrue(refusal.contains("HTTP 401") && refusal.contains(FOREIGN_WORDS), refusal);
  }

  @Test
  void aConfigWithItsOwnCredentialsReachesItsWorkspaceButItsAnswersAreNotRepeated() {
    Map<String, String> config = strangersConfig();
    config.put(ZerobusSinkConfig.CLIENT_ID, "own-client");
    config.put(ZerobusSinkConfig.CLIENT_SECRET, "own-secret");
    tokenStatus = 401;

    Config refusedToken = new ZerobusSinkConnector(workerEnvironment()).validate(config);

    assertTrue(received.contains("POST /oidc/v1/token " + basic("own-client", "own-secret")), received.toString());
    assertTrue(received.stream().noneMatch(r -> r.contains(basic(WORKER_ID, WORKER_SECRET))), received.toString());
    String refusal = errors(refusedToken, ZerobusSinkConfig.CLIENT_SECRET).get(0);
    assertTrue(refusal.contains("HTTP 401") && !refusal.contains(FOREIGN_WORDS), refusal);

    // Unity Catalog's answer about a table with no local schema is not repeated either
    tokenStatus = 200;
    config.remove(ZerobusSinkConfig.CONFIG_FILE);
    config.put(ZerobusSinkConfig.CONFIG_JSON, "{\"databricks\": {\"server_endpoint\": \"" + serverUrl + "\","
        + " \"workspace_id\": \"1\", \"workspace_url\": \"" + serverUrl + "\"},"
        + " \"tables\": {\"events\": {\"table_name\": \"main.default.events\"}}}");
    Config noSchema = new ZerobusSinkConnector(workerEnvironment()).validate(config);
    assertTrue(received.stream().anyMatch(r -> r.startsWith("GET /api/2.1/unity-catalog/tables/")), received.toString());
    String message = errors(noSchema, ZerobusSinkConfig.CONFIG_JSON).get(0);
    assertTrue(message.contains("has no table main.default.events") && !message.contains(FOREIGN_WORDS), message);
  }

  @Test
  void plainHttpToAnotherMachineIsRefusedUnlessTheWorkerNamesIt() {
    Map<String, String> config = new HashMap<>();
    config.put("topics", "events");
    // schema_drift off and no token check: nothing would be sent even before the rule, whatever the URL
    config.put(ZerobusSinkConfig.CONFIG_JSON, TestTables.config("http://zerobus.invalid:50051", "http://workspace.invalid")
        .replaceFirst("\\{", "{\"schema_drift\": \"off\", "));
    config.put(ZerobusSinkConfig.CLIENT_ID, "own-client");
    config.put(ZerobusSinkConfig.CLIENT_SECRET, "own-secret");

    Config result = new ZerobusSinkConnector(Map.of()).validate(config);
    assertTrue(errors(result, ZerobusSinkConfig.WORKSPACE_URL).get(0).contains("must be an https URL"),
        allErrors(result).toString());
    assertTrue(errors(result, ZerobusSinkConfig.SERVER_ENDPOINT).get(0).contains("must be an https URL"),
        allErrors(result).toString());
    assertThrows(ConnectException.class, () -> new ZerobusSinkTask(Map.of()).start(config));

    // the docker compose stack: http://emulator:... from the worker's own environment
    Map<String, String> compose = Map.of("DATABRICKS_WORKSPACE_URL", "http://workspace.invalid",
        "ZEROBUS_SERVER_ENDPOINT", "http://zerobus.invalid:50051");
    assertEquals(List.of(), allErrors(new ZerobusSinkConnector(compose).validate(config)));
    Map<String, String> allowed = Map.of(CredentialScope.ALLOWED_WORKSPACE_URLS_ENV, "http://workspace.invalid:80",
        "ZEROBUS_SERVER_ENDPOINT", "http://zerobus.invalid:50051");
    assertEquals(List.of(), allErrors(new ZerobusSinkConnector(allowed).validate(config)));
  }

  @Test
  void ownCredentialsMayGoToAnyHttpsWorkspace() {
    ZerobusSinkConfig config = new ZerobusSinkConfig(Map.of(ZerobusSinkConfig.CONFIG_JSON, "{}",
        ZerobusSinkConfig.CLIENT_ID, "own-client", ZerobusSinkConfig.CLIENT_SECRET, "own-secret"));
    Map<String, String> worker = workerEnvironment();
    CredentialScope scope = CredentialScope.check(config, worker, StationSetup.env(config, worker),
        new DatabricksSettings("2.zerobus.other-region.cloud.databricks.com", "2", "https://another.example.com"));
    assertEquals(List.of(), scope.problems());
    assertFalse(scope.workspaceTrusted(), "its answers are not repeated");

    ZerobusSinkConfig noneOfItsOwn = new ZerobusSinkConfig(Map.of(ZerobusSinkConfig.CONFIG_JSON, "{}"));
    CredentialScope workers = CredentialScope.check(noneOfItsOwn, worker, StationSetup.env(noneOfItsOwn, worker),
        new DatabricksSettings("1.zerobus.region.cloud.databricks.com", "1", "HTTPS://Workers-Own.cloud.databricks.com:443/"));
    assertEquals(List.of(), workers.problems());
    assertTrue(workers.workspaceTrusted());
  }

  @Test
  void originsCompareSchemeHostAndPortOfPlainUrlsOnly() {
    assertEquals("https://ws.example.com:443", CredentialScope.origin(" HTTPS://WS.example.com/ "));
    assertEquals("https://ws.example.com:443", CredentialScope.origin("ws.example.com"));
    assertEquals("http://127.0.0.1:80", CredentialScope.origin("http://127.0.0.1"));
    assertNull(CredentialScope.origin("https://ws.example.com@elsewhere.example.com"));
    assertNull(CredentialScope.origin("https://ws.example.com?next=elsewhere"));
    assertNull(CredentialScope.origin("ftp://ws.example.com"));
    assertNull(CredentialScope.origin("https://ws.example.com\\@elsewhere.example.com"));
  }
}
