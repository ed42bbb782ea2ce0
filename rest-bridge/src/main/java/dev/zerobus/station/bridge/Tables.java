package dev.zerobus.station.bridge;

import dev.zerobus.station.core.TableDefinition;
import dev.zerobus.station.core.TableRegistry;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import java.util.Deque;

/** The {table} of a request's path: 404 when it is not configured, 401/403 when the caller may not write it. */
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

  /** The table, or null after answering 404. */
  TableDefinition find(HttpServerExchange exchange) {
    Deque<String> param = exchange.getQueryParameters().get("table");
    String key = param == null ? "" : param.getFirst();
    TableDefinition table = registry.find(key).orElse(null);
    if (table == null) {
      // With auth on, the table list is not for callers who may not even have a token.
      Json.error(exchange, 404, "Table '" + Json.clip(key) + "' not found" + (auth == null
          ? " (configured: " + String.join(", ", registry.keys()) + ")" : ""));
      return null;
    }
    exchange.putAttachment(TABLE, key);
    return table;
  }

  /** The table if the caller may write it, or null after answering 404, 401 or 403. */
  TableDefinition authorized(HttpServerExchange exchange) {
    TableDefinition table = find(exchange);
    if (table == null || auth == null) {
      return table;
    }
    switch (auth.check(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION), table.key())) {
      case ALLOWED:
        return table;
      case FORBIDDEN:
        Json.error(exchange, 403, "This token may not write to table " + table.key());
        return null;
      default:
        exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"zerobus-station\"");
        Json.error(exchange, 401, "Missing or unknown bearer token (send Authorization: Bearer <token>)");
        return null;
    }
  }
}
