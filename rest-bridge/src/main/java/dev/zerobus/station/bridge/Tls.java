package dev.zerobus.station.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** The listener's TLS context, from a PKCS#12/JKS keystore or from PEM files (certificate chain + PKCS#8 key). */
final class Tls {
  private Tls() {}

  static SSLContext fromKeystore(Path keystore, char[] password) throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(keystore.toString().endsWith(".jks") ? "JKS" : "PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, password);
    }
    return context(store, password);
  }

  static SSLContext fromPem(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
    Collection<? extends Certificate> chain;
    try (InputStream in = Files.newInputStream(certificateChain)) {
      chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
    if (chain.isEmpty()) {
      throw new GeneralSecurityException(certificateChain + " holds no certificate");
    }
    String pem = Files.readString(privateKey);
    if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
      throw new GeneralSecurityException(privateKey + " must be an unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----);"
          + " convert with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem");
    }
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").trim());
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
    store.load(null, null);
    char[] none = new char[0];
    store.setKeyEntry("bridge", key, none, chain.toArray(new Certificate[0]));
    return context(store, none);
  }

  private static SSLContext context(KeyStore store, char[] password) throws GeneralSecurityException {
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }
}
