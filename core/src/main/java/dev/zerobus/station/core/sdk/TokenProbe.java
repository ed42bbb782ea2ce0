package dev.zerobus.station.core.sdk;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.WorkspaceHttp;
import dev.zerobus.station.core.errors.Text;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Asks the workspace for an OAuth token the way the SDK does before it opens a stream (client
 * credentials, {@code POST <workspace>/oidc/v1/token}, scoped to the table when one is given), so
 * that refused credentials or privileges show on a Java thread with a clear message.
 */
public final class TokenProbe {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = WorkspaceHttp.client("token-probe", TIMEOUT);

  private TokenProbe() {}

  /**
   * What went wrong. {@code refused}: the workspace answered 4xx (credentials or privileges; the SDK
   * will not retry that either); otherwise it could not be asked or failed on its side (5xx).
   */
  public record Problem(boolean refused, String message) {}

  /** @return null when the workspace issued a token; a refusal repeats the workspace's answer */
  public static Problem fetch(String workspaceUrl, String workspaceId, String tableName, Credentials credentials) {
    return fetch(workspaceUrl, workspaceId, tableName, credentials, true);
  }

  /**
   * @param echoAnswer whether a refusal may repeat the text the workspace answered; false for a URL
   *     the operator did not choose, whose answer could be any service's content
   * @return null when the workspace issued a token
   */
  public static Problem fetch(String workspaceUrl, String workspaceId, String tableName, Credentials credentials,
      boolean echoAnswer) {
    URI uri;
    try {
      uri = URI.create(workspaceUrl.trim().replaceAll("/+$", "") + "/oidc/v1/token");
    } catch (IllegalArgumentException e) {
      return new Problem(false, "workspace URL " + workspaceUrl + " is not a URL: " + e.getMessage());
    }
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "client_credentials");
    form.put("scope", "all-apis");
    if (tableName != null) {
      form.put("resource", "api://databricks/workspaces/" + workspaceId + "/zerobusDirectWriteApi");
      form.put("authorization_details", authorizationDetails(tableName));
    }
    String body = form.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    String basic = Base64.getEncoder().encodeToString(
        (credentials.clientId() + ":" + credentials.clientSecret()).getBytes(StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
        .header("Authorization", "Basic " + basic)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    HttpResponse<String> response;
    try {
      response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new Problem(false, "cannot fetch a token from " + uri + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Problem(false, "interrupted while fetching a token from " + uri);
    }
    int status = response.statusCode();
    if (status == 200 && response.body().contains("access_token")) {
      return null;
    }
    String answer = echoAnswer ? Text.clip(Text.oneLine(response.body())) : "";
    return new Problem(status >= 400 && status < 500, "the workspace's OAuth token endpoint " + uri + " answered HTTP "
        + status + " for client id '" + credentials.clientId() + "'" + (tableName == null ? "" : " and table "
        + tableName) + (answer.isBlank() ? "" : ": " + answer));
  }

  /** The Unity Catalog privileges a Zerobus token carries: use of the catalog and schema, SELECT and MODIFY on the table. */
  private static String authorizationDetails(String tableName) {
    String[] parts = tableName.split("\\.", 3);
    List<Map<String, Object>> details = new ArrayList<>();
    if (parts.length == 3) {
      details.add(privilege("CATALOG", parts[0], List.of("USE CATALOG")));
      details.add(privilege("SCHEMA", parts[0] + "." + parts[1], List.of("USE SCHEMA")));
    }
    details.add(privilege("TABLE", tableName, List.of("SELECT", "MODIFY")));
    try {
      return JSON.writeValueAsString(details);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> privilege(String type, String path, List<String> privileges) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "unity_catalog_privileges");
    m.put("privileges", privileges);
    m.put("object_type", type);
    m.put("object_full_path", path);
    return m;
  }
}
