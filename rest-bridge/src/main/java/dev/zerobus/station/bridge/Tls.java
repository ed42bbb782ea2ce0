package dev.zerobus.station.bridge;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyManagementException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's TLS, from a PKCS#12/JKS keystore or from PEM files (certificate chain + PKCS#8
 * key), with a certificate that follows its files: the SSLContext is built once over a
 * {@link SwappableKeyManager}, and every reload interval the files are read again. When their
 * content changed, and the new material loads and its certificate belongs to its key, new
 * handshakes get it; open connections keep theirs. Material that does not load or match (a
 * rotation caught between writing the certificate and the key) is not used: the old certificate
 * stays, one WARN says why, and the next poll tries again.
 *
 * <p>Polling the content rather than a WatchService: Kubernetes updates a mounted secret by
 * swapping a symlink, which watches on the files miss, and comparing the bytes (not the
 * modification time and size) cannot miss a same-size rewrite within the file system's timestamp
 * granularity; reading a few KB once a minute costs nothing.
 */
final class Tls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Tls.class);
  /** Certificates expiring sooner than this are warned about, at start and at each reload. */
  static final Duration EXPIRY_WARNING = Duration.ofDays(14);
  static final String POLL_THREAD = "zerobus-station-tls-reload";
  private static final byte[] KEY_CHECK = "zerobus-station: does this key belong to this certificate".getBytes(
      StandardCharsets.US_ASCII);

  /** What a reload did. */
  enum Reload {
    /** The files hold what is served, or what was refused already. */
    UNCHANGED,
    /** New handshakes get the new certificate. */
    RELOADED,
    /** The files changed but could not be read or used; the old certificate is still served. */
    REFUSED
  }

  @FunctionalInterface
  private interface Loader {
    /** @param contents the files' bytes, in the order of {@link #files} */
    Material load(List<byte[]> contents) throws IOException, GeneralSecurityException;
  }

  /** @param certificates the leaf certificate of each private key */
  private record Material(X509ExtendedKeyManager keys, List<X509Certificate> certificates) {}

  private final List<Path> files;
  private final Loader loader;
  private final Duration reloadEvery;
  private final SwappableKeyManager keys;
  private final SSLContext context;
  private final ScheduledExecutorService poller;
  // Guarded by this: what the files held when they were last served, refused, or unreadable.
  private List<X509Certificate> served;
  private byte[] servedFingerprint;
  private byte[] refusedFingerprint;
  private String readFailure;

  private Tls(List<Path> files, Loader loader, Duration reloadEvery) throws IOException, GeneralSecurityException {
    if (reloadEvery.isNegative()) {
      throw new IllegalArgumentException("--tls-reload-seconds must be 0 (never) or more, got " + reloadEvery.toSeconds());
    }
    this.files = files;
    this.loader = loader;
    this.reloadEvery = reloadEvery;
    List<byte[]> contents = read();
    Material first = loader.load(contents);
    this.keys = new SwappableKeyManager(first.keys());
    this.context = SSLContext.getInstance("TLS");
    context.init(new KeyManager[] {keys}, null, null);
    served = first.certificates();
    servedFingerprint = fingerprint(contents);
    log.info("TLS: serving {} from {} ({})", describe(served), fileNames(),
        reloadEvery.isZero() ? "not reloaded: --tls-reload-seconds is 0" : "checked every " + interval());
    warnIfExpiring(served);
    if (reloadEvery.isZero()) {
      poller = null;
    } else {
      poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, POLL_THREAD);
        t.setDaemon(true);
        return t;
      });
      long millis = reloadEvery.toMillis();
      poller.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
    }
  }

  /** @param reloadEvery how often the keystore is checked for a new certificate; zero: never */
  static Tls fromKeystore(Path keystore, char[] password, Duration reloadEvery)
      throws IOException, GeneralSecurityException {
    String type = keystore.toString().endsWith(".jks") ? "JKS" : "PKCS12";
    char[] kept = password.clone();
    return new Tls(List.of(keystore), contents -> {
      KeyStore store = KeyStore.getInstance(type);
      store.load(new ByteArrayInputStream(contents.get(0)), kept);
      return material(store, kept, keystore.toString());
    }, reloadEvery);
  }

  /** @param reloadEvery how often the two files are checked for a new certificate; zero: never */
  static Tls fromPem(Path certificateChain, Path privateKey, Duration reloadEvery)
      throws IOException, GeneralSecurityException {
    return new Tls(List.of(certificateChain, privateKey),
        contents -> pemMaterial(certificateChain, contents.get(0), privateKey, contents.get(1)), reloadEvery);
  }

  /** The context the listener is built with; its certificate changes with the files. */
  SSLContext context() {
    return context;
  }

  /**
   * Reads the files and, when they hold new material that loads and matches, serves it to new
   * handshakes. The poller calls this every reload interval; tests call it to reload at once.
   */
  synchronized Reload reloadNow() {
    List<byte[]> contents;
    try {
      contents = read();
    } catch (IOException e) {
      String failure = e.getClass().getSimpleName() + ": " + reason(e); // NoSuchFileException's message is the path
      if (!failure.equals(readFailure)) {
        log.warn("TLS: cannot read {}, still serving {}: {}; {}", fileNames(), describe(served), failure, retry());
        readFailure = failure;
      }
      return Reload.REFUSED;
    }
    readFailure = null;
    byte[] fingerprint = fingerprint(contents);
    if (Arrays.equals(fingerprint, servedFingerprint)) {
      return Reload.UNCHANGED;
    }
    if (Arrays.equals(fingerprint, refusedFingerprint)) {
      return Reload.UNCHANGED; // warned about when it was first seen
    }
    Material next;
    try {
      next = loader.load(contents);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      refusedFingerprint = fingerprint;
      log.warn("TLS: {} changed but cannot be used, still serving {}: {}; {}", fileNames(), describe(served),
          reason(e), retry());
      return Reload.REFUSED;
    }
    keys.swap(next.keys());
    served = next.certificates();
    servedFingerprint = fingerprint;
    refusedFingerprint = null;
    log.info("TLS: {} changed; new connections get {}", fileNames(), describe(served));
    warnIfExpiring(served);
    return Reload.RELOADED;
  }

  /** Stops the polling; the context keeps serving what it has. */
  @Override
  public void close() {
    if (poller == null) {
      return;
    }
    // Not shutdownNow: interrupting a read would log a spurious failure. A periodic task is cancelled by shutdown.
    poller.shutdown();
    try {
      poller.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void poll() {
    try {
      reloadNow();
    } catch (RuntimeException e) {
      // An exception would end the periodic task: log it and keep polling.
      log.warn("TLS: checking {} failed: {}", fileNames(), reason(e));
    }
  }

  private List<byte[]> read() throws IOException {
    List<byte[]> contents = new ArrayList<>(files.size());
    for (Path file : files) {
      contents.add(Files.readAllBytes(file)); // follows symlinks, as a Kubernetes secret mount needs
    }
    return contents;
  }

  private static byte[] fingerprint(List<byte[]> contents) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      for (byte[] content : contents) {
        sha256.update(Long.toString(content.length).getBytes(StandardCharsets.US_ASCII));
        sha256.update((byte) ':');
        sha256.update(content);
      }
      return sha256.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static Material pemMaterial(Path certificateChain, byte[] chainPem, Path privateKey, byte[] keyPem)
      throws GeneralSecurityException {
    Collection<? extends Certificate> chain = CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(chainPem));
    if (chain.isEmpty()) {
      throw new GeneralSecurityException(certificateChain + " holds no certificate");
    }
    String pem = new String(keyPem, StandardCharsets.US_ASCII);
    if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
      throw new GeneralSecurityException(privateKey + " must be an unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----);"
          + " convert with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").trim());
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException(privateKey + " is not valid PEM: " + e.getMessage());
    }
    PrivateKey key = null;
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        break;
      } catch (GeneralSecurityException wrongAlgorithm) {
        // try the next one
      }
    }
    if (key == null) {
      throw new GeneralSecurityException(privateKey + ": not an RSA, EC or Ed25519 PKCS#8 key");
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException("an empty PKCS#12 store", e);
    }
    char[] none = new char[0];
    store.setKeyEntry("bridge", key, none, chain.toArray(new Certificate[0]));
    return material(store, none, certificateChain + " and " + privateKey);
  }

  private static Material material(KeyStore store, char[] password, String source) throws GeneralSecurityException {
    List<X509Certificate> leaves = new ArrayList<>();
    for (String alias : Collections.list(store.aliases())) {
      Certificate[] chain = store.isKeyEntry(alias) ? store.getCertificateChain(alias) : null;
      if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
        continue;
      }
      Key key = store.getKey(alias, password);
      if (key instanceof PrivateKey privateKey) {
        requireMatch(leaf, privateKey, source);
        leaves.add(leaf);
      }
    }
    if (leaves.isEmpty()) {
      throw new GeneralSecurityException(source + " holds no private key with its certificate");
    }
    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, password);
    for (KeyManager manager : factory.getKeyManagers()) {
      if (manager instanceof X509ExtendedKeyManager x509) {
        return new Material(x509, List.copyOf(leaves));
      }
    }
    throw new KeyManagementException("the JDK's key manager factory made no X.509 key manager");
  }

  /**
   * A certificate with a key it does not belong to fails every handshake: refused here instead, by
   * signing with the key and verifying with the certificate's public key.
   */
  private static void requireMatch(X509Certificate certificate, PrivateKey key, String source)
      throws GeneralSecurityException {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "DSA" -> "SHA256withDSA";
      case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
      default -> null; // RSASSA-PSS and rarer kinds need parameters; their handshakes are the check
    };
    if (algorithm == null) {
      return;
    }
    boolean matches;
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(KEY_CHECK);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(KEY_CHECK);
      matches = verifier.verify(signature);
    } catch (InvalidKeyException | SignatureException otherKind) {
      matches = false;
    }
    if (!matches) {
      throw new GeneralSecurityException(source + ": the private key does not belong to the certificate "
          + describe(certificate));
    }
  }

  private static void warnIfExpiring(List<X509Certificate> certificates) {
    Instant now = Instant.now();
    for (X509Certificate certificate : certificates) {
      Instant notAfter = certificate.getNotAfter().toInstant();
      if (notAfter.isBefore(now)) {
        log.warn("TLS: the certificate {} expired at {}: clients will refuse it", describe(certificate), notAfter);
      } else if (notAfter.isBefore(now.plus(EXPIRY_WARNING))) {
        log.warn("TLS: the certificate {} expires in {} h, at {}: replace its files", describe(certificate),
            Duration.between(now, notAfter).toHours(), notAfter);
      }
    }
  }

  /** Public facts only: never key material. */
  static String describe(X509Certificate certificate) {
    return "subject=\"" + certificate.getSubjectX500Principal().getName() + "\" serial="
        + certificate.getSerialNumber().toString(16) + " notAfter=" + certificate.getNotAfter().toInstant();
  }

  private static String describe(List<X509Certificate> certificates) {
    return certificates.stream().map(Tls::describe).collect(Collectors.joining(", "));
  }

  private String fileNames() {
    return files.stream().map(Path::toString).collect(Collectors.joining(" and "));
  }

  private String retry() {
    return reloadEvery.isZero() ? "not checked again (--tls-reload-seconds is 0)"
        : "checked again every " + interval();
  }

  private String interval() {
    return reloadEvery.toMillis() % 1000 == 0 ? reloadEvery.toSeconds() + " s" : reloadEvery.toMillis() + " ms";
  }

  private static String reason(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
