package dev.zerobus.station.bridge;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.zip.GZIPInputStream;
import org.xnio.IoUtils;

/**
 * Reads a whole request body without blocking, plain or {@code Content-Encoding: gzip}, and holds
 * it to the size limit: a Content-Length over it, a chunked body running past it, or a gzip body
 * inflating past it all get the 413 JSON answer. A gzip body is inflated on a worker thread and
 * never beyond the limit, so a small bomb costs no more than an honest body of the limit's size.
 */
final class BodyReader {
  /** How long the rest of a refused body is read and dropped before the connection is closed. */
  static final Duration DRAIN_WINDOW = Duration.ofSeconds(5);
  /** Bodies are read (and a refused one dropped) up to this many times the limit, then the connection is cut. */
  static final int DRAIN_FACTOR = 4;

  private BodyReader() {}

  /** Calls {@code then} with the body, or answers 413, 415 or 400 itself. */
  static void read(HttpServerExchange exchange, long limit, String table, BiConsumer<HttpServerExchange, byte[]> then) {
    String encoding = exchange.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING);
    boolean gzip = encoding != null && (encoding.equalsIgnoreCase("gzip") || encoding.equalsIgnoreCase("x-gzip"));
    if (!gzip && encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity")) {
      Json.error(exchange, 415, "Unsupported Content-Encoding '" + Json.clip(encoding) + "' for table " + table
          + ": send gzip or no encoding");
      return;
    }
    if (exchange.getRequestContentLength() > limit) {
      tooBig(exchange, table, limit);
      return;
    }
    // The limit is counted here, on what arrives: Undertow's own check (the server's MAX_ENTITY_SIZE,
    // DRAIN_FACTOR times the limit) closes the connection without an answer, so it only ends a refused
    // body that goes on and on; the drain also ends after DRAIN_WINDOW.
    long expected = exchange.getRequestContentLength();
    ByteArrayOutputStream buffer = new ByteArrayOutputStream((int) Math.min(expected > 0 ? expected : 8192, 1 << 20));
    boolean[] refused = {false};
    exchange.getRequestReceiver().receivePartialBytes((ex, chunk, last) -> {
      if (refused[0]) {
        return;
      }
      if (buffer.size() + (long) chunk.length > limit) {
        // Answered at once; Undertow then reads and drops what the client still sends (a client that
        // writes its whole body before reading would otherwise get a reset, not the 413), and the
        // connection is closed if that body is still coming after DRAIN_WINDOW.
        refused[0] = true;
        AtomicBoolean finished = new AtomicBoolean();
        ex.addExchangeCompleteListener((done, next) -> {
          finished.set(true);
          next.proceed();
        });
        tooBig(ex, table, limit);
        ex.getIoThread().executeAfter(() -> {
          if (!finished.get()) {
            IoUtils.safeClose(ex.getConnection());
          }
        }, DRAIN_WINDOW.toMillis(), TimeUnit.MILLISECONDS);
        return;
      }
      buffer.writeBytes(chunk);
      if (!last) {
        return;
      }
      if (gzip) {
        ex.dispatch(() -> {
          byte[] body = inflate(ex, buffer.toByteArray(), limit, table);
          if (body != null) {
            then.accept(ex, body);
          }
        });
      } else {
        then.accept(ex, buffer.toByteArray());
      }
    }, (ex, error) -> {
      if (error instanceof RequestTooBigException) {
        tooBig(ex, table, limit);
      } else {
        Json.error(ex, 400, "Cannot read the request body for table " + table + ": " + Json.clip(error.getMessage()));
      }
    });
  }

  /** The inflated body, or null after answering 413 (past the limit) or 400 (not gzip). */
  private static byte[] inflate(HttpServerExchange exchange, byte[] gzipped, long limit, String table) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(8192, gzipped.length * 4));
    byte[] chunk = new byte[16384];
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped), 16384)) {
      int n;
      while ((n = in.read(chunk)) > 0) {
        if (out.size() + (long) n > limit) {
          Json.error(exchange, 413, "Request body too large for table " + table + ": it inflates past the limit of "
              + limit + " bytes; split the batch");
          return null;
        }
        out.write(chunk, 0, n);
      }
    } catch (IOException e) {
      Json.error(exchange, 400, "The body of this request to table " + table + " says Content-Encoding: gzip but"
          + " is not valid gzip: " + Json.clip(e.getMessage()));
      return null;
    }
    return out.toByteArray();
  }

  private static void tooBig(HttpServerExchange exchange, String table, long limit) {
    Json.error(exchange, 413, "Request body too large for table " + table + ": the limit is " + limit
        + " bytes; split the batch");
  }
}
