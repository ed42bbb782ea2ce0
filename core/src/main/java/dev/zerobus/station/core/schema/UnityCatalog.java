package dev.zerobus.station.core.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.WorkspaceHttp;
import dev.zerobus.station.core.errors.CatalogException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * Reads table schemas from Unity Catalog: {@code GET {workspace_url}/api/2.1/unity-catalog/tables/{full_name}}
 * with the service principal's OAuth token from {@code {workspace_url}/oidc/v1/token} (the same
 * credentials the Zerobus SDK uses, asked for as the SDK's proto generator asks: client credentials,
 * scope all-apis). The token is reused until shortly before it expires.
 */
public final class UnityCatalog implements Catalog {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** How long start-up waits for Unity Catalog per request. */
  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final String workspaceUrl;
  private final Credentials credentials;
  private final HttpClient http;
  private final Duration timeout;
  private final Clock clock;
  private final boolean echoAnswers;
  /** The token and its expiry, fetched under the lock by whichever table's read needs it first. */
  private String token;
  private Instant tokenExpires = Instant.MIN;
  /** Once the workspace cannot be reached, later tables are told at once instead of waiting out the timeout again. */
  private volatile CatalogException unreachable;

  public UnityCatalog(String workspaceUrl, Credentials credentials, Duration timeout) {
    this(workspaceUrl, credentials, timeout, true);
  }

  /**
   * @param echoAnswers whether errors may repeat the service's own words; false for a URL the operator
   *     did not choose, whose answers could be any service's content
   */
  public UnityCatalog(String workspaceUrl, Credentials credentials, Duration timeout, boolean echoAnswers) {
    this.echoAnswers = echoAnswers;
    this.workspaceUrl = workspaceUrl.replaceAll("/+$", "");
    this.credentials = credentials;
    this.timeout = timeout;
    this.clock = Clock.systemUTC();
    this.http = WorkspaceHttp.client("unity-catalog", timeout);
  }

  @Override
  public String where() {
    return workspaceUrl;
  }

  /** Safe to call for many tables at once: only the token is fetched under a lock. */
  @Override
  public CatalogTable table(String fullName) throws CatalogException {
    if (unreachable != null) {
      throw unreachable;
    }
    String url = workspaceUrl + "/api/2.1/unity-catalog/tables/" + URLEncoder.encode(fullName, StandardCharsets.UTF_8);
    HttpResponse<String> answer = send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + token())
        .header("Accept", "application/json")
        .timeout(timeout).GET().build(), "GET " + url);
    if (answer.statusCode() == 404) {
      throw new CatalogException(CatalogException.Reason.NOT_FOUND, "Unity Catalog at " + workspaceUrl
          + " has no table " + fullName + errorOf(answer));
    }
    if (answer.statusCode() == 401 || answer.statusCode() == 403) {
      throw new CatalogException(CatalogException.Reason.DENIED, "Unity Catalog at " + workspaceUrl + " refused to"
          + " describe " + fullName + " to client " + credentials.clientId() + " (HTTP " + answer.statusCode() + ")"
          + errorOf(answer));
    }
    if (answer.statusCode() != 200) {
      throw new CatalogException(CatalogException.Reason.UNREACHABLE, "Unity Catalog at " + workspaceUrl
          + " answered HTTP " + answer.statusCode() + " for table " + fullName + errorOf(answer));
    }
    JsonNode info;
    try {
      info = MAPPER.readTree(answer.body());
    } catch (IOException e) {
      throw new CatalogException(CatalogException.Reason.UNREACHABLE, "Unity Catalog at " + workspaceUrl
          + " answered with something other than JSON for table " + fullName);
    }
    return CatalogTable.fromTableInfo(fullName, info);
  }

  private synchronized String token() throws CatalogException {
    if (token != null && clock.instant().isBefore(tokenExpires)) {
      return token;
    }
    String basic = Base64.getEncoder().encodeToString(
        (credentials.clientId() + ":" + credentials.clientSecret()).getBytes(StandardCharsets.UTF_8));
    String url = workspaceUrl + "/oidc/v1/token";
    HttpResponse<String> answer = send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Basic " + basic)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .timeout(timeout)
        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&scope=all-apis")).build(), "POST " + url);
    if (answer.statusCode() == 401 || answer.statusCode() == 403) {
      throw new CatalogException(CatalogException.Reason.DENIED, "the workspace at " + workspaceUrl
          + " refused the client credentials of " + credentials.clientId() + " (HTTP " + answer.statusCode() + ")");
    }
    JsonNode body;
    try {
      body = answer.statusCode() == 200 ? MAPPER.readTree(answer.body()) : null;
    } catch (IOException e) {
      body = null;
    }
    if (body == null || !body.path("access_token").isTextual()) {
      throw new CatalogException(CatalogException.Reason.UNREACHABLE, "the workspace at " + workspaceUrl
          + " gave no OAuth token (HTTP " + answer.statusCode() + ")");
    }
    token = body.path("access_token").asText();
    long seconds = body.path("expires_in").asLong(300);
    tokenExpires = clock.instant().plusSeconds(Math.max(0, seconds - 30));
    return token;
  }

  private HttpResponse<String> send(HttpRequest request, String what) throws CatalogException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      unreachable = new CatalogException(CatalogException.Reason.UNREACHABLE, "cannot reach Unity Catalog at "
          + workspaceUrl + " (" + what.substring(0, what.indexOf(' ')) + "): " + e);
      throw unreachable;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CatalogException(CatalogException.Reason.UNREACHABLE, "interrupted while asking Unity Catalog");
    }
  }

  /** The service's own words, when it gave some and may be repeated: {"error_code": ..., "message": ...}. */
  private String errorOf(HttpResponse<String> answer) {
    if (!echoAnswers) {
      return "";
    }
    try {
      JsonNode e = MAPPER.readTree(answer.body());
      String code = e.path("error_code").asText(e.path("error").asText(""));
      String message = e.path("message").asText(e.path("error_description").asText(""));
      String said = (code + (code.isEmpty() || message.isEmpty() ? "" : ": ") + message).trim();
      return said.isEmpty() ? "" : " (" + (said.length() > 200 ? said.substring(0, 200) + "…" : said) + ")";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
