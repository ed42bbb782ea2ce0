package dev.zerobus.station.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Optional bearer tokens, each allowed a set of tables ({@code *}: all). Only SHA-256 digests of
 * the tokens are kept, and no token is ever logged.
 */
final class BearerAuth {
  /** The outcome of a check: allowed, no/unknown token (401), or a token without this table (403). */
  enum Decision { ALLOWED, UNAUTHENTICATED, FORBIDDEN }

  private final Map<String, Set<String>> tablesByDigest;

  private BearerAuth(Map<String, Set<String>> tablesByDigest) {
    this.tablesByDigest = Map.copyOf(tablesByDigest);
  }

  /** From {@code token=table1,table2;other=*} (the ZEROBUS_BRIDGE_TOKENS form). */
  static BearerAuth parse(String spec) {
    Map<String, Set<String>> out = new HashMap<>();
    for (String entry : spec.split(";")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw new IllegalArgumentException("bearer tokens: expected token=table1,table2 (or token=*), entry "
            + (out.size() + 1) + " is not");
      }
      out.put(digest(entry.substring(0, eq).trim()), Set.of(entry.substring(eq + 1).trim().split("\\s*,\\s*")));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("bearer tokens: none given");
    }
    return new BearerAuth(out);
  }

  /** From {@code {"tokens": [{"name": "...", "token": "...", "tables": ["station_one"]}]}}. */
  static BearerAuth load(Path file) throws IOException {
    JsonNode root = Json.MAPPER.readTree(file.toFile());
    Map<String, Set<String>> out = new HashMap<>();
    JsonNode tokens = root.path("tokens");
    for (int i = 0; i < tokens.size(); i++) {
      JsonNode t = tokens.get(i);
      String token = t.path("token").asText("");
      if (token.isEmpty() || !t.path("tables").isArray()) {
        throw new IllegalArgumentException(file + ": tokens[" + i + "] needs \"token\" and a \"tables\" list");
      }
      Set<String> tables = new java.util.HashSet<>();
      t.path("tables").forEach(n -> tables.add(n.asText()));
      out.put(digest(token), tables);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(file + ": no tokens");
    }
    return new BearerAuth(out);
  }

  int size() {
    return tablesByDigest.size();
  }

  Decision check(String authorization, String table) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Decision.UNAUTHENTICATED;
    }
    Set<String> tables = tablesByDigest.get(digest(authorization.substring(7).trim()));
    if (tables == null) {
      return Decision.UNAUTHENTICATED;
    }
    return tables.contains("*") || tables.contains(table) ? Decision.ALLOWED : Decision.FORBIDDEN;
  }

  private static String digest(String token) {
    try {
      return Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
