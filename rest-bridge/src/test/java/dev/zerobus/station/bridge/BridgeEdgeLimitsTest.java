package dev.zerobus.station.bridge;

import static dev.zerobus.station.bridge.BridgeFixture.assertErrorBody;
import static dev.zerobus.station.bridge.BridgeFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust boundary at the HTTP edge: no small request costs much (rejection bombs, the body
 * budget, the total body time), the path alone names the table, browsers cannot write cross-site,
 * idle sockets cannot lock requests out, and shutdown never answers 4xx for what it did not judge.
 */
class BridgeEdgeLimitsTest {
  /** Every answer is at most this: a client's input may make it longer only up to a bound. */
  static final int MAX_ANSWER_BYTES = 64 * 1024;
  static final Duration ANSWERED_WITHIN = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  private BridgeFixture start(UnaryOperator<BridgeSettings> customize) throws IOException {
    return new BridgeFixture(dir, BridgeFixture.FAST, customize);
  }

  private static HttpResponse<String> post(BridgeFixture bridge, String path, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(bridge.server.url() + path)).timeout(ANSWERED_WITHIN)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return bridge.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(plain);
    }
    return out.toByteArray();
  }

  /** 10 KB of gzip that inflates, within the 10 MiB limit, to five million records that are not objects. */
  @Test
  void aRejectionBombIsAnsweredWithTheFirstHundredAndTheCount() throws Exception {
    int records = 5_242_871;
    byte[] body = new byte[2 * records + 1];
    body[0] = '[';
    for (int i = 0; i < records; i++) {
      body[1 + 2 * i] = '1';
      body[2 + 2 * i] = (byte) (i == records - 1 ? ']' : ',');
    }
    byte[] bomb = gzip(body);
    assertTrue(bomb.length < 20_000, bomb.length + " bytes of gzip");
    try (BridgeFixture bridge = start(s -> s)) {
      HttpResponse<String> r = post(bridge, "/ingest/station_one", bomb, "Content-Type", "application/json",
          "Content-Encoding", "gzip");
      assertErrorBody(r, 400);
      assertTrue(r.body().length() <= MAX_ANSWER_BYTES, r.body().length() + " characters");
      JsonNode answer = json(r);
      assertEquals(records, answer.get("rejected_count").asInt());
      assertEquals(100, answer.get("rejected").size());
      assertEquals(99, answer.get("rejected").get(99).get("index").asInt());
      assertTrue(answer.get("error").asText().startsWith("Validation error: " + records + " of " + records),
          answer.get("error").asText());
      assertEquals(200, bridge.get("/health").statusCode());
    }
  }

  @Test
  void fourMillionBadNdjsonLinesAreAnsweredSmall() throws Exception {
    byte[] body = "1\n".repeat(4_000_000).getBytes(StandardCharsets.US_ASCII);
    try (BridgeFixture bridge = start(s -> s)) {
      HttpResponse<String> r = post(bridge, "/ingest/station_one", body, "Content-Type", "application/x-ndjson");
      assertErrorBody(r, 400);
      assertTrue(r.body().length() <= MAX_ANSWER_BYTES, r.body().length() + " characters");
      assertEquals(4_000_000, json(r).get("rejected_count").asInt());
      assertEquals(100, json(r).get("rejected").size());
    }
  }

  /** A partial batch keeps its good records and reports the first hundred bad ones with the count of all. */
  @Test
  void aPartialBatchWithManyBadRecordsReportsTheFirstHundred() throws Exception {
    StringBuilder batch = new StringBuilder("[");
    for (int i = 0; i < 300; i++) {
      batch.append(i == 0 ? "" : ",").append(i % 3 == 0 ? "{\"device_name\": \"good-" + i + "\"}" : "{\"temp\": \"x\"}");
    }
    try (BridgeFixture bridge = start(s -> s)) {
      HttpResponse<String> r = post(bridge, "/ingest/station_one?accept_partial=true&wait_for_ack=true",
          batch.append("]").toString().getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
      assertEquals(200, r.statusCode(), r.body());
      JsonNode answer = json(r);
      assertEquals("partial", answer.get("status").asText());
      assertEquals(100, answer.get("records").asInt());
      assertEquals(200, answer.get("rejected_count").asInt());
      assertEquals(100, answer.get("rejected").size());
      assertEquals(1, answer.get("rejected").get(0).get("index").asInt());
    }
  }

  @Test
  void aBodyPastTheProcessBudgetGets503BeforeItIsRead() throws Exception {
    try (BridgeFixture bridge = start(s -> s.withEdge(s.edge().withBodyLimits(Duration.ofSeconds(60), 64 * 1024)))) {
      byte[] big = ("[" + "{\"device_name\": \"budget\"},".repeat(10_000) + "{}]").getBytes(StandardCharsets.UTF_8);
      HttpResponse<String> r = post(bridge, "/ingest/station_one", big, "Content-Type", "application/json");
      assertErrorBody(r, 503);
      assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
      assertTrue(json(r).get("error").asText().contains("--max-inflight-body-bytes"), r.body());
      byte[] bomb = gzip(("[" + "{\"device_name\": \"gzip-budget\"},".repeat(10_000) + "{}]")
          .getBytes(StandardCharsets.UTF_8));
      assertTrue(bomb.length < 64 * 1024);
      assertErrorBody(post(bridge, "/ingest/station_one", bomb, "Content-Type", "application/json",
          "Content-Encoding", "gzip"), 503);
      // What was refused never landed, and the budget is whole again for a body that fits.
      HttpResponse<String> small = post(bridge, "/ingest/station_one?wait_for_ack=true",
          "{\"device_name\": \"fits\"}".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
      assertEquals(200, small.statusCode(), small.body());
      assertFalse(bridge.emulator.rowValues("main.default.station_one").toString().contains("budget"));
    }
  }

  /** One byte every 100 ms is never idle for a read timeout; the whole body's time limit ends it. */
  @Test
  void aTrickledBodyIsCutOffByItsTotalTimeLimit() throws Exception {
    try (BridgeFixture bridge = start(s -> s.withEdge(s.edge().withBodyLimits(Duration.ofSeconds(1), 1 << 30)));
        Socket socket = new Socket("127.0.0.1", bridge.server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /ingest/station_one HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100000\r\n\r\n[").getBytes(StandardCharsets.US_ASCII));
      socket.setSoTimeout(100); // paces the trickle: a read that times out is the next byte's turn
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      byte[] buf = new byte[4096];
      while (System.nanoTime() < deadline) {
        try {
          int n = socket.getInputStream().read(buf);
          if (n < 0) {
            break;
          }
          answer.write(buf, 0, n);
          if (answer.toString(StandardCharsets.US_ASCII).contains("}")) {
            break;
          }
        } catch (java.net.SocketTimeoutException quiet) {
          try {
            out.write(' ');
          } catch (IOException closed) {
            break;
          }
        }
      }
      String text = answer.toString(StandardCharsets.US_ASCII);
      assertTrue(text.startsWith("HTTP/1.1 408"), text);
      assertTrue(text.contains("did not arrive within 1 s"), text);
    }
  }

  @Test
  void theTableComesFromThePathOnly() throws Exception {
    try (BridgeFixture bridge = start(s -> s)) {
      for (String query : List.of("?table=station_two", "?%74able=station_two", "?wait_for_ack=true&TABLE=station_two")) {
        HttpResponse<String> r = post(bridge, "/ingest/station_one" + query,
            "{\"device_name\": \"override\"}".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
        assertErrorBody(r, 400);
        assertTrue(json(r).get("error").asText().contains("named by the path only"), r.body());
      }
      assertEquals(400, bridge.http.send(HttpRequest.newBuilder(URI.create(bridge.server.url()
          + "/health/station_one?table=station_two")).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(400, post(bridge, "/flush/station_one?table=station_two", new byte[0]).statusCode());
      assertTrue(bridge.emulator.rowValues("main.default.station_two").isEmpty());
      assertTrue(bridge.emulator.rowValues("main.default.station_one").isEmpty());
    }
  }

  @Test
  void aPageFromAnotherOriginCannotWrite() throws Exception {
    try (BridgeFixture bridge = start(s -> s)) {
      byte[] record = "{\"device_name\": \"cross-site\"}".getBytes(StandardCharsets.UTF_8);
      assertErrorBody(post(bridge, "/ingest/station_one?wait_for_ack=true", record, "Content-Type", "application/json",
          "Origin", "https://attacker.example"), 403);
      assertErrorBody(post(bridge, "/ingest/station_one?wait_for_ack=true", record, "Origin", "null"), 403);
      assertErrorBody(post(bridge, "/flush/station_one", new byte[0], "Origin", "https://attacker.example"), 403);
      // The bridge's own pages (its /docs) call it from its own origin.
      HttpResponse<String> own = post(bridge, "/ingest/station_one?wait_for_ack=true",
          "{\"device_name\": \"same-origin\"}".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json",
          "Origin", bridge.server.url());
      assertEquals(200, own.statusCode(), own.body());
      String landed = bridge.emulator.rowValues("main.default.station_one").toString();
      assertFalse(landed.contains("cross-site"), landed);
      assertTrue(landed.contains("same-origin"), landed);
    }
  }

  /** A page on a rebinding DNS name reaches the loopback bridge as its own origin; its Host gives it away. */
  @Test
  void aLoopbackBridgeAnswersOnlyToLoopbackHostNames() throws Exception {
    try (BridgeFixture bridge = start(s -> s)) {
      String request = "POST /ingest/station_one HTTP/1.1\r\nHost: rebind.attacker.example:%d\r\nOrigin:"
          + " http://rebind.attacker.example:%d\r\nContent-Type: application/json\r\nContent-Length: 29\r\n"
          + "Connection: close\r\n\r\n{\"device_name\": \"rebinding\"}";
      try (Socket s = new Socket("127.0.0.1", bridge.server.port())) {
        s.getOutputStream().write(request.formatted(bridge.server.port(), bridge.server.port())
            .getBytes(StandardCharsets.US_ASCII));
        String answer = BridgeHostileInputTest.readAll(s, Duration.ofSeconds(30));
        assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
      }
      for (String host : List.of("localhost", "127.0.0.1", "[::1]")) {
        try (Socket s = new Socket("127.0.0.1", bridge.server.port())) {
          s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: " + host + ":" + bridge.server.port()
              + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          String answer = BridgeHostileInputTest.readAll(s, Duration.ofSeconds(30));
          assertTrue(answer.startsWith("HTTP/1.1 200"), host + ": " + answer);
        }
      }
      assertFalse(bridge.emulator.rowValues("main.default.station_one").toString().contains("rebinding"));
    }
  }

  @Test
  void loopbackNamesAndTableParametersAreRecognisedExactly() {
    for (String host : List.of("localhost", "LOCALHOST:8000", "app.localhost:1", "127.0.0.1", "127.0.0.1:8000",
        "127.10.200.3", "[::1]", "[::1]:8000")) {
      assertTrue(Cors.loopbackName(host), host);
    }
    for (String host : List.of("evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "1270.0.0.1",
        "127.1", "127.0.0.1000", "[::1]evil", "[::2]", "mylocalhost")) {
      assertFalse(Cors.loopbackName(host), host);
    }
    for (String query : List.of("table=x", "a=1&Table=2", "%74able=1", "+table=1", "table")) {
      assertTrue(Tables.namesTableInQuery(query), query);
    }
    for (String query : List.of("tables=1", "wait_for_ack=true", "x=table", "", "a=1&b=2")) {
      assertFalse(Tables.namesTableInQuery(query), query);
    }
  }

  @Test
  void withTokensACallerWithoutOneGetsLivenessOnly() throws Exception {
    String token = "status-token-0123456789";
    try (BridgeFixture bridge = start(s -> s.withAuth(BearerAuth.parse(token + "=station_one")))) {
      bridge.emulator.faults().refuseStreams("main.default.station_two", io.grpc.Status.Code.PERMISSION_DENIED,
          "secret-ish detail from the workspace", 0);
      HttpResponse<String> health = bridge.get("/health");
      assertEquals(200, health.statusCode());
      assertEquals(List.of("status"), fieldNames(json(health)));
      HttpResponse<String> ready = bridge.get("/ready");
      assertFalse(ready.body().contains("station") || ready.body().contains("secret-ish"), ready.body());
      for (String path : List.of("/", "/metrics", "/health/station_one", "/health/station_two", "/health/nowhere")) {
        HttpResponse<String> r = bridge.get(path);
        assertErrorBody(r, 401);
        assertFalse(r.body().contains("station_two"), path + ": " + r.body());
      }
      String openApi = bridge.get("/openapi.json").body();
      assertFalse(openApi.contains("station_one") || openApi.contains("device_name"), "no tables without a token");

      HttpResponse<String> withToken = bridge.http.send(HttpRequest.newBuilder(URI.create(bridge.server.url() + "/health"))
          .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(json(withToken).has("active_streams"), withToken.body());
      HttpResponse<String> fullApi = bridge.http.send(HttpRequest.newBuilder(URI.create(bridge.server.url()
          + "/openapi.json")).header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(fullApi.body().contains("/ingest/station_one"));
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /**
   * Idle sockets holding every connection slot do not lock a new request out until the idle timeout:
   * the longest idle ones are closed to make room.
   */
  @Test
  void idleConnectionsMakeRoomForNewRequests() throws Exception {
    EdgeSettings edge = EdgeSettings.DEFAULTS.withConnections(16 * 1024, 8)
        .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(300), Duration.ofSeconds(300));
    List<Socket> idle = new ArrayList<>();
    try (BridgeFixture bridge = start(s -> s.withEdge(edge))) {
      for (int i = 0; i < 3 * edge.maxConnections(); i++) {
        idle.add(new Socket("127.0.0.1", bridge.server.port()));
      }
      // The bridge accepts sockets after the kernel has, one by one, and keeps at most maxConnections - 1 of these
      // open. Once it has closed the rest it has taken them all, so the late one is newer than every idle one
      // (it would otherwise be the idlest when later idle sockets are accepted, and closed itself).
      org.awaitility.Awaitility.await("every idle socket accepted").atMost(Duration.ofSeconds(60))
          .until(() -> closedCount(idle) >= idle.size() - (edge.maxConnections() - 1));
      // Well within the 300 s idle timeout, which is the only other way a slot frees up.
      try (Socket late = new Socket("127.0.0.1", bridge.server.port())) {
        late.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        String answer = BridgeHostileInputTest.readAll(late, Duration.ofSeconds(60));
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
      }
      org.awaitility.Awaitility.await("idle connections closed to make room").atMost(Duration.ofSeconds(60))
          .until(() -> closedCount(idle) >= 2 * edge.maxConnections());
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
  }

  private static long closedCount(List<Socket> sockets) throws IOException {
    long closed = 0;
    for (Socket s : sockets) {
      // A short look at each: closedWithin counts whole milliseconds, so less than 2 ms would never read.
      if (s.isInputShutdown()) {
        closed++;
      } else if (BridgeHostileInputTest.closedWithin(s, Duration.ofMillis(20))) {
        s.shutdownInput(); // remembered, so the next look does not read again
        closed++;
      }
    }
    return closed;
  }

  /**
   * Under a running load, shutdown answers every request it did not finish with 503 (JSON, Retry-After)
   * or closes the connection before any byte: never a 4xx, which would tell a client not to retry.
   */
  @Test
  void shutdownUnderLoadNeverAnswers4xx() throws Exception {
    BridgeFixture bridge = start(s -> s.withShutdownTimeout(Duration.ofSeconds(5)));
    List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger retryLater = new java.util.concurrent.atomic.AtomicInteger();
    List<Thread> clients = new ArrayList<>();
    try {
      assertEquals(200, bridge.get("/ready").statusCode());
      bridge.emulator.faults().delayAcks("main.default.station_one", Duration.ofMillis(300));
      CountDownLatch warm = new CountDownLatch(16);
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      for (int c = 0; c < 16; c++) {
        int client = c;
        Thread t = new Thread(() -> {
          HttpClient http = HttpClient.newHttpClient();
          for (int i = 0; !stop.get(); i++) {
            try {
              HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(bridge.server.url()
                      + "/ingest/station_one?wait_for_ack=true")).header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"device_name\": \"c" + client + "-" + i + "\"}")).build(),
                  HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() == 200) {
                answered.incrementAndGet();
                warm.countDown();
              } else if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent()
                  && r.body().startsWith("{")) {
                retryLater.incrementAndGet();
              } else {
                unexpected.add(r.statusCode() + " " + r.body());
              }
            } catch (IOException closedBeforeAnAnswer) {
              return; // the listener is gone: allowed, nothing was answered
            } catch (InterruptedException e) {
              return;
            }
          }
        });
        t.start();
        clients.add(t);
      }
      assertTrue(warm.await(60, TimeUnit.SECONDS), "every client was answered once before the shutdown");
      bridge.server.shutdown();
      stop.set(true);
      for (Thread t : clients) {
        t.join(TimeUnit.SECONDS.toMillis(60));
      }
      assertTrue(unexpected.isEmpty(), unexpected.size() + " unexpected answers, first: "
          + unexpected.subList(0, Math.min(3, unexpected.size())));
      assertTrue(answered.get() >= 16, answered + " answered 200");
    } finally {
      clients.forEach(Thread::interrupt);
      bridge.close();
    }
  }
}
