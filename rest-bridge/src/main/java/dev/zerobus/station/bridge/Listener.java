package dev.zerobus.station.bridge;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.util.AttachmentKey;
import io.undertow.util.StatusCodes;
import io.undertow.util.StringWriteChannelListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;
import org.xnio.channels.StreamSinkChannel;

/**
 * The bridge's socket: Undertow's HTTP/1.1 over an XNIO server socket this class accepts on itself
 * (as Undertow's own builder does), so that it knows every open connection and whether a request is
 * under way on it. That buys two things Undertow's builder cannot do:
 * <ul>
 *   <li>near the connection limit, the connections idle longest are closed to make room, so idle
 *       sockets cannot lock new requests out (they would otherwise wait in the backlog until the
 *       idle timeout); only when every connection has a request under way is a new one refused,
 *       with a 503;
 *   <li>a shutdown that closes the connections, each on its own I/O thread, before it stops the
 *       worker, so no request is read by a server half torn down (Undertow's stop() shuts the worker
 *       down under open connections, and a request read then gets a bare 400).
 * </ul>
 */
final class Listener {
  /** The tracking record of the connection an exchange arrived on, cached on the connection. */
  private static final AttachmentKey<Tracked> TRACKED = AttachmentKey.create(Tracked.class);
  /** Closed connections are dropped from the table at least this often (in accepts). */
  private static final int SWEEP_EVERY = 256;

  private final int maxConnections;
  /** Idle connections are closed when this many are open, so there is always room for new ones. */
  private final int evictAt;
  private final Map<StreamConnection, Tracked> open = new ConcurrentHashMap<>();
  private final AtomicInteger accepts = new AtomicInteger();
  private final AtomicInteger evicted = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  /** The whole HTTP answer to a connection refused at the limit: written before Undertow has a request. */
  private final String refusal;
  /** The socket's own end, after shutdown has answered every request: connections still handed over are closed. */
  private volatile boolean closing;
  private XnioWorker worker;
  private AcceptingChannel<? extends StreamConnection> server;
  private DefaultByteBufferPool buffers;

  /** One connection: how many requests are under way on it, and since when it has had none. */
  private static final class Tracked {
    final StreamConnection connection;
    final AtomicInteger requests = new AtomicInteger();
    volatile long idleSince = System.nanoTime();

    Tracked(StreamConnection connection) {
      this.connection = connection;
    }
  }

  Listener(int maxConnections) {
    this.maxConnections = maxConnections;
    this.refusal = rawResponse(ErrorAnswers.connectionsFull(maxConnections));
    this.evictAt = Math.max(1, maxConnections - Math.max(1, Math.min(100, maxConnections / 10)));
  }

  /**
   * Opens the socket. The worker and buffer settings are Undertow's builder defaults.
   *
   * @param serverOptions Undertow's options (timeouts, header and entity limits)
   * @param socketOptions XNIO's options for accepted sockets (read timeout)
   * @param tls the TLS context, or null for plain HTTP
   */
  void start(HttpHandler root, String host, int port, OptionMap serverOptions, OptionMap socketOptions, SSLContext tls)
      throws IOException {
    int ioThreads = Math.max(Runtime.getRuntime().availableProcessors(), 2);
    Xnio xnio = Xnio.getInstance(Undertow.class.getClassLoader());
    worker = xnio.createWorker(OptionMap.builder()
        .set(Options.WORKER_IO_THREADS, ioThreads)
        .set(Options.WORKER_TASK_CORE_THREADS, ioThreads * 8)
        .set(Options.WORKER_TASK_MAX_THREADS, ioThreads * 8)
        .set(Options.TCP_NODELAY, true)
        .set(Options.CORK, true)
        .getMap());
    OptionMap sockets = OptionMap.builder()
        .set(Options.WORKER_IO_THREADS, ioThreads)
        .set(Options.TCP_NODELAY, true)
        .set(Options.REUSE_ADDRESSES, true)
        .set(Options.BALANCING_TOKENS, 1)
        .set(Options.BALANCING_CONNECTIONS, 2)
        .set(Options.BACKLOG, 1000)
        // The limit is kept here, not by XNIO's water marks: those are counted per accepting thread, so
        // room made on one thread does not resume accepts suspended on another.
        .set(Options.CONNECTION_HIGH_WATER, 1_000_000)
        .set(Options.CONNECTION_LOW_WATER, 1_000_000)
        .addAll(socketOptions)
        .getMap();
    buffers = new DefaultByteBufferPool(true, 16 * 1024, -1, 4);
    HttpOpenListener http = new HttpOpenListener(buffers, OptionMap.builder()
        .set(UndertowOptions.BUFFER_PIPELINED_DATA, true).addAll(serverOptions).getMap());
    http.setRootHandler(root);
    ChannelListener<StreamConnection> tracking = connection -> {
      if (closing) {
        // Accepted by the kernel before the socket closed and handed over while the worker stops: a
        // first read now would fail inside Undertow, which answers that with a bare 400.
        IoUtils.safeClose(connection);
      } else if (accepted(connection)) {
        if (closing) {
          // close() began between the check above and the registration, and may have swept the table
          // already: this connection would stay open under a stopping worker.
          open.remove(connection);
          IoUtils.safeClose(connection);
          return;
        }
        http.handleEvent(connection);
      } else {
        refuse(connection);
      }
    };
    ChannelListener<AcceptingChannel<StreamConnection>> accept = ChannelListeners.openListenerAdapter(tracking);
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (tls == null) {
      server = worker.createStreamConnectionServer(address, accept, sockets);
    } else {
      @SuppressWarnings({"unchecked", "rawtypes"})
      AcceptingChannel<? extends StreamConnection> ssl = new UndertowXnioSsl(xnio,
          OptionMap.create(Options.USE_DIRECT_BUFFERS, true), tls)
          .createSslConnectionServer(worker, address, (ChannelListener) accept, sockets);
      server = ssl;
    }
    server.resumeAccepts();
  }

