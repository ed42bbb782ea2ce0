package dev.zerobus.station.bridge;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager whose keys can be replaced while the SSLContext holding it serves, so a
 * rotated certificate needs no new listener. A handshake asks for an alias, then for that alias's
 * certificate chain and private key: the aliases handed out carry the generation they came from,
 * so a handshake that straddles a swap gets the chain and the key of one generation, never the
 * certificate of one and the key of the other.
 */
final class SwappableKeyManager extends X509ExtendedKeyManager {
  /** The generation before is kept for handshakes begun just before a swap; swaps come a poll interval apart. */
  private record Generation(long number, X509ExtendedKeyManager keys, Generation previous) {}

  private final AtomicReference<Generation> current;

  SwappableKeyManager(X509ExtendedKeyManager first) {
    current = new AtomicReference<>(new Generation(0, first, null));
  }

  /** New handshakes use these keys; handshakes under way finish with the ones they started with. */
  void swap(X509ExtendedKeyManager next) {
    current.updateAndGet(g -> new Generation(g.number() + 1, next, new Generation(g.number(), g.keys(), null)));
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    Generation g = current.get();
    return tagged(g, g.keys().chooseServerAlias(keyType, issuers, socket));
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    Generation g = current.get();
    return tagged(g, g.keys().chooseEngineServerAlias(keyType, issuers, engine));
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    Generation g = current.get();
    String[] aliases = g.keys().getServerAliases(keyType, issuers);
    return aliases == null ? null : Arrays.stream(aliases).map(alias -> tagged(g, alias)).toArray(String[]::new);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Generation g = generationOf(alias);
    return g == null ? null : g.keys().getCertificateChain(untagged(alias));
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Generation g = generationOf(alias);
    return g == null ? null : g.keys().getPrivateKey(untagged(alias));
  }

  // The bridge is only ever the server: it presents no client certificate.

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }

  private static String tagged(Generation g, String alias) {
    return alias == null ? null : g.number() + "." + alias;
  }

  private static String untagged(String alias) {
    return alias.substring(alias.indexOf('.') + 1);
  }

  private Generation generationOf(String alias) {
    if (alias == null || alias.indexOf('.') < 0) {
      return null;
    }
    long number;
    try {
      number = Long.parseLong(alias.substring(0, alias.indexOf('.')));
    } catch (NumberFormatException notOurs) {
      return null;
    }
    Generation g = current.get();
    if (g.number() == number) {
      return g;
    }
    return g.previous() != null && g.previous().number() == number ? g.previous() : null;
  }
}
