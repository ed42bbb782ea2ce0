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
    BearerAuth auth = BearerAuth.parse("gateway-token=station_one;admin-token=*");
    try (BridgeFixture bridge = new BridgeFixture(dir, BridgeFixture.FAST, s -> s.withAuth(auth))) {
      HttpResponse<String> none = bridge.postJson("/ingest/station_one", "{}");
      assertEquals(401, none.statusCode());
      assertEquals("Bearer realm=\"zerobus-station\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
      assertEquals(401, json(none).get("status_code").asInt());
      assertEquals(401, send(bridge, "/ingest/station_one", "Bearer wrong").statusCode());

      HttpResponse<String> forbidden = send(bridge, "/ingest/station_two", "Bearer gateway-token");
      assertEquals(403, forbidden.statusCode());
      assertTrue(json(forbidden).get("error").asText().contains("may not write to table station_two"));
      assertEquals(403, sendTo(bridge, "/flush/station_two", "Bearer gateway-token").statusCode());

      assertEquals(200, send(bridge, "/ingest/station_one", "Bearer gateway-token").statusCode());
      assertEquals(200, send(bridge, "/ingest/station_two", "Bearer admin-token").statusCode());
      assertEquals(200, bridge.get("/health").statusCode(), "health needs no token");
      assertEquals(404, send(bridge, "/ingest/nowhere", "Bearer admin-token").statusCode());
      assertTrue(json(bridge.get("/openapi.json")).get("components").has("securitySchemes"));
    }
  }

  @Test
  void tokenFilesAreReadAndBadSpecsExplained() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens.json"),
        "{\"tokens\": [{\"name\": \"ci\", \"token\": \"t-1\", \"tables\": [\"events\"]}]}");
    BearerAuth auth = BearerAuth.load(file);
    assertEquals(BearerAuth.Decision.ALLOWED, auth.check("Bearer t-1", "events"));
    assertEquals(BearerAuth.Decision.FORBIDDEN, auth.check("Bearer t-1", "station_one"));
    assertEquals(BearerAuth.Decision.UNAUTHENTICATED, auth.check("Basic dDox", "events"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BearerAuth.parse("just-a-token"));
    assertTrue(e.getMessage().contains("expected token=table1,table2"), e.getMessage());
    assertTrue(!e.getMessage().contains("just-a-token"), "the token is not echoed");
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
