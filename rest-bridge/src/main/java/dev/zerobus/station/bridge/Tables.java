package dev.zerobus.station.bridge;

import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The {table} of a request: named by the path and nothing else, so a proxy or audit rule that
 * allows by path sees the table the bridge writes. With tokens, the caller is checked before the
 * table is looked up, so an unknown caller learns nothing about which tables exist.
 */
final class Tables {
  /** The table a request concerns, for the request metrics. */
  static final AttachmentKey<String> TABLE = AttachmentKey.create(String.class);

  private final TableRegistry registry;
  private final BearerAuth auth;

  Tables(TableRegistry registry, BearerAuth auth) {
    this.registry = registry;
    this.auth = auth;
  }

  TableRegistry registry() {
    return registry;
  }

  /** The table of a /ingest/{table}, /flush/{table} or /health/{table} path, if the caller may use it; else null after answering 400, 401, 403 or 404. */
  TableDefinition authorized(HttpServerExchange exchange) {
    String key = lastSegment(exchange.getRequestPath());
    if (namesTableInQuery(exchange.getQueryString())) {
      Json.error(exchange, 400, "Validation error: the table is named by the path only (/" + Json.clip(key)
          + "); remove the table query parameter");
      return null;
    }
    if (auth != null && !allowed(exchange, key)) {
      return null;
    }
    TableDefinition table = registry.find(key).orElse(null);
    if (table == null) {
      // With auth on, the table list is not for callers: a valid token names the tables it may use.
      Json.error(exchange, 404, "Table '" + Json.clip(key) + "' not found" + (auth == null
          ? " (configured: " + String.join(", ", registry.keys()) + ")" : ""));
      return null;
    }
    exchange.putAttachment(TABLE, key);
    return table;
  }

  /** Whether the caller may read the bridge's status (any valid token, or no auth); else false after answering 401. */
  boolean mayReadStatus(HttpServerExchange exchange) {
    if (auth == null || auth.authenticated(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION))) {
      return true;
    }
    unauthenticated(exchange);
    return false;
  }

  /** Whether the caller presents a valid token (or auth is off), without answering. */
  boolean authenticated(HttpServerExchange exchange) {
    return auth == null || auth.authenticated(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION));
  }

  private boolean allowed(HttpServerExchange exchange, String key) {
    switch (auth.check(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION), key)) {
      case ALLOWED:
        return true;
      case FORBIDDEN:
        Json.error(exchange, 403, "This token may not use table " + Json.clip(key));
        return false;
      default:
        unauthenticated(exchange);
        return false;
    }
  }

  private static void unauthenticated(HttpServerExchange exchange) {
    exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"zerobus-station\"");
    Json.error(exchange, 401, "Missing or unknown bearer token (send Authorization: Bearer <token>)");
  }

  /** The routes' {table} is their last path segment (Undertow has decoded it). */
  static String lastSegment(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** Whether the raw query string has a parameter named table, however it is encoded. */
  static boolean namesTableInQuery(String query) {
    if (query == null || query.isEmpty()) {
      return false;
    }
    int start = 0;
    while (start <= query.length()) {
      int amp = query.indexOf('&', start);
      int end = amp < 0 ? query.length() : amp;
      int eq = query.indexOf('=', start);
      int nameEnd = eq < 0 || eq > end ? end : eq;
      if (isTable(query, start, nameEnd)) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** The name is "table" in any case; one with escapes (%74able, +table) is decoded first. */
  private static boolean isTable(String query, int from, int to) {
    boolean escaped = false;
    for (int i = from; i < to; i++) {
      char c = query.charAt(i);
      escaped |= c == '%' || c == '+';
    }
    String name = query.substring(from, to);
    if (escaped) {
      try {
        name = URLDecoder.decode(name, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException malformed) {
        // compared as it came
      }
    }
    return name.trim().equalsIgnoreCase("table");
  }
}
