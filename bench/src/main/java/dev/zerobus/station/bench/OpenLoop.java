package dev.zerobus.station.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * An open-loop HTTP load: request k is due at start + k / rate, sent on kept-alive connection
 * k mod connections when it is due (or as soon as that connection is free), and timed from when it
 * was due, so a stall shows in the answers' times instead of slowing the load (no coordinated
 * omission). Plain HTTP/1.1 over sockets: the bridge's answers have a Content-Length.
 */
final class OpenLoop {
  private OpenLoop() {}

  /** One request's answer: its number, status, and when it was due and answered (System.nanoTime). */
  record Answer(long k, int status, long dueNanos, long doneNanos) {
    long latencyNanos() {
      return doneNanos - dueNanos;
    }
  }

  /** The answers, in no particular order, and when the load began (request 0's due time). */
  record Run(List<Answer> answers, long startNanos, long endNanos) {}

  /**
   * @param path the request path, e.g. {@code /ingest/t?wait_for_ack=true}
   * @param body request k's JSON body
   */
  static Run run(URI url, String path, int rate, int seconds, int connections, LongFunction<String> body)
      throws InterruptedException {
    long total = (long) rate * seconds;
    long start = System.nanoTime() + 100_000_000L;
    double interval = 1e9 / rate;
    String head = "POST " + path + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
        + "\r\nContent-Type: application/json\r\nContent-Length: ";
    List<List<Answer>> perConnection = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    for (int c = 0; c < connections; c++) {
      List<Answer> mine = new ArrayList<>();
      perConnection.add(mine);
      int first = c;
      Thread t = new Thread(() -> {
        try (Socket socket = new Socket()) {
          socket.setTcpNoDelay(true);
          socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5_000);
          OutputStream out = socket.getOutputStream();
          InputStream in = new BufferedInputStream(socket.getInputStream());
          for (long k = first; k < total; k += connections) {
            byte[] payload = body.apply(k).getBytes(StandardCharsets.UTF_8);
            byte[] request = (head + payload.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
            long due = start + Math.round(k * interval);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
              LockSupport.parkNanos(wait);
            }
            out.write(request);
            out.write(payload);
            out.flush();
            int status = readResponse(in);
            mine.add(new Answer(k, status, due, System.nanoTime()));
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      }, "open-loop-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!errors.isEmpty()) {
      throw new IllegalStateException("the load failed: " + errors.get(0), errors.get(0));
    }
    List<Answer> all = new ArrayList<>();
    perConnection.forEach(all::addAll);
    return new Run(all, start, System.nanoTime());
  }

  /** Reads one HTTP/1.1 response with a Content-Length body and returns its status. */
  private static int readResponse(InputStream in) throws IOException {
    String status = line(in);
    int contentLength = 0;
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
        contentLength = Integer.parseInt(header.substring(colon + 1).trim());
      }
    }
    in.skipNBytes(contentLength);
    String[] parts = status.split(" ");
    if (parts.length < 2) {
      throw new IOException("not an HTTP status line: " + status);
    }
    return Integer.parseInt(parts[1]);
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder s = new StringBuilder();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        throw new IOException("the server closed the connection");
      }
      if (b != '\r') {
        s.append((char) b);
      }
    }
    return s.toString();
  }
}
