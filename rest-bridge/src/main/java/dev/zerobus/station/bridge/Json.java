package dev.zerobus.station.bridge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON answers, safe to send from any thread: errors look like the seed's {"error", "status_code"}. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static void send(HttpServerExchange exchange, int status, Object body) {
    byte[] bytes;
    try {
      bytes = MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    Runnable respond = () -> {
      exchange.setStatusCode(status);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
      exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
    };
    if (exchange.isInIoThread()) {
      respond.run();
    } else {
      exchange.getIoThread().execute(respond);
    }
  }

  /** {"error": message, "status_code": status, ...extra}. */
  static void error(HttpServerExchange exchange, int status, String message, Map<String, ?> extra) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    body.put("status_code", status);
    if (extra != null) {
      body.putAll(extra);
    }
    send(exchange, status, body);
  }

  static void error(HttpServerExchange exchange, int status, String message) {
    error(exchange, status, message, null);
  }

  /** 429/503 with Retry-After in whole seconds. */
  static void retryLater(HttpServerExchange exchange, int status, String message, Duration retryAfter) {
    long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(seconds));
    error(exchange, status, message, Map.of("retry_after_seconds", seconds));
  }
}
