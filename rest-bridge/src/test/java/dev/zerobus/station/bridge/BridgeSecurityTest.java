package dev.zerobus.station.bridge;

import static dev.zerobus.station.bridge.BridgeFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer tokens per table, and TLS from a keystore or from PEM files. */
class BridgeSecurityTest {
  @TempDir
  Path dir;

  @Test
  void tokensAreCheckedPerTable() throws Exception {
    BearerAuth auth = BearerAuth.parse("gateway-token-0123456789=station_one;admin-token-0123456789=*");
    try (BridgeFixture bridge = new BridgeFixture(dir, BridgeFixture.FAST, s -> s.withAuth(auth))) {
      HttpResponse<String> none = bridge.postJson("/ingest/station_one", "{}");
      assertEquals(401, none.statusCode());
      assertEquals("Bearer realm=\"zerobus-station\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
      assertEquals(401, json(none).get("status_code").asInt());
      assertEquals(401, send(bridge, "/ingest/station_one", "Bearer wrong").statusCode());

      HttpResponse<String> forbidden = send(bridge, "/ingest/station_two", "Bearer gateway-token-0123456789");
      assertEquals(403, forbidden.statusCode());
      assertTrue(json(forbidden).get("error").asText().contains("may not use table station_two"));
      assertEquals(403, sendTo(bridge, "/flush/station_two", "Bearer gateway-token-0123456789").statusCode());

      assertEquals(200, send(bridge, "/ingest/station_one", "Bearer gateway-token-0123456789").statusCode());
      assertEquals(200, send(bridge, "/ingest/station_two", "Bearer admin-token-0123456789").statusCode());
      assertEquals(200, bridge.get("/health").statusCode(), "health needs no token");
      assertEquals(404, send(bridge, "/ingest/nowhere", "Bearer admin-token-0123456789").statusCode());
      assertTrue(json(bridge.get("/openapi.json")).get("components").has("securitySchemes"));
    }
  }

  @Test
  void tokenFilesAreReadAndBadSpecsExplained() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens.json"),
        "{\"tokens\": [{\"name\": \"ci\", \"token\": \"ci-token-0123456789\", \"tables\": [\"events\"]}]}");
    BearerAuth auth = BearerAuth.load(file);
    assertEquals(BearerAuth.Decision.ALLOWED, auth.check("Bearer ci-token-0123456789", "events"));
    assertEquals(BearerAuth.Decision.FORBIDDEN, auth.check("Bearer ci-token-0123456789", "station_one"));
    assertEquals(BearerAuth.Decision.UNAUTHENTICATED, auth.check("Basic dDox", "events"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BearerAuth.parse("just-a-token"));
    assertTrue(e.getMessage().contains("is not token=table1,table2"), e.getMessage());
    assertTrue(!e.getMessage().contains("just-a-token"), "the token is not echoed");
  }

