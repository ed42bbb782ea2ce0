package dev.zerobus.station.emulator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Issues OAuth access tokens for the configured client credentials, as the workspace's
 * {@code /oidc/v1/token} endpoint does, and checks them on gRPC calls. A token is scoped to the
 * table its request named in authorization_details, as Unity Catalog scopes real ones.
 */
final class TokenIssuer {
  private final String clientId;
  private final String clientSecret;
  private final Duration ttl;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Grant> grants = new ConcurrentHashMap<>();

  /** What a token allows: writing to {@code table} (any table when null) until {@code expires}. */
  record Grant(String table, Instant expires) {}

  TokenIssuer(String clientId, String clientSecret, Duration ttl, Clock clock) {
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.ttl = ttl;
    this.clock = clock;
  }

  String clientId() {
    return clientId;
  }

  Duration ttl() {
    return ttl;
  }

  /** Constant-time comparison, so a wrong secret takes as long to refuse as a nearly right one. */
  boolean accepts(String id, String secret) {
    return MessageDigest.isEqual(bytes(id), bytes(clientId))
        & MessageDigest.isEqual(bytes(secret), bytes(clientSecret));
  }

  String issue(String table) {
    Instant now = clock.instant();
    grants.values().removeIf(g -> g.expires().isBefore(now));
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    String token = "emu-" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    grants.put(token, new Grant(table == null ? null : TableCatalog.normalize(table), now.plus(ttl)));
    return token;
  }

  /** The grant behind a token, or null when the token is unknown or expired. */
  Grant check(String token) {
    Grant grant = token == null ? null : grants.get(token);
    if (grant == null || grant.expires().isBefore(clock.instant())) {
      return null;
    }
    return grant;
  }

  private static byte[] bytes(String s) {
    return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
  }
}
