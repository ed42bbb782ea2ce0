package dev.zerobus.station.bridge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A rotated certificate, PEM pair or keystore, reaches new handshakes without a restart; a rotation
 * that is not whole (a certificate without its key, a half-written file) leaves the old one served.
 */
class TlsReloadTest {
  @TempDir
  static Path keys;
  static Identity first;
  static Identity second;

  @TempDir
  Path dir;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  /** A self-signed certificate for 127.0.0.1 and its key, in a PKCS#12 keystore (password changeit). */
  record Identity(Path keystore, X509Certificate certificate, PrivateKey key) {
    /** How an assertion names it: the subject and serial. */
    String name() {
      return nameOf(certificate);
    }

    void writePem(Path certificateFile, Path keyFile) throws IOException {
      writeCertificate(certificateFile);
      Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
    }

    void writeCertificate(Path certificateFile) throws IOException {
      try {
        Files.writeString(certificateFile, pem("CERTIFICATE", certificate.getEncoded()));
      } catch (CertificateEncodingException e) {
        throw new IOException(e);
      }
    }
  }

  @BeforeAll
  static void makeCertificates() throws Exception {
    first = identity("first", 30);
    second = identity("second", 30);
    assertFalse(first.certificate().getSerialNumber().equals(second.certificate().getSerialNumber()));
  }

  @BeforeEach
  void captureLogs() {
    logs.start();
    tlsLogger().addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    tlsLogger().detachAppender(logs);
  }

