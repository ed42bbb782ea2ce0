package dev.zerobus.station.bridge;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;

/**
 * Reads a whole request body without blocking, plain or {@code Content-Encoding: gzip}, within
 * three bounds: the size limit (a Content-Length over it, a chunked body running past it, or a gzip
 * body inflating past it get 413), the time limit for the whole body (408, however slowly it
 * trickles in), and the process-wide {@link BodyBudget} (503 with Retry-After before more is read).
 * Nothing is allocated ahead of what arrives: no buffer sized from headers or gzip ratios. A gzip
 * body is inflated on a worker thread, block by block, each block charged to the budget.
 */
final class BodyReader {
  /** How long the rest of a refused body is read and dropped before the connection is closed. */
  static final Duration DRAIN_WINDOW = Duration.ofSeconds(5);
  /** Bodies are read (and a refused one dropped) up to this many times the limit, then the connection is cut. */
  static final int DRAIN_FACTOR = 4;
  private static final int INFLATE_BLOCK = 64 * 1024;

  private final long limit;
  private final Duration readTimeout;
  private final BodyBudget budget;

  BodyReader(long limit, Duration readTimeout, BodyBudget budget) {
    this.limit = limit;
    this.readTimeout = readTimeout;
    this.budget = budget;
  }

  /** A body read in full, charged to the budget until {@link #release()} or the end of its request. */
  static final class Body {
    private final byte[] bytes;
    private final Charge charge;

    private Body(byte[] bytes, Charge charge) {
      this.bytes = bytes;
      this.charge = charge;
    }

    byte[] bytes() {
      return bytes;
    }

    /** The body is no longer needed (it was encoded): its bytes leave the budget. */
    void release() {
      charge.releaseAll();
    }
  }

