package dev.zerobus.station.bridge;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.util.List;

/**
 * CORS for browser clients from the configured origins ({@code *}: any): preflights are answered
 * here, other requests get the Access-Control headers. Without configured origins it is not in
 * the chain at all, so browsers keep their same-origin rule.
 */
final class Cors implements HttpHandler {
  private static final HttpString ORIGIN = HttpString.tryFromString("Origin");
  private static final HttpString REQUEST_METHOD = HttpString.tryFromString("Access-Control-Request-Method");
  private static final HttpString ALLOW_ORIGIN = HttpString.tryFromString("Access-Control-Allow-Origin");
  private static final HttpString ALLOW_METHODS = HttpString.tryFromString("Access-Control-Allow-Methods");
  private static final HttpString ALLOW_HEADERS = HttpString.tryFromString("Access-Control-Allow-Headers");
  private static final HttpString EXPOSE_HEADERS = HttpString.tryFromString("Access-Control-Expose-Headers");
  private static final HttpString MAX_AGE = HttpString.tryFromString("Access-Control-Max-Age");
  private static final HttpString VARY = HttpString.tryFromString("Vary");
  static final String METHODS = "GET, HEAD, POST, OPTIONS";
  static final String HEADERS = "Authorization, Content-Type, Content-Encoding, X-Request-Id, Idempotency-Key";

  private final HttpHandler next;
  private final List<String> origins;

  Cors(HttpHandler next, List<String> origins) {
    this.next = next;
    this.origins = List.copyOf(origins);
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    String origin = exchange.getRequestHeaders().getFirst(ORIGIN);
    if (origin == null) {
      next.handleRequest(exchange);
      return;
    }
    boolean allowed = origins.contains("*") || origins.contains(origin);
    boolean preflight = exchange.getRequestMethod().equals(Methods.OPTIONS)
        && exchange.getRequestHeaders().contains(REQUEST_METHOD);
    HeaderMap out = exchange.getResponseHeaders();
    out.add(VARY, "Origin");
    if (!allowed) {
      if (preflight) {
        Json.error(exchange, 403, "Origin " + Json.clip(origin) + " may not call this bridge (allowed origins are"
            + " set with --cors-origins)");
      } else {
        next.handleRequest(exchange);
      }
      return;
    }
    out.put(ALLOW_ORIGIN, origins.contains("*") ? "*" : origin);
    if (preflight) {
      out.put(ALLOW_METHODS, METHODS);
      out.put(ALLOW_HEADERS, HEADERS);
      out.put(MAX_AGE, "600");
      exchange.setStatusCode(204);
      exchange.endExchange();
      return;
    }
    out.put(EXPOSE_HEADERS, "X-Request-Id, Retry-After, WWW-Authenticate");
    next.handleRequest(exchange);
  }
}