  @Test
  void aRotatedPemPairReachesNewHandshakesWhileOpenConnectionsKeepTheirs() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    first.writePem(cert, key);
    Tls tls = Tls.fromPem(cert, key, Duration.ZERO);
    try (BridgeFixture bridge = new BridgeFixture(dir.resolve("bridge"), BridgeFixture.FAST, s -> s.withTls(tls));
        SSLSocket open = handshake(bridge)) {
      assertEquals(first.name(), nameOf(presentedBy(open)));
      assertEquals(200, health(open));
      assertEquals(Tls.Reload.UNCHANGED, tls.reloadNow(), "nothing changed yet");

      second.writePem(cert, key);
      assertEquals(Tls.Reload.RELOADED, tls.reloadNow());
      assertEquals(second.name(), presented(bridge), "a new handshake gets the new certificate");
      assertEquals(200, health(open), "the connection opened before keeps working");
      assertEquals(first.name(), nameOf(presentedBy(open)), "with the certificate it was opened with");
      assertEquals(Tls.Reload.UNCHANGED, tls.reloadNow());
    }
    String taken = messages(Level.INFO).stream().filter(m -> m.contains("changed; new connections get"))
        .findFirst().orElseThrow(() -> new AssertionError("no INFO on reload: " + messages(Level.INFO)));
    assertTrue(taken.contains("CN=second") && taken.contains(second.certificate().getSerialNumber().toString(16))
        && taken.contains(second.certificate().getNotAfter().toInstant().toString()), taken);
    String keyMaterial = Base64.getMimeEncoder().encodeToString(second.key().getEncoded()).substring(0, 40);
    for (ILoggingEvent event : logs.list) {
      assertFalse(event.getFormattedMessage().contains(keyMaterial), "key material logged: " + event);
      assertFalse(event.getFormattedMessage().contains("changeit"), "a password logged: " + event);
    }
  }

  @Test
  void aCertificateWithoutItsKeyOrAHalfWrittenOneKeepsTheOldOneServed() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    first.writePem(cert, key);
    Tls tls = Tls.fromPem(cert, key, Duration.ZERO);
    try (BridgeFixture bridge = new BridgeFixture(dir.resolve("bridge"), BridgeFixture.FAST, s -> s.withTls(tls))) {
      second.writeCertificate(cert); // the rotation has written the certificate, not yet the key
      assertEquals(Tls.Reload.REFUSED, tls.reloadNow());
      assertEquals(first.name(), presented(bridge));
      assertEquals(1, warningsContaining("does not belong to the certificate"), messages(Level.WARN).toString());
      assertEquals(Tls.Reload.UNCHANGED, tls.reloadNow(), "the same refused files are not tried again");
      assertEquals(1, messages(Level.WARN).size(), "one WARN per failure, not one per poll");

      String whole = Files.readString(cert);
      Files.writeString(cert, whole.substring(0, whole.length() / 2));
      assertEquals(Tls.Reload.REFUSED, tls.reloadNow());
      assertEquals(first.name(), presented(bridge));
      assertEquals(2, messages(Level.WARN).size(), "a different failure is warned about: " + messages(Level.WARN));

      second.writePem(cert, key);
      assertEquals(Tls.Reload.RELOADED, tls.reloadNow(), "the whole pair is taken at the next poll");
      assertEquals(second.name(), presented(bridge));
    }
  }

  @Test
  void aRotatedKeystoreReachesNewHandshakes() throws Exception {
    Path keystore = Files.copy(first.keystore(), dir.resolve("bridge.p12"));
    Tls tls = Tls.fromKeystore(keystore, "changeit".toCharArray(), Duration.ZERO);
    try (BridgeFixture bridge = new BridgeFixture(dir.resolve("bridge"), BridgeFixture.FAST, s -> s.withTls(tls))) {
      assertEquals(first.name(), presented(bridge));
      byte[] next = Files.readAllBytes(second.keystore());
      Files.write(keystore, Arrays.copyOf(next, next.length / 2));
      assertEquals(Tls.Reload.REFUSED, tls.reloadNow(), "a half-written keystore is not used");
      assertEquals(first.name(), presented(bridge));

      Files.copy(second.keystore(), keystore, StandardCopyOption.REPLACE_EXISTING);
      assertEquals(Tls.Reload.RELOADED, tls.reloadNow());
      assertEquals(second.name(), presented(bridge));
    }
  }

  /**
   * Kubernetes writes a secret's new version to a new directory and swaps the ..data symlink the
   * files point through; the poller sees it unasked, and stops with the server.
   */
  @Test
  void thePollerFollowsASecretVolumeSwapAndStopsWithTheServer() throws Exception {
    Path secret = Files.createDirectories(dir.resolve("secret"));
    Path firstVersion = Files.createDirectories(secret.resolve("..2024_01_01"));
    first.writePem(firstVersion.resolve("tls.crt"), firstVersion.resolve("tls.key"));
    Files.createSymbolicLink(secret.resolve("..data"), firstVersion.getFileName());
    Path cert = Files.createSymbolicLink(secret.resolve("tls.crt"), Path.of("..data", "tls.crt"));
    Path key = Files.createSymbolicLink(secret.resolve("tls.key"), Path.of("..data", "tls.key"));
    Tls tls = Tls.fromPem(cert, key, Duration.ofMillis(200));
    try (BridgeFixture bridge = new BridgeFixture(dir.resolve("bridge"), BridgeFixture.FAST, s -> s.withTls(tls))) {
      assertEquals(first.name(), presented(bridge));
      assertTrue(pollerRunning());

      Path secondVersion = Files.createDirectories(secret.resolve("..2024_03_01"));
      second.writePem(secondVersion.resolve("tls.crt"), secondVersion.resolve("tls.key"));
      Path swap = Files.createSymbolicLink(secret.resolve("..data_tmp"), secondVersion.getFileName());
      Files.move(swap, secret.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

      await().atMost(Duration.ofSeconds(20)).until(() -> presented(bridge).equals(second.name()));
    }
    assertFalse(pollerRunning(), "the poller stops when the server shuts down");
  }

  @Test
  void aMismatchedPairIsRefusedAtStartAndANearExpiryWarnedAbout() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    second.writeCertificate(cert);
    first.writePem(dir.resolve("unused.crt"), key);
    Exception e = assertThrows(Exception.class, () -> Tls.fromPem(cert, key, Duration.ZERO));
    assertTrue(e.getMessage().contains("the private key does not belong to the certificate subject=\"CN=second\""),
        e.getMessage());

    first.writePem(cert, key);
    try (Tls tls = Tls.fromPem(cert, key, Duration.ZERO)) {
      assertEquals(0, messages(Level.WARN).size(), "30 days left: " + messages(Level.WARN));
    }
    identity("short-lived", 2).writePem(cert, key);
    try (Tls tls = Tls.fromPem(cert, key, Duration.ZERO)) {
      assertEquals(1, warningsContaining("CN=short-lived"), messages(Level.WARN).toString());
      assertEquals(1, warningsContaining(" expires in "), messages(Level.WARN).toString());
    }
    assertThrows(IllegalArgumentException.class, () -> Tls.fromPem(cert, key, Duration.ofSeconds(-1)));
  }

  /** The certificate a new connection to the bridge is shown, by name. */
  private static String presented(BridgeFixture bridge) throws Exception {
    try (SSLSocket socket = handshake(bridge)) {
      return nameOf(presentedBy(socket));
    }
  }

  static String nameOf(X509Certificate certificate) {
    return certificate.getSubjectX500Principal().getName() + " serial " + certificate.getSerialNumber().toString(16);
  }

  /** A new connection with a full handshake: a fresh context has no session to resume. */
  private static SSLSocket handshake(BridgeFixture bridge) throws Exception {
    SSLContext client = SSLContext.getInstance("TLS");
    client.init(null, new TrustManager[] {TRUST_ALL}, null);
    SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", bridge.server.port());
    socket.setSoTimeout(10_000);
    socket.startHandshake();
    return socket;
  }

  private static X509Certificate presentedBy(SSLSocket socket) throws Exception {
    return (X509Certificate) socket.getSession().getPeerCertificates()[0];
  }

  /** GET /health on a kept-alive connection: its status, with the body read so the connection can go on. */
  private static int health(SSLSocket socket) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    String status = line(in);
    int length = 0;
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(header.substring("content-length:".length()).trim());
      }
    }
    assertEquals(length, in.readNBytes(length).length);
    return Integer.parseInt(status.split(" ")[1]);
  }

  /** One CRLF-ended line, read byte by byte so nothing past it is consumed. */
  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed after: " + line);
      }
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }

  private static boolean pollerRunning() {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(Tls.POLL_THREAD) && t.isAlive());
  }

  private List<String> messages(Level level) {
    List<String> out = new ArrayList<>();
    for (ILoggingEvent event : logs.list) {
      if (event.getLevel() == level) {
        out.add(event.getFormattedMessage());
      }
    }
    return out;
  }

  private long warningsContaining(String text) {
    return messages(Level.WARN).stream().filter(m -> m.contains(text)).count();
  }

  private static Logger tlsLogger() {
    return (Logger) LoggerFactory.getLogger(Tls.class);
  }

  private static Identity identity(String name, int validityDays) throws Exception {
    Path keystore = keys.resolve(name + ".p12");
    Files.deleteIfExists(keystore);
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "bridge", "-keyalg", "RSA",
        "-keysize", "2048", "-validity", Integer.toString(validityDays), "-dname", "CN=" + name,
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, "changeit".toCharArray());
    }
    return new Identity(keystore, (X509Certificate) store.getCertificate("bridge"),
        (PrivateKey) store.getKey("bridge", "changeit".toCharArray()));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  /** Trusts any server: these tests look at which certificate is presented, not at whether it is trusted. */
  private static final X509ExtendedTrustManager TRUST_ALL = new X509ExtendedTrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };
}
