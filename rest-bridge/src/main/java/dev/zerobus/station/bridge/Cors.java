package dev.zerobus.station.bridge;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.util.List;

/**
 * What browsers may do. A request whose {@code Origin} is neither the bridge's own nor one of the
 * configured origins ({@code *}: any) gets 403 before anything else happens: browsers send
 * {@code Origin} on cross-site POSTs, so a web page cannot write rows through a bridge it can
 * reach (CORS alone would not stop that: it only hides the answer). Allowed origins get the CORS
 * headers and their preflights answered. A bridge listening on loopback also refuses a
 * {@code Host} that is not a loopback name, so a page on a rebinding DNS name cannot reach it as
 * its own origin.
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
  private final boolean loopbackOnly;

  /** @param loopbackOnly the bridge listens on a loopback address only */
  Cors(HttpHandler next, List<String> origins, boolean loopbackOnly) {
    this.next = next;
    this.origins = List.copyOf(origins);
    this.loopbackOnly = loopbackOnly;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    String host = exchange.getRequestHeaders().getFirst(Headers.HOST);
    if (loopbackOnly && host != null && !loopbackName(host)) {
      Json.error(exchange, 403, "Host " + Json.clip(host) + " is not this bridge's: it listens on loopback only,"
          + " so it answers to localhost, 127.0.0.1 and [::1]");
      return;
    }
    String origin = exchange.getRequestHeaders().getFirst(ORIGIN);
    if (origin == null) {
      next.handleRequest(exchange);
      return;
    }
    boolean listed = origins.contains("*") || origins.contains(origin);
    HeaderMap out = exchange.getResponseHeaders();
    if (!origins.isEmpty()) {
      out.add(VARY, "Origin");
    }
    if (!listed && !sameOrigin(exchange, origin, host)) {
      Json.error(exchange, 403, "Origin " + Json.clip(origin) + " may not call this bridge (allowed origins are"
          + " set with --cors-origins); nothing was done");
      return;
    }
    if (!listed) {
      next.handleRequest(exchange); // the bridge's own pages (/docs): no CORS headers needed
      return;
    }
    out.put(ALLOW_ORIGIN, origins.contains("*") ? "*" : origin);
    if (exchange.getRequestMethod().equals(Methods.OPTIONS) && exchange.getRequestHeaders().contains(REQUEST_METHOD)) {
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

  /** The page calling is served by this bridge: the Origin is the request's own scheme and Host. */
  private static boolean sameOrigin(HttpServerExchange exchange, String origin, String host) {
    return host != null && origin.equalsIgnoreCase(exchange.getRequestScheme() + "://" + host);
  }

  /** localhost, *.localhost, 127.x.x.x or [::1], with or without a port; no allocation on the common names. */
  static boolean loopbackName(String hostHeader) {
    String h = hostHeader.trim();
    if (h.startsWith("[")) {
      return h.startsWith("[::1]") && (h.length() == 5 || h.charAt(5) == ':');
    }
    int colon = h.indexOf(':');
    int end = colon < 0 ? h.length() : colon;
    if (h.regionMatches(true, 0, "localhost", 0, end) && end == 9
        || end > 10 && h.regionMatches(true, end - 10, ".localhost", 0, 10)) {
      return true;
    }
    return ipv4Loopback(h, end);
  }

  /** 127.d.d.d with each part 1 to 3 digits. */
  private static boolean ipv4Loopback(String h, int end) {
    if (end < 9 || !h.startsWith("127.")) {
      return false;
    }
    int parts = 2; // "127." and the one being read
    int digits = 0;
    for (int i = 4; i < end; i++) {
      char c = h.charAt(i);
      if (c == '.') {
        if (digits == 0) {
          return false;
        }
        parts++;
        digits = 0;
      } else if (c >= '0' && c <= '9' && ++digits <= 3) {
        continue;
      } else {
        return false;
      }
    }
    return parts == 4 && digits > 0;
  }
}
