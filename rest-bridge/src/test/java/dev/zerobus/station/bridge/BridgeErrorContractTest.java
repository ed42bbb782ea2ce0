package dev.zerobus.station.bridge;

import static dev.zerobus.station.bridge.BridgeFixture.assertErrorBody;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route, every error status it can give: each answer has the documented JSON body
 * ({"error": text, "status_code": status}, application/json). Statuses that need a Zerobus fault
 * (422, 429, 503 from a stream, 504, 413 for one record too large for a call) are produced in
 * BridgeFaultTest and RefusedRecordTest, which check the same shape.
 */
class BridgeErrorContractTest {
  /** A route and a request that it answers with 200. */
  record Route(String method, String path, String body) {}

  static final List<Route> ROUTES = List.of(
      new Route("GET", "/", null),
      new Route("GET", "/health", null),
      new Route("HEAD", "/health", null),
      new Route("GET", "/health/station_one", null),
      new Route("HEAD", "/health/station_one", null),
      new Route("GET", "/ready", null),
      new Route("HEAD", "/ready", null),
      new Route("POST", "/ingest/station_one", "{\"device_name\": \"contract\"}"),
      new Route("POST", "/flush/station_one", ""),
      new Route("GET", "/metrics", null),
      new Route("GET", "/openapi.json", null),
      new Route("GET", "/docs", null),
      new Route("GET", "/docs/assets/swagger-ui.css", null));
  static final String TOKEN = "Bearer contract-token-0123456789";
  static final String ORIGIN = "https://console.example";

  @TempDir
  Path dir;

