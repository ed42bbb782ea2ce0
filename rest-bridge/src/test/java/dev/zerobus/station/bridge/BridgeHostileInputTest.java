package dev.zerobus.station.bridge;

import static dev.zerobus.station.bridge.BridgeFixture.assertErrorBody;
import static dev.zerobus.station.bridge.BridgeFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an attacker on the network can send: slow and partial requests are cut off by the
 * timeouts, oversize headers and bodies (chunked or gzip) get their JSON error, idle connections
 * are closed, and the bridge stays healthy with its memory bounded afterwards.
 */
class BridgeHostileInputTest {
  static final long LIMIT = 256 * 1024;
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(3);
  /** Short timeouts so each attack is cut off in about a second. */
  static final EdgeSettings EDGE = EdgeSettings.DEFAULTS
      .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(2))
      .withConnections(16 * 1024, 8);
  /** Well above every timeout: a connection still open then was not cut off. */
  static final Duration CUT_OFF_WITHIN = Duration.ofSeconds(15);

  @TempDir
  static Path dir;
  static BridgeFixture bridge;
  static long rssBefore;

  @BeforeAll
  static void start() throws Exception {
    bridge = new BridgeFixture(dir, BridgeFixture.FAST,
        s -> s.withLimits(ACK_TIMEOUT, LIMIT, false).withEdge(EDGE));
    assertEquals(200, bridge.postJson("/ingest/station_one", "{\"device_name\": \"warm-up\"}").statusCode());
    rssBefore = rssBytes();
  }

  @AfterAll
  static void healthyAndBoundedAfterwards() throws Exception {
    try {
      HttpResponse<String> ok = bridge.postJson("/ingest/station_one?wait_for_ack=true", "{\"device_name\": \"after\"}");
      assertEquals(200, ok.statusCode(), ok.body());
      assertEquals("healthy", json(bridge.get("/health")).get("status").asText());
      long grown = rssBytes() - rssBefore;
      // Every attack here is held to a limit of 256 KB (or 128 KB of headers); 256 MB of growth
      // would mean one of them buffered what it should have refused.
      assertTrue(grown < 256L << 20, "RSS grew by " + (grown >> 20) + " MB");
    } finally {
      bridge.close();
    }
  }

  @Test
  void slowlorisHeadersAreCutOffByTheParseTimeout() throws Exception {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      out.write("POST /ingest/station_one HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      long started = System.nanoTime();
      boolean closed = false;
      // One header byte every 200 ms (pacing the attack, not waiting for the server): never idle
      // long enough for the read timeout, so only the parse timeout can end it.
      while (!closed && System.nanoTime() - started < CUT_OFF_WITHIN.toNanos()) {
        try {
          out.write('x');
          out.flush();
          closed = closedWithin(s, Duration.ofMillis(200));
        } catch (IOException reset) {
          closed = true;
        }
      }
      assertTrue(closed, "a request whose headers trickle in is closed by the parse timeout");
    }
  }

  @Test
  void aBodyShorterThanItsContentLengthIsCutOffByTheReadTimeout() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(("POST /ingest/station_one HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
          + "\r\nContent-Length: 100\r\n\r\n{\"device_name\"").getBytes(StandardCharsets.US_ASCII));
      assertTrue(closedWithin(s, CUT_OFF_WITHIN), "a body that stops coming is closed by the read timeout");
    }
  }

  @Test
  void waitingForAnAckIsNotAReadTimeout() throws Exception {
    // The read timeout is 1 s; Zerobus does not acknowledge: the request waits the 3 s ack timeout
    // and gets its 504 answer, the connection is not cut off for being quiet meanwhile.
    bridge.emulator.faults().withholdAcks("main.default.station_one");
    try {
      HttpResponse<String> r = bridge.postJson("/ingest/station_one?wait_for_ack=true", "{\"device_name\": \"slow-ack\"}");
      assertErrorBody(r, 504);
    } finally {
      bridge.emulator.faults().releaseAcks("main.default.station_one");
    }
  }

  /** Connections beyond the limit make room by closing the idlest (BridgeEdgeLimitsTest); here, the idle timeout. */
  @Test
  void anIdleConnectionIsClosedByTheIdleTimeout() throws Exception {
    try (Socket idle = connect()) {
      assertTrue(closedWithin(idle, CUT_OFF_WITHIN), "an idle connection is closed");
    }
  }

  @Test
  void oversizeHeadersGet431WithTheJsonBody() throws Exception {
    HttpResponse<String> r = bridge.http.send(HttpRequest.newBuilder(URI.create(bridge.server.url() + "/health"))
        .header("X-Padding", "a".repeat(100 * 1024)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertErrorBody(r, 431);
    assertTrue(json(r).get("error").asText().contains("the limit is 16384"), r.body());
    // Past the parser's own cut-off (8 times the limit) the connection is closed without reading on.
    try (Socket s = connect()) {
      s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "a".repeat(200 * 1024)
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String answer = readAll(s, CUT_OFF_WITHIN);
      assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 400"), answer);
    } catch (IOException reset) {
      // The server closed while the rest of the headers were still being sent: also cut off.
    }
  }

  @Test
  void aChunkedBodyOverTheLimitGets413WithTheJsonBody() throws Exception {
    byte[] body = ("[" + "{\"device_name\": \"chunked\"},".repeat((int) (LIMIT / 20)) + "{}]").getBytes(StandardCharsets.UTF_8);
    assertTrue(body.length > LIMIT);
    HttpResponse<String> r = bridge.http.send(HttpRequest.newBuilder(URI.create(bridge.server.url() + "/ingest/station_one"))
        .header("Content-Type", "application/json")
        // An InputStream of unknown length goes out chunked.
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertErrorBody(r, 413);
    assertTrue(json(r).get("error").asText().contains("the limit is " + LIMIT), r.body());
  }

  @Test
  void aClientThatSendsItsWholeChunkedBodyBeforeReadingStillGets413AndKeepsTheConnection() throws Exception {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      out.write(("POST /ingest/station_one HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[16 * 1024];
      java.util.Arrays.fill(chunk, (byte) ' ');
      // Twice the limit, all written before anything is read (the 413 is answered after the first half).
      for (long sent = 0; sent < 2 * LIMIT; sent += chunk.length) {
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write("0\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answers = readAll(s, CUT_OFF_WITHIN);
      assertTrue(answers.startsWith("HTTP/1.1 413"), answers);
      assertTrue(answers.contains("\"status_code\":413"), answers);
      assertTrue(answers.contains("HTTP/1.1 200"), "the connection served the next request: " + answers);
    }
  }

  @Test
  void gzipBodiesAreInflatedAndAGzipBombGets413() throws Exception {
    HttpResponse<String> ok = postGzip(gzip("[{\"device_name\": \"gz-1\"}, {\"device_name\": \"gz-2\"}]"
        .getBytes(StandardCharsets.UTF_8)));
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals(2, json(ok).get("records").asInt());

    // 64 MB of spaces inside a JSON array: about 64 KB gzipped, well under the limit until inflated.
    ByteArrayOutputStream bomb = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bomb)) {
      gz.write('[');
      byte[] spaces = new byte[1 << 20];
      java.util.Arrays.fill(spaces, (byte) ' ');
      for (int i = 0; i < 64; i++) {
        gz.write(spaces);
      }
      gz.write(']');
    }
    assertTrue(bomb.size() < LIMIT, "the bomb is small: " + bomb.size());
    HttpResponse<String> r = postGzip(bomb.toByteArray());
    assertErrorBody(r, 413);
    assertTrue(json(r).get("error").asText().contains("inflates past the limit"), r.body());

    HttpResponse<String> notGzip = postGzip("{\"device_name\": \"plain\"}".getBytes(StandardCharsets.UTF_8));
    assertErrorBody(notGzip, 400);
    assertTrue(json(notGzip).get("error").asText().contains("not valid gzip"), notGzip.body());
  }

  @Test
  void numberBombsAreRefusedQuicklyWithASmallBody() throws Exception {
    // Warm the encoder's path once so the timings below are the answers, not class loading.
    bridge.postJson("/ingest/station_one", "{\"temp\": 1e5}");
    for (String number : List.of("1e1000000", "9e999999999", "-1e-999999999", "1".repeat(100_000),
        "0." + "0".repeat(100_000) + "1", "1" + "0".repeat(50_000) + "e-50000")) {
      long started = System.nanoTime();
      HttpResponse<String> r = bridge.postJson("/ingest/station_one", "{\"device_name\": \"e\", \"temp\": " + number + "}");
      long millis = (System.nanoTime() - started) / 1_000_000;
      String what = number.substring(0, Math.min(20, number.length())) + " (" + number.length() + " chars)";
      assertEquals(400, r.statusCode(), what + ": " + r.body());
      assertErrorBody(r, 400);
      assertTrue(r.body().length() < 1024, what + ": a " + r.body().length() + "-character answer");
      assertTrue(json(r).get("error").asText().contains("station_one"), what + ": " + r.body());
      // Generous for a busy 2-core machine; before the text check these took seconds.
      assertTrue(millis < 1000, what + " took " + millis + " ms");
      System.out.println("NUMBER-BOMB " + what + ": " + r.statusCode() + ", " + r.body().length() + " chars, " + millis
          + " ms");
    }
  }

  @Test
  void errorBodiesQuoteAtMost200CharactersOfInput() throws Exception {
    String longName = "t".repeat(70_000);
    for (HttpResponse<String> r : List.of(
        bridge.postJson("/ingest/" + longName, "{}"),
        bridge.get("/" + longName),
        bridge.post("/ingest/station_one", "text/" + "p".repeat(5000), "{}"),
        bridge.postJson("/ingest/station_one?wait_for_ack=" + "y".repeat(5000), "{}"))) {
      assertTrue(r.statusCode() >= 400, r.body());
      assertTrue(r.body().length() < 1024, "a " + r.statusCode() + " answer of " + r.body().length() + " characters");
      assertErrorBody(r, r.statusCode());
    }
  }

  private static HttpResponse<String> postGzip(byte[] body) throws IOException, InterruptedException {
    return bridge.http.send(HttpRequest.newBuilder(URI.create(bridge.server.url() + "/ingest/station_one"))
        .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    }
    return out.toByteArray();
  }

  private static Socket connect() throws IOException {
    return new Socket("127.0.0.1", bridge.server.port());
  }

  /** Whether the server closed the connection within the time (reading and dropping what it sends). */
  static boolean closedWithin(Socket s, Duration time) throws IOException {
    long deadline = System.nanoTime() + time.toNanos();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[8192];
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return false;
      }
      s.setSoTimeout((int) left);
      try {
        if (in.read(buf) < 0) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        return false;
      } catch (IOException reset) {
        return true;
      }
    }
  }

  /** Everything the server sends until it closes the connection (or the time is up). */
  static String readAll(Socket s, Duration time) throws IOException {
    long deadline = System.nanoTime() + time.toNanos();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[8192];
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return out.toString(StandardCharsets.ISO_8859_1);
      }
      s.setSoTimeout((int) left);
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException | java.net.SocketException e) {
        return out.toString(StandardCharsets.ISO_8859_1);
      }
      if (n < 0) {
        return out.toString(StandardCharsets.ISO_8859_1);
      }
      out.write(buf, 0, n);
    }
  }

  private static long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
