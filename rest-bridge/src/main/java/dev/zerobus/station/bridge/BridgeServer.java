package dev.zerobus.station.bridge;

import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.table.SchemaRefresh;
import dev.zerobus.station.core.table.TableRegistry;
import io.undertow.Handlers;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.server.handlers.accesslog.AccessLogHandler;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;
import org.xnio.Options;

/**
 * The bridge's HTTP server: Undertow with the seed's routes plus /ready, /metrics, /openapi.json
 * and /docs, over one shared {@link StreamManager}. Handlers run on Undertow's I/O threads and
 * never block: answers that wait for Zerobus complete from futures.
 */
public final class BridgeServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BridgeServer.class);
  /** How long shutdown gives answers already under way to reach their clients. */
  private static final Duration ANSWER_GRACE = Duration.ofSeconds(2);

  private static final Logger accessLog = LoggerFactory.getLogger("dev.zerobus.station.access");
  /** Apache's formats, plus the request id and the time taken in milliseconds. */
  private static final String COMMON = "%h %l %u %t \"%r\" %s %b %{o,X-Request-Id} %Dms";
  private static final String COMBINED = "%h %l %u %t \"%r\" %s %b \"%{i,Referer}\" \"%{i,User-Agent}\""
      + " %{o,X-Request-Id} %Dms";

  private final StreamManager manager;
  private final BridgeSettings settings;
  private final BridgeMetrics metrics;
  private final Edge edge;
  private final Listener listener;
  private final HttpHandler root;
  private final BodyBudget bodyBudget;
  private final SchemaRefresh refresh;

  /** A server whose tables' columns are read again only when records carry fields the tables do not know. */
  public BridgeServer(TableRegistry registry, StreamManager manager, BridgeSettings settings) {
    this(registry, manager, settings, SchemaRefresh.start(registry, Duration.ZERO));
  }

  /** @param refresh follows the tables' columns in Unity Catalog; closed with the server */
  public BridgeServer(TableRegistry registry, StreamManager manager, BridgeSettings settings, SchemaRefresh refresh) {
    this.manager = manager;
    this.refresh = refresh;
    this.settings = settings;
    String version = version();
    this.metrics = new BridgeMetrics(manager, version);
    Tables tables = new Tables(registry, settings.auth());
    StatusHandlers status = new StatusHandlers(tables, manager, settings, metrics, version);
    OpenApiDocument openApi = new OpenApiDocument(registry, version, settings.auth() != null);
    EdgeSettings limits = settings.edge();
    this.bodyBudget = new BodyBudget(limits.maxInflightBodyBytes());
    this.listener = new Listener(limits.maxConnections());
    metrics.edge(bodyBudget, listener);
    RoutingHandler routes = Handlers.routing()
        .get("/", named("root", status::root))
        .get("/health", named("health", status::health))
        .add(Methods.HEAD, "/health", named("health", status::health))
        .get("/health/{table}", named("table_health", status::tableHealth))
        .add(Methods.HEAD, "/health/{table}", named("table_health", status::tableHealth))
        .get("/ready", named("ready", status::ready))
        .add(Methods.HEAD, "/ready", named("ready", status::ready))
        .post("/ingest/{table}", named("ingest", new IngestHandler(tables, manager, settings, metrics, bodyBudget, refresh)))
        .post("/flush/{table}", named("flush", status::flush))
        .get("/metrics", named("metrics", status::metrics))
        .get("/openapi.json", named("openapi", exchange -> send(exchange, "application/json",
            openApi.bytes(tables.authenticated(exchange)))))
        .get("/docs", named("docs", exchange -> send(exchange, "text/html; charset=utf-8", docsPage())))
        .setFallbackHandler(exchange -> Json.error(exchange, 404,
            "No route for " + exchange.getRequestMethod() + " " + Json.clip(exchange.getRequestPath())
                + "; GET / lists them"))
        .setInvalidMethodHandler(exchange -> Json.error(exchange, 405,
            "Method " + exchange.getRequestMethod() + " is not allowed on " + Json.clip(exchange.getRequestPath())));
    HttpHandler assets = new ResourceHandler(new ClassPathResourceManager(getClass().getClassLoader(),
        "META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion()));
    HttpHandler handler = Handlers.path(routes).addPrefixPath("/docs/assets", named("docs", exchange -> {
      if (exchange.getRequestMethod().equals(Methods.GET) || exchange.getRequestMethod().equals(Methods.HEAD)) {
        assets.handleRequest(exchange);
      } else {
        Json.error(exchange, 405, "Method " + exchange.getRequestMethod() + " is not allowed on "
            + Json.clip(exchange.getRequestPath()));
      }
    }));
    handler = new Cors(handler, limits.corsOrigins(), loopback(settings.host()));
    this.edge = new Edge(handler, metrics, limits.maxHeaderBytes(), listener);
    handler = edge;
    if (limits.accessLog() != EdgeSettings.AccessLog.OFF) {
      handler = new AccessLogHandler(handler, BridgeServer::logAccess,
          limits.accessLog() == EdgeSettings.AccessLog.COMMON ? COMMON : COMBINED, getClass().getClassLoader());
    }
    this.root = handler;
  }

  /** Whether the address is this machine's loopback only (a name is looked up once, at start). */
  static boolean loopback(String host) {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  public BridgeServer start() {
    EdgeSettings limits = settings.edge();
    OptionMap serverOptions = OptionMap.builder()
        .set(UndertowOptions.MAX_HEADER_SIZE, limits.parserHeaderBytes())
        .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, millis(limits.requestParseTimeout()))
        .set(UndertowOptions.NO_REQUEST_TIMEOUT, millis(limits.noRequestTimeout()))
        .set(UndertowOptions.RECORD_REQUEST_START_TIME, true)
        .set(UndertowOptions.MAX_ENTITY_SIZE, BodyReader.DRAIN_FACTOR * settings.maxBodyBytes())
        .getMap();
    OptionMap socketOptions = OptionMap.create(Options.READ_TIMEOUT, millis(limits.readIdleTimeout()));
    try {
      listener.start(root, settings.host(), settings.port(), serverOptions, socketOptions,
          settings.tls() == null ? null : settings.tls().context());
    } catch (IOException e) {
      listener.close(0);
      throw new UncheckedIOException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e, e);
    }
    log.info("Zerobus Station listening on {} (tables: {})", url(), String.join(", ", manager.registry().keys()));
    return this;
  }

  public int port() {
    return listener.port();
  }

  /** Requests received and not yet answered. */
  int requestsInFlight() {
    return edge.inFlight();
  }

  public String url() {
    String host = settings.host().equals("0.0.0.0") ? "localhost" : settings.host();
    return (settings.tls() != null ? "https://" : "http://") + host + ":" + port();
  }

  /**
   * Shuts down in stages, so no request is answered 4xx for not having been judged: new requests get
   * 503 with Retry-After (and their connection closes), in-flight requests finish (those waiting for
   * acks get them as the streams flush), the streams close, whatever still waits is answered 503,
   * and only then are the connections closed, each on its own I/O thread, before the worker stops.
   */
  public void shutdown() {
    if (!edge.beginShutdown()) {
      return;
    }
    long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
    refresh.close();
    try {
      if (!edge.awaitIdle(deadline)) {
        log.warn("shutdown: {} request(s) still in flight after {} s", edge.inFlight(),
            settings.shutdownTimeout().toSeconds());
      }
      long notDurable = manager.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      long durable = manager.health().stream().mapToLong(h -> h.recordsDurable()).sum();
      if (notDurable == 0) {
        // Only what was seen: failed or refused records were answered with errors when it happened.
        log.info("shutdown: no accepted record was left unacknowledged ({} records durable in all)", durable);
      } else {
        log.error("shutdown: {} accepted records were not made durable ({} durable in all)", notDurable, durable);
      }
      // Closing the streams completes what waited on them; whatever still waits is answered here.
      if (!edge.awaitIdle(System.nanoTime() + ANSWER_GRACE.toNanos())) {
        log.warn("shutdown: answering {} request(s) still waiting with 503", edge.answerInFlight());
        edge.awaitIdle(System.nanoTime() + ANSWER_GRACE.toNanos());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      listener.close(ANSWER_GRACE.toMillis());
      if (settings.tls() != null) {
        settings.tls().close();
      }
    }
  }

  @Override
  public void close() {
    shutdown();
  }

  private static HttpHandler named(String endpoint, HttpHandler handler) {
    return Edge.named(endpoint, handler);
  }

  private static void logAccess(String line) {
    // Header values may not hold CR or LF, but a line is folded anyway so one request stays one line.
    if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
      line = line.replaceAll("[\r\n]+", " ");
    }
    accessLog.info(redactSecrets(line));
  }

  /** Query parameters that carry credentials, wherever a URL appears in a line (request, Referer). */
  private static final java.util.Set<String> SECRET_PARAMETERS = java.util.Set.of("access_token", "id_token",
      "refresh_token", "token", "api_key", "apikey", "key", "secret", "client_secret", "password", "passwd", "pwd",
      "auth", "authorization", "sig", "signature", "code");

  /**
   * A client that puts a token in the URL is refused, but its token must not land in the log either:
   * the value of every such parameter becomes REDACTED. A scan, not a regular expression: it runs
   * for every line.
   */
  static String redactSecrets(String line) {
    StringBuilder out = null;
    int copied = 0;
    int i = line.indexOf('?');
    while (i >= 0 && i < line.length()) {
      int nameStart = i + 1;
      int nameEnd = nameStart;
      while (nameEnd < line.length() && isNameChar(line.charAt(nameEnd))) {
        nameEnd++;
      }
      if (nameEnd < line.length() && line.charAt(nameEnd) == '=' && nameEnd > nameStart
          && SECRET_PARAMETERS.contains(line.substring(nameStart, nameEnd).toLowerCase(java.util.Locale.ROOT))) {
        int valueEnd = nameEnd + 1;
        while (valueEnd < line.length() && "&; \"".indexOf(line.charAt(valueEnd)) < 0) {
          valueEnd++;
        }
        if (out == null) {
          out = new StringBuilder(line.length());
        }
        out.append(line, copied, nameEnd + 1).append("REDACTED");
        copied = valueEnd;
        nameEnd = valueEnd;
      }
      i = nextParameter(line, nameEnd);
    }
    return out == null ? line : out.append(line, copied, line.length()).toString();
  }

  private static boolean isNameChar(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
        || c == '.';
  }

  /** The index of the next parameter separator (?, & or ;) at or after {@code from}, or -1. */
  private static int nextParameter(String line, int from) {
    for (int i = from; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '&' || c == ';' || c == '?') {
        return i;
      }
    }
    return -1;
  }

  private static int millis(Duration d) {
    return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
  }

  private static void send(HttpServerExchange exchange, String contentType, byte[] body) {
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }

  private static byte[] docsPage() {
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Zerobus Station API</title>"
        + "<link rel=\"stylesheet\" href=\"/docs/assets/swagger-ui.css\"></head><body><div id=\"swagger-ui\"></div>"
        + "<script src=\"/docs/assets/swagger-ui-bundle.js\"></script>"
        + "<script>window.ui = SwaggerUIBundle({url: '/openapi.json', dom_id: '#swagger-ui'});</script>"
        + "</body></html>").getBytes(StandardCharsets.UTF_8);
  }

  private static String swaggerUiVersion() {
    return mavenVersion("META-INF/maven/org.webjars/swagger-ui/pom.properties", "swagger-ui");
  }

  static String version() {
    String v = BridgeServer.class.getPackage().getImplementationVersion();
    return v != null ? v : "dev";
  }

  private static String mavenVersion(String resource, String what) {
    try (InputStream in = BridgeServer.class.getClassLoader().getResourceAsStream(resource)) {
      Properties p = new Properties();
      if (in == null) {
        throw new IllegalStateException(what + " is missing from the classpath");
      }
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