  @Test
  void everyRouteAnswersEveryErrorWithTheJsonBody() throws Exception {
    BearerAuth auth = BearerAuth.parse("contract-token-0123456789=station_one");
    try (BridgeFixture bridge = new BridgeFixture(dir, BridgeFixture.FAST, s -> s.withAuth(auth)
        .withEdge(EdgeSettings.DEFAULTS.withCors(List.of(ORIGIN))))) {
      for (Route r : ROUTES) {
        HttpResponse<String> ok = send(bridge, r.method(), r.path(), r.body(), "Authorization", TOKEN);
        assertEquals(200, ok.statusCode(), r + ": " + ok.body());
        assertFalse(ok.headers().firstValue("X-Request-Id").orElse("").isEmpty(), r + " has a request id");

        // Exact paths: a trailing slash or ;parameters is another path.
        if (!r.path().equals("/")) {
          expect(bridge, 404, r.method(), r.path() + "/", r.body(), "Authorization", TOKEN);
        }
        expect(bridge, 404, r.method(), r.path() + ";jsessionid=1", r.body(), "Authorization", TOKEN);
        expect(bridge, 405, r.method().equals("POST") ? "GET" : "DELETE", r.path(), null, "Authorization", TOKEN);
        expect(bridge, 431, r.method(), r.path(), r.body(), "X-Padding", "p".repeat(20_000));
        expect(bridge, 403, "OPTIONS", r.path(), null, "Origin", "https://elsewhere.example",
            "Access-Control-Request-Method", r.method());
        HttpResponse<String> preflight = send(bridge, "OPTIONS", r.path(), null, "Origin", ORIGIN,
            "Access-Control-Request-Method", r.method());
        assertEquals(204, preflight.statusCode(), r.toString());
        assertEquals(ORIGIN, preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertEquals(ORIGIN, send(bridge, r.method(), r.path(), r.body(), "Authorization", TOKEN, "Origin", ORIGIN)
            .headers().firstValue("Access-Control-Allow-Origin").orElse(""), r.toString());
      }

      // Per-table routes: the caller is checked before the table, so without a token an unknown table looks like
      // a known one (401), and a token gets 403 for a table it does not name, whether or not it exists.
      for (String path : List.of("/ingest/", "/flush/", "/health/")) {
        String method = path.equals("/health/") ? "GET" : "POST";
        String body = method.equals("POST") ? "{}" : null;
        HttpResponse<String> unknown = expect(bridge, 401, method, path + "nowhere", body);
        assertFalse(unknown.body().contains("station_two"), "no table list without a token: " + unknown.body());
        expect(bridge, 401, method, path + "station_one", body);
        expect(bridge, 403, method, path + "station_two", body, "Authorization", TOKEN);
        expect(bridge, 403, method, path + "nowhere", body, "Authorization", TOKEN);
      }
      expect(bridge, 404, "GET", "/docs/assets/missing.js", null);
      expect(bridge, 404, "GET", "/" + "x".repeat(10_000), null);

      // Ingest's own refusals.
      String ingest = "/ingest/station_one";
      expect(bridge, 400, "POST", ingest, "{\"temp\": \"warm\"}", "Authorization", TOKEN, "Content-Type", "application/json");
      expect(bridge, 400, "POST", ingest, "{not json", "Authorization", TOKEN, "Content-Type", "application/json");
      expect(bridge, 400, "POST", ingest + "?wait_for_ack=maybe", "{}", "Authorization", TOKEN);
      expect(bridge, 400, "POST", ingest + "?table=station_two", "{}", "Authorization", TOKEN);
      expect(bridge, 415, "POST", ingest, "{}", "Authorization", TOKEN, "Content-Type", null);
      expect(bridge, 415, "POST", ingest, "{}", "Authorization", TOKEN, "Content-Type", "text/plain");
      expect(bridge, 415, "POST", ingest, "{}", "Authorization", TOKEN, "Content-Encoding", "br");
      expect(bridge, 413, "POST", ingest, "[" + " ".repeat((int) BridgeSettings.DEFAULT_MAX_BODY_BYTES) + "]",
          "Authorization", TOKEN);
    }
  }

  @Test
  void shutdownAnswers503WithRetryAfterOnEveryRouteAndAnswersWhatIsInFlight() throws Exception {
    BridgeFixture bridge = new BridgeFixture(dir, BridgeFixture.FAST, s -> s.withShutdownTimeout(Duration.ofSeconds(3)));
    try {
      assertEquals(200, bridge.get("/ready").statusCode());
      bridge.emulator.faults().withholdAcks("main.default.station_one");
      CompletableFuture<HttpResponse<String>> waiting = bridge.http.sendAsync(
          HttpRequest.newBuilder(URI.create(bridge.server.url() + "/ingest/station_one?wait_for_ack=true"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"device_name\": \"waiting\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      await("the request in flight").atMost(Duration.ofSeconds(30)).until(() -> bridge.server.requestsInFlight() == 1);

      CompletableFuture<Void> shutdown = CompletableFuture.runAsync(bridge.server::shutdown);
      await("shutdown begun").atMost(Duration.ofSeconds(30)).until(() -> bridge.get("/health").statusCode() == 503);
      List<String> refused = new ArrayList<>();
      for (Route r : ROUTES) {
        HttpResponse<String> answer = send(bridge, r.method(), r.path(), r.body());
        assertEquals(503, answer.statusCode(), r.toString());
        assertEquals("5", answer.headers().firstValue("Retry-After").orElse(""), r.toString());
        if (!r.method().equals("HEAD")) {
          assertErrorBody(answer, 503);
        }
        refused.add(r.path());
      }
      assertEquals(ROUTES.size(), refused.size());

      // The request waiting for its ack is answered, with the JSON body, before the listener closes.
      HttpResponse<String> answered = waiting.get(30, TimeUnit.SECONDS);
      assertTrue(answered.statusCode() == 503 || answered.statusCode() == 500, answered.body());
      assertErrorBody(answered, answered.statusCode());
      assertTrue(answered.body().contains("may still land") || answered.body().contains("did not take"), answered.body());
      shutdown.get(30, TimeUnit.SECONDS);
    } finally {
      bridge.emulator.faults().releaseAcks("main.default.station_one");
      bridge.close();
    }
  }

  private static HttpResponse<String> expect(BridgeFixture bridge, int status, String method, String path, String body,
      String... headers) throws Exception {
    HttpResponse<String> r = send(bridge, method, path, body, headers);
    assertEquals(status, r.statusCode(), method + " " + abbreviated(path) + ": " + r.body());
    if (!method.equals("HEAD")) {
      assertErrorBody(r, status);
      assertTrue(r.body().length() < 1024, method + " " + abbreviated(path) + ": " + r.body().length() + " characters");
    }
    return r;
  }

  static HttpResponse<String> send(BridgeFixture bridge, String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(bridge.server.url() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    boolean typed = false;
    for (int i = 0; i < headers.length; i += 2) {
      if (headers[i].equalsIgnoreCase("Content-Type")) {
        typed = true;
        if (headers[i + 1] == null) {
          continue; // no Content-Type at all
        }
      }
      b.header(headers[i], headers[i + 1]);
    }
    if (!typed && body != null && !body.isEmpty()) {
      b.header("Content-Type", "application/json");
    }
    return bridge.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String abbreviated(String path) {
    return path.length() > 80 ? path.substring(0, 80) + "..." : path;
  }
}
