package dev.zerobus.station.bridge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * JSON answers, safe to call from any thread: the body is serialized and sent on the exchange's
 * I/O thread, and only the first answer to an exchange is sent (shutdown may answer a request
 * that is still waiting for its ack). Errors look like the seed's {"error", "status_code"}; what a
 * failure answers, and its Retry-After, is {@link ErrorAnswers}' decision.
 */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();
  /** Client input quoted in an error message is cut to this many characters. */
  static final int MAX_ECHO = 200;
  private static final AttachmentKey<AtomicBoolean> ANSWERED = AttachmentKey.create(AtomicBoolean.class);

  private Json() {}

  /** Makes later answers to this exchange after the first one no-ops. */
  static void track(HttpServerExchange exchange) {
    exchange.putAttachment(ANSWERED, new AtomicBoolean());
  }

  /** Sends {@code body}: an object for Jackson, or a byte[] that is JSON already. */
  static void send(HttpServerExchange exchange, int status, Object body) {
    send(exchange, status, body, null);
  }

  /** As {@link #send(HttpServerExchange, int, Object)}, with a Retry-After header when {@code retryAfter} is set. */
  static void send(HttpServerExchange exchange, int status, Object body, String retryAfter) {
    if (!exchange.isInIoThread()) {
      exchange.getIoThread().execute(() -> send(exchange, status, body, retryAfter));
      return;
    }
    AtomicBoolean answered = exchange.getAttachment(ANSWERED);
    if ((answered != null && !answered.compareAndSet(false, true)) || exchange.isResponseStarted()) {
      return;
    }
    byte[] bytes;
    try {
      bytes = body instanceof byte[] json ? json : MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    if (retryAfter != null) {
      exchange.getResponseHeaders().put(Headers.RETRY_AFTER, retryAfter);
    }
    exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
  }

  /** {"error": message, "status_code": status, ...extra}. */
  static void error(HttpServerExchange exchange, int status, String message, Map<String, ?> extra) {
    send(exchange, status, errorBody(status, message, extra), null);
  }

  static Map<String, Object> errorBody(int status, String message, Map<String, ?> extra) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    body.put("status_code", status);
    if (extra != null) {
      body.putAll(extra);
    }
    return body;
  }

  static void error(HttpServerExchange exchange, int status, String message) {
    error(exchange, status, message, null);
  }

  /** Client input for an error message: at most {@link #MAX_ECHO} characters, saying how long it was. */
  static String clip(String input) {
    if (input == null || input.length() <= MAX_ECHO) {
      return input;
    }
    return input.substring(0, MAX_ECHO) + "…(" + input.length() + " characters)";
  }
}
