package dev.zerobus.station.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Optional bearer tokens, each allowed a set of tables ({@code *}: all). Only SHA-256 digests of
 * the tokens are kept, and no token is ever logged. Tokens follow RFC 6750's syntax (letters,
 * digits, {@code -._~+/}, then {@code =} padding), so a base64 token from {@code openssl rand
 * -base64 32} is taken whole, and any other character is refused at start rather than split on.
 */
final class BearerAuth {
  /** The outcome of a check: allowed, no/unknown token (401), or a token without this table (403). */
  enum Decision { ALLOWED, UNAUTHENTICATED, FORBIDDEN }

  /** RFC 6750's b64token. */
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");
  /** Shorter tokens can be guessed; 16 characters of base64 are 96 bits. */
  static final int MIN_TOKEN_LENGTH = 16;
  private static final String HOW_TO_MAKE = "make one with: openssl rand -base64 32";

  private final Map<String, Set<String>> tablesByDigest;

  private BearerAuth(Map<String, Set<String>> tablesByDigest) {
    this.tablesByDigest = Map.copyOf(tablesByDigest);
  }

  /**
   * From {@code token=table1,table2;other=*} (the ZEROBUS_BRIDGE_TOKENS form): entries split at
   * {@code ;}, each at its last {@code =} that is followed by a table list, so a token's own
   * {@code =} padding stays in the token.
   */
  static BearerAuth parse(String spec) {
    Tokens tokens = new Tokens("ZEROBUS_BRIDGE_TOKENS");
    int entry = 0;
    for (String part : spec.split(";")) {
      if (part.isBlank()) {
        continue;
      }
      entry++;
      String trimmed = part.trim();
      int eq = trimmed.lastIndexOf('=');
      if (eq <= 0 || eq == trimmed.length() - 1) {
        throw new IllegalArgumentException("ZEROBUS_BRIDGE_TOKENS: entry " + entry
            + " is not token=table1,table2 (or token=*)");
      }
      tokens.add("entry " + entry, trimmed.substring(0, eq).trim(), List.of(trimmed.substring(eq + 1).split(",")));
    }
    return tokens.build();
  }

  /**
   * From a file: JSON {@code {"tokens": [{"name": "...", "token": "...", "tables": ["station_one"]}]}},
   * or text with one {@code <token> <table>[,<table>...]} per line ({@code *}: all tables; {@code #}
   * starts a comment).
   */
  static BearerAuth load(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    Tokens tokens = new Tokens(file.toString());
    if (text.stripLeading().startsWith("{")) {
      JsonNode tokensNode = Json.MAPPER.readTree(text).path("tokens");
      for (int i = 0; i < tokensNode.size(); i++) {
        JsonNode t = tokensNode.get(i);
        if (!t.path("token").isTextual() || !t.path("tables").isArray()) {
          throw new IllegalArgumentException(file + ": tokens[" + i + "] needs \"token\" and a \"tables\" list");
        }
        List<String> tables = new ArrayList<>();
        t.path("tables").forEach(n -> tables.add(n.asText()));
        String name = t.path("name").isTextual() ? "tokens[" + i + "] (" + t.path("name").asText() + ")" : "tokens[" + i + "]";
        tokens.add(name, t.path("token").asText(), tables);
      }
    } else {
      String[] lines = text.split("\r?\n");
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i].replaceFirst("#.*", "").trim();
        if (line.isEmpty()) {
          continue;
        }
        String[] fields = line.split("\\s+");
        if (fields.length != 2) {
          throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected <token> <table>[,<table>...]");
        }
        tokens.add("line " + (i + 1), fields[0], List.of(fields[1].split(",")));
      }
    }
    return tokens.build();
  }

  /** @throws IllegalArgumentException naming a token entry that names a table the bridge does not have */
  BearerAuth requireTables(Collection<String> configured) {
    Set<String> unknown = new TreeSet<>();
    tablesByDigest.values().forEach(tables -> tables.stream()
        .filter(t -> !t.equals("*") && !configured.contains(t)).forEach(unknown::add));
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("bearer tokens name tables the config does not have: " + unknown
          + " (tables: " + String.join(", ", configured) + ")");
    }
    return this;
  }

  int size() {
    return tablesByDigest.size();
  }

  Decision check(String authorization, String table) {
    Set<String> tables = tables(authorization);
    if (tables == null) {
      return Decision.UNAUTHENTICATED;
    }
    return tables.contains("*") || tables.contains(table) ? Decision.ALLOWED : Decision.FORBIDDEN;
  }

  /** Whether the header carries a known token, whatever its tables. */
  boolean authenticated(String authorization) {
    return tables(authorization) != null;
  }

  private Set<String> tables(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return tablesByDigest.get(digest(authorization.substring(7).trim()));
  }

  private static String digest(String token) {
    try {
      return Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Token entries being read: each checked, none twice. Messages name the entry, never the token. */
  private static final class Tokens {
    private final String source;
    private final Map<String, Set<String>> byDigest = new LinkedHashMap<>();
    private final Map<String, String> entryByDigest = new LinkedHashMap<>();

    Tokens(String source) {
      this.source = source;
    }

    void add(String entry, String token, List<String> tableList) {
      if (!TOKEN.matcher(token).matches()) {
        throw new IllegalArgumentException(source + ": the token of " + entry + " has characters a bearer token"
            + " cannot carry (letters, digits, - . _ ~ + / and trailing = only); " + HOW_TO_MAKE);
      }
      if (token.length() < MIN_TOKEN_LENGTH) {
        throw new IllegalArgumentException(source + ": the token of " + entry + " is " + token.length()
            + " characters, at least " + MIN_TOKEN_LENGTH + " are needed; " + HOW_TO_MAKE);
      }
      Set<String> tables = new LinkedHashSet<>();
      for (String t : tableList) {
        if (!t.isBlank()) {
          tables.add(t.trim());
        }
      }
      if (tables.isEmpty()) {
        throw new IllegalArgumentException(source + ": " + entry + " names no table (use * for all)");
      }
      String digest = digest(token);
      String earlier = entryByDigest.putIfAbsent(digest, entry);
      if (earlier != null) {
        throw new IllegalArgumentException(source + ": " + entry + " repeats the token of " + earlier
            + "; give each token once, with all its tables");
      }
      byDigest.put(digest, tables);
    }

    BearerAuth build() {
      if (byDigest.isEmpty()) {
        throw new IllegalArgumentException(source + ": no tokens");
      }
      return new BearerAuth(byDigest);
    }
  }
}
