package dev.zerobus.station.connector;

import dev.zerobus.station.core.Credentials;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * The live part of validation: asks the workspace for an OAuth token with the connector's
 * credentials, as the SDK does before it opens a stream (client credentials, {@code POST
 * <workspace>/oidc/v1/token}), so bad credentials show at validation rather than in a failed task.
 */
final class TokenCheck {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private TokenCheck() {}

  /** What went wrong; unreachable points at the workspace URL, otherwise at the credentials. */
  record Problem(boolean unreachable, String message) {}

  /** @return null when the workspace issued a token */
  static Problem fetch(String workspaceUrl, Credentials credentials) {
    URI uri;
    try {
      uri = URI.create(workspaceUrl.replaceAll("/+$", "") + "/oidc/v1/token");
    } catch (IllegalArgumentException e) {
      return new Problem(true, "workspace URL " + workspaceUrl + " is not a URL: " + e.getMessage());
    }
    String basic = Base64.getEncoder().encodeToString(
        (credentials.clientId() + ":" + credentials.clientSecret()).getBytes(StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
        .header("Authorization", "Basic " + basic)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&scope="
            + URLEncoder.encode("all-apis", StandardCharsets.UTF_8)))
        .build();
    HttpResponse<String> response;
    try {
      response = HttpClient.newBuilder().connectTimeout(TIMEOUT).build()
          .send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new Problem(true, "cannot fetch a token from " + uri + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Problem(true, "interrupted while fetching a token from " + uri);
    }
    if (response.statusCode() == 200 && response.body().contains("access_token")) {
      return null;
    }
    String body = response.body().length() > 300 ? response.body().substring(0, 300) + "..." : response.body();
    return new Problem(false, "the workspace refused a token for client id '" + credentials.clientId() + "' (HTTP "
        + response.statusCode() + " from " + uri + "): " + body);
  }
}
