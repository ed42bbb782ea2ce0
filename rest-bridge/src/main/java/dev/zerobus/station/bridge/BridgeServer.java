package dev.zerobus.station.bridge;

import dev.zerobus.station.core.StreamManager;
import dev.zerobus.station.core.TableRegistry;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.Headers;
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

/**
 * The bridge's HTTP server: Undertow with the seed's routes plus /ready, /metrics, /openapi.json
 * and /docs, over one shared {@link StreamManager}. Handlers run on Undertow's I/O threads and
 * never block: answers that wait for Zerobus complete from futures.
 */
public final class BridgeServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BridgeServer.class);

  private final StreamManager manager;
  private final BridgeSettings settings;
  private final BridgeMetrics metrics;
  private final GracefulShutdownHandler graceful;
  private final Undertow undertow;
  private volatile boolean shuttingDown;

  public BridgeServer(TableRegistry registry, StreamManager manager, BridgeSettings settings) {
    this.manager = manager;
    this.settings = settings;
    this.metrics = new BridgeMetrics(manager);
    String version = version();
    Tables tables = new Tables(registry, settings.auth());
    StatusHandlers status = new StatusHandlers(tables, manager, settings, metrics, version);
    boolean strictFields = registry.tables().stream().noneMatch(t -> t.encoder().options().ignoreUnknownFields());
    byte[] openApi;
    try {
      openApi = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(
          OpenApi.document(registry, version, settings.auth() != null, strictFields));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RoutingHandler routes = Handlers.routing()
        .get("/", measured("root", status::root))
        .get("/health", measured("health", status::health))
        .get("/health/{table}", measured("table_health", status::tableHealth))
        .get("/ready", measured("ready", status::ready))
        .post("/ingest/{table}", measured("ingest", new IngestHandler(tables, manager, settings, metrics)))
        .post("/flush/{table}", measured("flush", status::flush))
        .get("/metrics", measured("metrics", status::metrics))
        .get("/openapi.json", measured("openapi", exchange -> send(exchange, "application/json", openApi)))
        .get("/docs", measured("docs", exchange -> send(exchange, "text/html; charset=utf-8", docsPage())))
        .setFallbackHandler(measured("unknown", exchange -> Json.error(exchange, 404,
            "No route for " + exchange.getRequestMethod() + " " + exchange.getRequestPath() + "; GET / lists them")))
        .setInvalidMethodHandler(measured("unknown", exchange -> Json.error(exchange, 405,
            "Method " + exchange.getRequestMethod() + " is not allowed on " + exchange.getRequestPath())));
    HttpHandler assets = new ResourceHandler(new ClassPathResourceManager(getClass().getClassLoader(),
        "META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion()));
    this.graceful = Handlers.gracefulShutdown(Handlers.path(routes).addPrefixPath("/docs/assets", assets));
    Undertow.Builder builder = Undertow.builder().setHandler(graceful);
    if (settings.tls() != null) {
      builder.addHttpsListener(settings.port(), settings.host(), settings.tls());
    } else {
      builder.addHttpListener(settings.port(), settings.host());
    }
    this.undertow = builder.build();
  }

  public BridgeServer start() {
    undertow.start();
    log.info("Zerobus Station listening on {} (tables: {})", url(), String.join(", ", manager.registry().keys()));
    return this;
  }

  public int port() {
    return ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
  }

  public String url() {
    String host = settings.host().equals("0.0.0.0") ? "localhost" : settings.host();
    return (settings.tls() != null ? "https://" : "http://") + host + ":" + port();
  }

  /**
   * Stops taking requests (new ones get 503), lets in-flight ones finish (those waiting for acks
   * get them as the streams flush), closes the streams and the listener.
   */
  public void shutdown() {
    if (shuttingDown) {
      return;
    }
    shuttingDown = true;
    long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
    graceful.shutdown();
    try {
      if (!graceful.awaitShutdown(settings.shutdownTimeout().toMillis())) {
        log.warn("shutdown: requests still in flight after {} s", settings.shutdownTimeout().toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long notDurable = manager.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    long durable = manager.health().stream().mapToLong(h -> h.recordsDurable()).sum();
    if (notDurable == 0) {
      // Only what was seen: failed or refused records were answered with errors when it happened.
      log.info("shutdown: no accepted record was left unacknowledged ({} records durable in all)", durable);
    } else {
      log.error("shutdown: {} accepted records were not made durable ({} durable in all)", notDurable, durable);
    }
    undertow.stop();
  }

  @Override
  public void close() {
    shutdown();
  }

  private HttpHandler measured(String endpoint, HttpHandler handler) {
    return exchange -> {
      long started = System.nanoTime();
      exchange.addExchangeCompleteListener((ex, next) -> {
        String table = ex.getAttachment(Tables.TABLE);
        metrics.requests.labelValues(endpoint, table == null ? "" : table, Integer.toString(ex.getStatusCode())).inc();
        metrics.requestSeconds.labelValues(endpoint).observe((System.nanoTime() - started) / 1e9);
        next.proceed();
      });
      if (shuttingDown) {
        Json.retryLater(exchange, 503, "Zerobus Station is shutting down", Duration.ofSeconds(5));
        return;
      }
      handler.handleRequest(exchange);
    };
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