  int port() {
    return ((InetSocketAddress) server.getLocalAddress()).getPort();
  }

  /** Open connections. */
  int connections() {
    return open.size();
  }

  /** Idle connections closed so far to make room for new ones. */
  int evicted() {
    return evicted.get();
  }

  /** Connections refused with 503 because every open one had a request under way. */
  int refused() {
    return refused.get();
  }

  /** A request is under way on the exchange's connection until it completes. */
  void track(HttpServerExchange exchange) {
    Tracked t = exchange.getConnection().getAttachment(TRACKED);
    if (t == null && exchange.getConnection() instanceof AbstractServerConnection c) {
      t = open.get(c.getChannel());
      if (t != null) {
        exchange.getConnection().putAttachment(TRACKED, t);
      }
    }
    if (t == null) {
      return;
    }
    Tracked tracked = t;
    tracked.requests.incrementAndGet();
    exchange.addExchangeCompleteListener((ex, next) -> {
      tracked.idleSince = System.nanoTime();
      tracked.requests.decrementAndGet();
      next.proceed();
    });
  }

  /** Makes room for a new connection if it can; false when every connection has a request under way. */
  private boolean accepted(StreamConnection connection) {
    if (accepts.incrementAndGet() % SWEEP_EVERY == 0) {
      open.values().removeIf(t -> !t.connection.isOpen());
    }
    if (open.size() >= evictAt) {
      open.values().removeIf(t -> !t.connection.isOpen());
      if (open.size() >= evictAt) {
        evictIdle(open.size() - evictAt + 1);
      }
    }
    if (open.size() >= maxConnections) {
      return false;
    }
    open.put(connection, new Tracked(connection));
    return true;
  }

  /** Every connection is busy: the newcomer is told so, with the error body's shape, and closed. */
  private void refuse(StreamConnection connection) {
    refused.incrementAndGet();
    new StringWriteChannelListener(refusal) {
      @Override
      protected void writeDone(StreamSinkChannel channel) {
        super.writeDone(channel);
        IoUtils.safeClose(connection);
      }

      @Override
      protected void handleError(StreamSinkChannel channel, IOException e) {
        IoUtils.safeClose(connection);
      }
    }.setup(connection.getSinkChannel());
  }

  private static String rawResponse(ErrorAnswers.ErrorAnswer answer) {
    String body;
    try {
      body = Json.MAPPER.writeValueAsString(answer.body());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return "HTTP/1.1 " + answer.status() + " " + StatusCodes.getReason(answer.status()) + "\r\n"
        + "Content-Type: application/json\r\nRetry-After: " + answer.retryAfterSeconds() + "\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body;
  }

  /** Closes up to {@code count} connections with no request under way, those idle longest first. */
  private void evictIdle(int count) {
    List<Tracked> idle = new ArrayList<>();
    for (Tracked t : open.values()) {
      if (t.requests.get() == 0) {
        idle.add(t);
      }
    }
    idle.sort(Comparator.comparingLong(t -> t.idleSince));
    for (Tracked t : idle.subList(0, Math.min(count, idle.size()))) {
      open.remove(t.connection);
      evicted.incrementAndGet();
      closeIfIdle(t);
    }
  }

  /**
   * Closed on the connection's own I/O thread, where requests are read, so one being read is never
   * cut; one that got a request meanwhile stays (and is tracked again).
   */
  private void closeIfIdle(Tracked t) {
    t.connection.getIoThread().execute(() -> {
      if (t.requests.get() == 0) {
        IoUtils.safeClose(t.connection);
        open.remove(t.connection);
      } else {
        open.putIfAbsent(t.connection, t);
        if (closing) {
          IoUtils.safeClose(t.connection); // as in start(): close() may have swept the table before the put
        }
      }
    });
  }

  /**
   * Stops accepting, closes every connection on its own I/O thread (so a request being read there is
   * never read by a half-closed server), then stops the worker, waiting up to {@code millis}.
   */
  void close(long millis) {
    closing = true;
    IoUtils.safeClose(server);
    // An entry put after `closing` was set is closed by the accepting thread itself (see start()); one put
    // before it is seen here.
    for (Tracked t : open.values()) {
      t.connection.getIoThread().execute(() -> IoUtils.safeClose(t.connection));
    }
    open.clear();
    if (worker != null) {
      worker.shutdown();
      try {
        worker.awaitTermination(millis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      worker.shutdownNow();
    }
    if (buffers != null) {
      buffers.close();
    }
  }
}
