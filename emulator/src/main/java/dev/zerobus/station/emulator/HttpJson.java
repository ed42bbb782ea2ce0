package dev.zerobus.station.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The JDK's HTTP server with JSON in and out, for the emulator's two small HTTP faces. */
final class HttpJson {
  static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Logger log = LoggerFactory.getLogger(HttpJson.class);
  private static final int MAX_BODY = 1 << 20;

  private HttpJson() {}

  /** A handler that may throw {@link Failure} for a JSON error answer. */
  interface Handler {
    void handle(HttpExchange exchange) throws IOException, Failure;
  }

  /** An HTTP error with a JSON body {"error": code, "error_description": message}. */
  static final class Failure extends Exception {
    final int status;
    final String code;

    Failure(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }

  static HttpServer start(String host, int port, String threadName, Map<String, Handler> routes) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
    ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    routes.forEach((path, handler) -> server.createContext(path, wrap(handler)));
    server.start();
    return server;
  }

  static void stop(HttpServer server) {
    if (server != null) {
      server.stop(0);
      if (server.getExecutor() instanceof ExecutorService executor) {
        executor.shutdownNow();
      }
    }
  }

  private static HttpHandler wrap(Handler handler) {
    return exchange -> {
      try (exchange) {
        try {
          handler.handle(exchange);
        } catch (Failure f) {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("error", f.code);
          body.put("error_description", f.getMessage());
          send(exchange, f.status, body);
        } catch (RuntimeException e) {
          log.warn("{} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString(), e);
          send(exchange, 500, Map.of("error", "internal", "error_description", String.valueOf(e.getMessage())));
        }
      }
    };
  }

  static void send(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = MAPPER.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  static void sendNdjson(HttpExchange exchange, Iterable<String> lines) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson");
    exchange.sendResponseHeaders(200, 0);
    var out = exchange.getResponseBody();
    for (String line : lines) {
      out.write(line.getBytes(StandardCharsets.UTF_8));
      out.write('\n');
    }
  }

  static byte[] body(HttpExchange exchange) throws IOException, Failure {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readNBytes(MAX_BODY + 1);
      if (bytes.length > MAX_BODY) {
        throw new Failure(413, "invalid_request", "request body over " + MAX_BODY + " bytes");
      }
      return bytes;
    }
  }

  /** The request body as a JSON object; an empty body is an empty object. */
  static JsonNode jsonBody(HttpExchange exchange) throws IOException, Failure {
    byte[] bytes = body(exchange);
    if (bytes.length == 0) {
      return MAPPER.createObjectNode();
    }
    try {
      JsonNode node = MAPPER.readTree(bytes);
      if (!node.isObject()) {
        throw new Failure(400, "invalid_request", "body must be a JSON object");
      }
      return node;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new Failure(400, "invalid_request", "body is not JSON: " + e.getOriginalMessage());
    }
  }

  /** Decodes application/x-www-form-urlencoded (request bodies and query strings). */
  static Map<String, String> form(String encoded) {
    Map<String, String> out = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return out;
    }
    for (String pair : encoded.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  static void requireMethod(HttpExchange exchange, String... methods) throws Failure {
    for (String m : methods) {
      if (m.equalsIgnoreCase(exchange.getRequestMethod())) {
        return;
      }
    }
    exchange.getResponseHeaders().set("Allow", String.join(", ", methods));
    throw new Failure(405, "method_not_allowed", exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
        + " is not supported; use " + String.join(" or ", methods));
  }
}