  /** Calls {@code then} with the body, or answers 400, 408, 413, 415 or 503 itself. */
  void read(HttpServerExchange exchange, String table, java.util.function.BiConsumer<HttpServerExchange, Body> then) {
    String encoding = exchange.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING);
    boolean gzip = encoding != null && (encoding.equalsIgnoreCase("gzip") || encoding.equalsIgnoreCase("x-gzip"));
    if (!gzip && encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity")) {
      Json.error(exchange, 415, "Unsupported Content-Encoding '" + Json.clip(encoding) + "' for table " + table
          + ": send gzip or no encoding");
      return;
    }
    if (exchange.getRequestContentLength() > limit) {
      tooBig(exchange, table);
      return;
    }
    Reading reading = new Reading(exchange, table, gzip, then);
    exchange.addExchangeCompleteListener((ex, next) -> {
      reading.charge.releaseAll();
      next.proceed();
    });
    // The limit is counted here, on what arrives: Undertow's own check (the server's MAX_ENTITY_SIZE,
    // DRAIN_FACTOR times the limit) closes the connection without an answer, so it only ends a refused
    // body that goes on and on; the drain also ends after DRAIN_WINDOW.
    exchange.getRequestReceiver().receivePartialBytes(reading::arrived, (ex, error) -> {
      if (error instanceof RequestTooBigException) {
        reading.refuse(() -> tooBig(ex, table));
      } else {
        Json.error(ex, 400, "Cannot read the request body for table " + table + ": " + Json.clip(error.getMessage()));
      }
    });
  }

  /** One body being read: its chunks, its charge, and the timer that bounds the whole read. */
  private final class Reading {
    final HttpServerExchange exchange;
    final String table;
    final boolean gzip;
    final java.util.function.BiConsumer<HttpServerExchange, Body> then;
    final Charge charge = new Charge(budget);
    final Parts parts = new Parts();
    /** Touched only on the exchange's I/O thread, where the receiver calls back. */
    boolean finished;
    XnioExecutor.Key deadline;

    Reading(HttpServerExchange exchange, String table, boolean gzip,
        java.util.function.BiConsumer<HttpServerExchange, Body> then) {
      this.exchange = exchange;
      this.table = table;
      this.gzip = gzip;
      this.then = then;
    }

    void arrived(HttpServerExchange ex, byte[] chunk, boolean last) {
      if (finished) {
        return; // refused: what still comes is read and dropped
      }
      if (parts.size + (long) chunk.length > limit) {
        refuse(() -> tooBig(ex, table));
        return;
      }
      if (!charge.add(chunk.length)) {
        refuse(() -> overBudget(ex, table));
        return;
      }
      parts.add(chunk, chunk.length);
      if (!last) {
        if (deadline == null) {
          // Only a body that did not come in one read needs a timer; most do.
          deadline = ex.getIoThread().executeAfter(() -> refuse(() -> tooSlow(ex, table)),
              readTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        return;
      }
      finished = true;
      if (deadline != null) {
        deadline.remove();
      }
      if (gzip) {
        ex.dispatch(this::inflateAndHandOver);
      } else {
        handOver(parts);
      }
    }

    /**
     * Answers (413, 503 or 408), then reads and drops what the client still sends, so a client that
     * writes its whole body before reading gets the answer rather than a reset; the connection is
     * closed if that body is still coming after DRAIN_WINDOW.
     */
    void refuse(Runnable answer) {
      if (finished) {
        return;
      }
      finished = true;
      if (deadline != null) {
        deadline.remove();
      }
      parts.clear();
      charge.releaseAll();
      java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
      exchange.addExchangeCompleteListener((done, next) -> {
        ended.set(true);
        next.proceed();
      });
      answer.run();
      exchange.getIoThread().executeAfter(() -> {
        if (!ended.get()) {
          IoUtils.safeClose(exchange.getConnection());
        }
      }, DRAIN_WINDOW.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** On a worker thread: the gzip body inflated block by block into the limit and the budget. */
    void inflateAndHandOver() {
      Parts inflated = new Parts();
      List<InputStream> pieces = new ArrayList<>(parts.list.size());
      for (byte[] p : parts.list) {
        pieces.add(new ByteArrayInputStream(p));
      }
      try (InputStream in = new GZIPInputStream(new SequenceInputStream(Collections.enumeration(pieces)), 16384)) {
        while (true) {
          if (!charge.add(INFLATE_BLOCK)) {
            inflated.clear();
            charge.releaseAll();
            overBudget(exchange, table);
            return;
          }
          byte[] block = new byte[INFLATE_BLOCK];
          int filled = in.readNBytes(block, 0, block.length);
          charge.give(block.length - filled);
          if (filled == 0) {
            break;
          }
          if (inflated.size + filled > limit) {
            inflated.clear();
            charge.releaseAll();
            Json.error(exchange, 413, "Request body too large for table " + table + ": it inflates past the limit"
                + " of " + limit + " bytes; split the batch");
            return;
          }
          inflated.add(block, filled);
          if (filled < block.length) {
            break;
          }
        }
      } catch (IOException e) {
        charge.releaseAll();
        Json.error(exchange, 400, "The body of this request to table " + table + " says Content-Encoding: gzip but"
            + " is not valid gzip: " + Json.clip(e.getMessage()));
        return;
      }
      charge.give(parts.size);
      parts.clear();
      handOver(inflated);
    }

    /** The body as one array (the chunk itself when it came in one), charged, to the handler. */
    void handOver(Parts body) {
      byte[] whole = body.single();
      if (whole == null) {
        if (!charge.add(body.size)) {
          body.clear();
          charge.releaseAll();
          overBudget(exchange, table);
          return;
        }
        whole = body.join();
        charge.give(body.size);
        body.clear();
      }
      then.accept(exchange, new Body(whole, charge));
    }
  }

  /** Arrays in arrival order; the last one may be filled only in part. */
  private static final class Parts {
    final List<byte[]> list = new ArrayList<>(1);
    int lastFill;
    long size;

    void add(byte[] part, int filled) {
      list.add(part);
      lastFill = filled;
      size += filled;
    }

    /** The one array that is the whole body, or null. */
    byte[] single() {
      return list.size() == 1 && lastFill == list.get(0).length ? list.get(0) : list.isEmpty() ? new byte[0] : null;
    }

    byte[] join() {
      byte[] out = new byte[(int) size];
      int at = 0;
      for (int i = 0; i < list.size(); i++) {
        byte[] p = list.get(i);
        int n = i == list.size() - 1 ? lastFill : p.length;
        System.arraycopy(p, 0, out, at, n);
        at += n;
      }
      return out;
    }

    void clear() {
      list.clear();
    }
  }

  /** What one request has charged to the budget; all of it is given back, once, at the latest when the request ends. */
  private static final class Charge {
    private final BodyBudget budget;
    private long charged;

    Charge(BodyBudget budget) {
      this.budget = budget;
    }

    synchronized boolean add(long bytes) {
      if (!budget.tryCharge(bytes)) {
        return false;
      }
      charged += bytes;
      return true;
    }

    synchronized void give(long bytes) {
      long back = Math.min(bytes, charged);
      charged -= back;
      budget.release(back);
    }

    synchronized void releaseAll() {
      budget.release(charged);
      charged = 0;
    }
  }

  private void tooBig(HttpServerExchange exchange, String table) {
    Json.error(exchange, 413, "Request body too large for table " + table + ": the limit is " + limit
        + " bytes; split the batch");
  }

  private void overBudget(HttpServerExchange exchange, String table) {
    ErrorAnswers.bodyBudgetFull(budget.limit(), table).send(exchange);
  }

  private void tooSlow(HttpServerExchange exchange, String table) {
    exchange.setPersistent(false);
    Json.error(exchange, 408, "The body of this request to table " + table + " did not arrive within "
        + readTimeout.toSeconds() + " s (--body-read-timeout-seconds); nothing was taken");
  }
}
