package dev.zerobus.station.bridge;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import io.undertow.util.StatusCodes;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.MDC;

/**
 * What every request passes before its route: a request id, the in-flight count and the request
 * metrics, the shutdown 503, the header-size 431 and exact paths. It keeps the requests in flight
 * so that shutdown can wait for them, and answer those still waiting, before the listener closes.
 */
final class Edge implements HttpHandler {
  static final HttpString REQUEST_ID_HEADER = HttpString.tryFromString("X-Request-Id");
  /** The request's id: the caller's X-Request-Id when it is a sane token, else a new UUID. */
  static final AttachmentKey<String> REQUEST_ID = AttachmentKey.create(String.class);
  /** The route's name for the metrics; "unknown" when none matched. */
  static final AttachmentKey<String> ENDPOINT = AttachmentKey.create(String.class);
  private static final int MAX_REQUEST_ID_LENGTH = 128;

  private final HttpHandler next;
  private final BridgeMetrics metrics;
  private final int maxHeaderBytes;
  private final Listener listener;
  private final Set<HttpServerExchange> inFlight = ConcurrentHashMap.newKeySet();
  /** The bridge's one shutting-down flag. */
  private final java.util.concurrent.atomic.AtomicBoolean shuttingDown = new java.util.concurrent.atomic.AtomicBoolean();

  Edge(HttpHandler next, BridgeMetrics metrics, int maxHeaderBytes, Listener listener) {
    this.next = next;
    this.metrics = metrics;
    this.maxHeaderBytes = maxHeaderBytes;
    this.listener = listener;
  }

  /** Wraps a route so the metrics know its name. */
  static HttpHandler named(String endpoint, HttpHandler handler) {
    return exchange -> {
      exchange.putAttachment(ENDPOINT, endpoint);
      handler.handleRequest(exchange);
    };
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    String id = requestId(exchange.getRequestHeaders().getFirst(REQUEST_ID_HEADER));
    exchange.putAttachment(REQUEST_ID, id);
    exchange.getResponseHeaders().put(REQUEST_ID_HEADER, id);
    Json.track(exchange);
    long started = System.nanoTime();
    listener.track(exchange);
    inFlight.add(exchange);
    metrics.httpInFlight.inc();
    exchange.addExchangeCompleteListener((ex, nextListener) -> {
      String endpoint = ex.getAttachment(ENDPOINT);
      String table = ex.getAttachment(Tables.TABLE);
      BridgeMetrics.RouteSeries series = metrics.route(endpoint == null ? "unknown" : endpoint,
          table == null ? "" : table, ex.getStatusCode());
      series.requests().inc();
      series.seconds().observe((System.nanoTime() - started) / 1e9);
      metrics.httpInFlight.dec();
      if (inFlight.remove(ex) && inFlight.isEmpty()) {
        synchronized (inFlight) {
          inFlight.notifyAll();
        }
      }
      nextListener.proceed();
    });
    // Whatever ends with an error status and no body (Undertow's resource handler, an exception
    // escaping a handler) still gets the JSON error body.
    exchange.addDefaultResponseListener(ex -> {
      if (ex.getStatusCode() < 400 || !ex.isResponseChannelAvailable()) {
        return false;
      }
      Json.error(ex, ex.getStatusCode(), StatusCodes.getReason(ex.getStatusCode()) + " (request id " + id
          + (ex.getStatusCode() >= 500 ? "; the bridge's log has the details)" : ")"));
      return true;
    });
    MDC.put("request_id", id);
    try {
      if (shuttingDown.get()) {
        exchange.setPersistent(false);
        ErrorAnswers.shuttingDown().send(exchange);
        return;
      }
      long headerBytes = headerBytes(exchange);
      if (headerBytes > maxHeaderBytes) {
        Json.error(exchange, 431, "Request headers too large: " + headerBytes + " bytes, the limit is "
            + maxHeaderBytes);
        return;
      }
      String uri = exchange.getRequestURI();
      if (uri.indexOf(';') >= 0 || (uri.length() > 1 && uri.endsWith("/"))) {
        // Exact paths: no trailing slash, no ;parameters (Undertow would strip them silently).
        Json.error(exchange, 404, "No route for " + exchange.getRequestMethod() + " " + Json.clip(uri)
            + " (paths take no trailing slash and no ;parameters); GET / lists them");
        return;
      }
      next.handleRequest(exchange);
    } finally {
      MDC.remove("request_id");
    }
  }

  /**
   * From now on every new request gets 503 with Retry-After (and the connection closes).
   *
   * @return false if shutdown had begun already
   */
  boolean beginShutdown() {
    return shuttingDown.compareAndSet(false, true);
  }

  /** Waits until no request is in flight or the deadline (System.nanoTime) passes; true if none is. */
  boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    synchronized (inFlight) {
      while (!inFlight.isEmpty()) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        inFlight.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
    return true;
  }

  /** Answers every request still waiting (for an ack, a flush, a stream) with 503: the bridge is going away. */
  int answerInFlight() {
    int answered = 0;
    for (HttpServerExchange exchange : inFlight) {
      if (!exchange.isResponseStarted()) {
        exchange.getIoThread().execute(() -> {
          exchange.setPersistent(false);
          ErrorAnswers.shutDownWhileWaiting().send(exchange);
        });
        answered++;
      }
    }
    return answered;
  }

  int inFlight() {
    return inFlight.size();
  }

  /** The caller's id if it is printable ASCII without spaces or quotes and not too long, else a fresh UUID. */
  static String requestId(String given) {
    if (given != null && !given.isEmpty() && given.length() <= MAX_REQUEST_ID_LENGTH) {
      boolean sane = true;
      for (int i = 0; i < given.length() && sane; i++) {
        char c = given.charAt(i);
        sane = c > 0x20 && c < 0x7f && c != '"' && c != '\\';
      }
      if (sane) {
        return given;
      }
    }
    // Random, not secret: ThreadLocalRandom instead of UUID.randomUUID's SecureRandom (a lock and a syscall).
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = random.nextLong() & ~0xF000L | 0x4000L; // version 4
    long low = random.nextLong() & ~(0xC000L << 48) | (0x8000L << 48); // IETF variant
    return new UUID(high, low).toString();
  }

  /** The request line and headers as they came, roughly: what the 431 limit is about. */
  private static long headerBytes(HttpServerExchange exchange) {
    long n = exchange.getRequestMethod().length() + exchange.getRequestURI().length()
        + exchange.getQueryString().length() + exchange.getProtocol().length() + 4;
    for (HeaderValues values : exchange.getRequestHeaders()) {
      for (String v : values) {
        n += values.getHeaderName().length() + v.length() + 4;
      }
    }
    return n;
  }
}