  /** A padded base64 token (openssl rand -base64 32) is taken whole, from the environment form and from a file. */
  @Test
  void tokensKeepEveryCharacterAndBadOnesAreRefusedAtStart() throws Exception {
    String padded = "q3Zr8bT0Yv6mJw1uK9xLpN4sA7cE2hG5iD0fR/+oWkM=";
    String doublePadded = "Zm9vYmFyYmF6cXV4eHl6enk0MjQy==";
    BearerAuth fromEnv = BearerAuth.parse(padded + "=station_one;" + doublePadded + "=*");
    assertEquals(BearerAuth.Decision.ALLOWED, fromEnv.check("Bearer " + padded, "station_one"));
    assertEquals(BearerAuth.Decision.FORBIDDEN, fromEnv.check("Bearer " + padded, "station_two"));
    assertEquals(BearerAuth.Decision.UNAUTHENTICATED, fromEnv.check("Bearer " + padded.substring(0, padded.length() - 1),
        "station_one"), "the token without its padding is another token");
    assertEquals(BearerAuth.Decision.ALLOWED, fromEnv.check("Bearer " + doublePadded, "station_two"));

    Path text = Files.writeString(dir.resolve("tokens.txt"), "# gateway\n" + padded + "  station_one,station_two\n\n"
        + doublePadded + " *   # admin\n");
    BearerAuth fromFile = BearerAuth.load(text);
    assertEquals(2, fromFile.size());
    assertEquals(BearerAuth.Decision.ALLOWED, fromFile.check("Bearer " + padded, "station_two"));

    List<String> refused = List.of(
        padded + "=station_one;" + padded + "=station_two", // the same token twice
        "short-token=station_one",
        "token-with;a-semicolon-0123=station_one",
        "token with spaces 0123456789=station_one",
        "tokén-0123456789-0123456789=station_one");
    for (String spec : refused) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BearerAuth.parse(spec), spec);
      assertTrue(!e.getMessage().contains("0123456789") && !e.getMessage().contains(padded), "no token echoed: "
          + e.getMessage());
    }
    fromEnv.requireTables(List.of("station_one", "station_two"));
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> BearerAuth.parse(padded + "=station_one,typo_table").requireTables(List.of("station_one", "station_two")));
    assertTrue(unknown.getMessage().contains("[typo_table]"), unknown.getMessage());
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> BearerAuth.load(
        Files.writeString(dir.resolve("twice.txt"), padded + " station_one\n" + padded + " station_two\n")));
    assertTrue(twice.getMessage().contains("line 2 repeats the token of line 1"), twice.getMessage());
  }

  /** A token a client wrongly puts in the URL is refused, and kept out of the access log too. */
  @Test
  void secretsInQueryStringsAreRedactedInTheAccessLog() {
    String line = "127.0.0.1 - - [05/Dec/2026:23:00:00 +0000] \"POST /ingest/station_one?wait_for_ack=true&access_token="
        + "s3cr3t&x=1 HTTP/1.1\" 401 99 \"https://app.example/?api_key=k3y\" \"curl\" id 1ms";
    String redacted = BridgeServer.redactSecrets(line);
    assertTrue(!redacted.contains("s3cr3t") && !redacted.contains("k3y"), redacted);
    assertTrue(redacted.contains("wait_for_ack=true&access_token=REDACTED&x=1"), redacted);
    assertEquals("GET /health HTTP/1.1", BridgeServer.redactSecrets("GET /health HTTP/1.1"));
  }

  /** Listening where others can reach it without tokens is refused before anything else happens. */
  @Test
  void aBridgeOthersCanReachNeedsTokensOrASaySo() {
    java.io.StringWriter err = new java.io.StringWriter();
    int code = BridgeMain.command().setErr(new java.io.PrintWriter(err))
        .execute("--host", "0.0.0.0", "--config", dir.resolve("absent.json").toString(), "--env-file",
            dir.resolve("absent.env").toString());
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("--host 0.0.0.0 is reachable from other machines and no bearer tokens are set"),
        err.toString());
    assertTrue(err.toString().lines().count() == 1, err.toString());
  }

  @Test
  void theShutdownWatchdogHaltsAShutdownThatDoesNotEnd() throws Exception {
    java.util.concurrent.CountDownLatch halted = new java.util.concurrent.CountDownLatch(1);
    ShutdownWatchdog watchdog = new ShutdownWatchdog(Duration.ofMillis(50), halted::countDown);
    assertTrue(!halted.await(200, java.util.concurrent.TimeUnit.MILLISECONDS), "nothing happens before shutdown begins");
    watchdog.shutdownBegan();
    assertTrue(halted.await(30, java.util.concurrent.TimeUnit.SECONDS), "halted after the limit");
  }

  @Test
  void tlsFromAKeystoreAndFromPem() throws Exception {
    Path keystore = dir.resolve("bridge.p12");
    keytool("-genkeypair", "-alias", "bridge", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass", "changeit");
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, "changeit".toCharArray());
    }
    HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(store)).build();

    Tls fromKeystore = Tls.fromKeystore(keystore, "changeit".toCharArray(), Duration.ZERO);
    try (BridgeFixture bridge = new BridgeFixture(dir.resolve("ks"), BridgeFixture.FAST, s -> s.withTls(fromKeystore), trusting)) {
      assertTrue(bridge.server.url().startsWith("https://"));
      HttpResponse<String> r = bridge.postJson("/ingest/station_one?wait_for_ack=true", "{\"device_name\": \"over-tls\"}");
      assertEquals(200, r.statusCode(), r.body());
    }

    Path cert = Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", store.getCertificate("bridge").getEncoded()));
    Path key = Files.writeString(dir.resolve("key.pem"),
        pem("PRIVATE KEY", ((PrivateKey) store.getKey("bridge", "changeit".toCharArray())).getEncoded()));
    Tls fromPem = Tls.fromPem(cert, key, Duration.ZERO);
    try (BridgeFixture bridge = new BridgeFixture(dir.resolve("pem"), BridgeFixture.FAST, s -> s.withTls(fromPem), trusting)) {
      assertEquals(200, bridge.get("/health").statusCode());
    }
    Path rsaKey = Files.writeString(dir.resolve("rsa.pem"), pem("RSA PRIVATE KEY", new byte[] {1, 2, 3}));
    Exception e = assertThrows(Exception.class, () -> Tls.fromPem(cert, rsaKey, Duration.ZERO));
    assertTrue(e.getMessage().contains("must be an unencrypted PKCS#8 key"), e.getMessage());
  }

  private static HttpResponse<String> send(BridgeFixture bridge, String path, String authorization) throws Exception {
    return bridge.http.send(HttpRequest.newBuilder(URI.create(bridge.server.url() + path))
        .header("Content-Type", "application/json").header("Authorization", authorization)
        .POST(HttpRequest.BodyPublishers.ofString("{\"device_name\": \"authorized\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> sendTo(BridgeFixture bridge, String path, String authorization) throws Exception {
    return bridge.http.send(HttpRequest.newBuilder(URI.create(bridge.server.url() + path))
        .header("Authorization", authorization).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = new java.util.ArrayList<>(List.of(keytool.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
  }

  private static SSLContext trusting(KeyStore store) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    Certificate cert = store.getCertificate("bridge");
    trust.setCertificateEntry("bridge", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }
}
