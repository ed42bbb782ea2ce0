package dev.zerobus.station.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * {@code latency [rate] [seconds] [connections]}: single-record requests with wait_for_ack=true at a
 * fixed rate (an open-loop schedule: request k is due at start + k / rate), to the bridge jar against
 * the discard emulator. A request's latency counts from when it was due, not from when a busy
 * connection got to send it, so a stall shows in the percentiles instead of slowing the load
 * (no coordinated omission). A warm-up at the same rate runs first and is not counted.
 */
final class LatencyBench {
  private LatencyBench() {}

  private static final int WARM_UP_SECONDS = 30;

  /** Latencies (ns) of one run and the answers that were not 200. */
  record Result(long[] nanos, long failed, double achievedRate) {
    double percentileMillis(double p) {
      if (nanos.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.min(nanos.length - 1, Math.ceil(p / 100 * nanos.length) - 1);
      return nanos[Math.max(0, i)] / 1e6;
    }
  }

  static void run(int rate, int seconds, int connections) throws Exception {
    Path dir = Files.createTempDirectory("bench-latency");
    try (EmulatorProcess discard = EmulatorProcess.start(BenchMain.EMULATOR_JAR, true)) {
      BridgeBench.writeConfig(dir, discard);
      Process bridge = BridgeBench.startBridge(dir, discard, 1, BridgeBench.THROUGHPUT_JVM, Map.of());
      try {
        URI url = URI.create(BridgeBench.bridgeUrl(bridge));
        load(url, rate, WARM_UP_SECONDS, connections);
        Map<String, LongSupplier> processes = new LinkedHashMap<>();
        processes.put("bridge", Cpu.of(bridge));
        processes.put("emulator", Cpu.of(discard.process));
        Cpu.Meter meter = new Cpu.Meter(processes);
        Result r = load(url, rate, seconds, connections);
        Cpu.Usage cpu = meter.stop();
        System.out.printf("%nwait_for_ack=true, 1 record/request, at a fixed %,d requests/s over %d connections for %d s"
            + " (after %d s of warm-up), discard emulator%n%n", rate, connections, seconds, WARM_UP_SECONDS);
        System.out.println("| requests | achieved req/s | not 200 | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms"
            + " | bridge µs CPU/request |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        System.out.printf("| %,d | %,.0f | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f |%n", r.nanos().length,
            r.achievedRate(), r.failed(), r.percentileMillis(50), r.percentileMillis(90), r.percentileMillis(99),
            r.percentileMillis(99.9), r.percentileMillis(100), cpu.micros("bridge", r.nanos().length));
      } finally {
        BridgeBench.stop(bridge);
      }
    }
  }

  /** Sends {@code rate * seconds} requests on schedule over {@code connections} kept-alive connections. */
  static Result load(URI url, int rate, int seconds, int connections) throws Exception {
    long total = (long) rate * seconds;
    byte[] request = ("POST /ingest/station_one?wait_for_ack=true HTTP/1.1\r\nHost: " + url.getHost() + ":"
        + url.getPort() + "\r\nContent-Type: application/json\r\nContent-Length: "
        + BridgeBench.RECORD.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + BridgeBench.RECORD)
        .getBytes(StandardCharsets.UTF_8);
    long start = System.nanoTime() + 100_000_000L;
    double interval = 1e9 / rate;
    AtomicLong failed = new AtomicLong();
    List<long[]> perConnection = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int c = 0; c < connections; c++) {
      long[] mine = new long[(int) ((total + connections - 1) / connections)];
      perConnection.add(mine);
      final int first = c;
      Thread t = new Thread(() -> {
        try (Socket socket = new Socket()) {
          socket.setTcpNoDelay(true);
          socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5_000);
          OutputStream out = socket.getOutputStream();
          InputStream in = new BufferedInputStream(socket.getInputStream());
          int n = 0;
          for (long k = first; k < total; k += connections) {
            long due = start + Math.round(k * interval);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
              LockSupport.parkNanos(wait);
            }
            out.write(request);
            out.flush();
            if (readResponse(in) != 200) {
              failed.incrementAndGet();
            }
            mine[n++] = System.nanoTime() - due;
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      }, "latency-load-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    long took = System.nanoTime() - start;
    if (!errors.isEmpty()) {
      throw new IllegalStateException("the load failed: " + errors.get(0), errors.get(0));
    }
    long[] all = new long[(int) total];
    int at = 0;
    for (int c = 0; c < connections; c++) {
      long[] mine = perConnection.get(c);
      long count = (total - c + connections - 1) / connections;
      System.arraycopy(mine, 0, all, at, (int) count);
      at += (int) count;
    }
    Arrays.sort(all);
    return new Result(all, failed.get(), total / (took / 1e9));
  }

  /** Reads one HTTP/1.1 response (Content-Length bodies only, as the bridge sends) and returns its status. */
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
        throw new IOException("the bridge closed the connection");
      }
      if (b != '\r') {
        s.append((char) b);
      }
    }
    return s.toString();
  }
}
