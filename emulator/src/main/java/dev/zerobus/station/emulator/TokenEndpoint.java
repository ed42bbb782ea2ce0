package dev.zerobus.station.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.zerobus.station.emulator.HttpJson.Failure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The workspace's OAuth endpoint, {@code POST /oidc/v1/token}: client credentials (HTTP Basic, or
 * client_id/client_secret in the form) for a bearer token scoped to the table named in
 * authorization_details, as the SDK asks for it.
 */
final class TokenEndpoint implements HttpJson.Handler {
  static final String PATH = "/oidc/v1/token";

  private final TokenIssuer tokens;
  private final Faults faults;

  TokenEndpoint(TokenIssuer tokens, Faults faults) {
    this.tokens = tokens;
    this.faults = faults;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException, Failure {
    if (!exchange.getRequestURI().getPath().equals(PATH)) {
      throw new Failure(404, "not_found", "the emulated workspace serves only POST " + PATH);
    }
    HttpJson.requireMethod(exchange, "POST");
    int injected = faults.tokenFailure();
    if (injected != 0) {
      throw new Failure(injected, "temporarily_unavailable", "emulator fault injection: token endpoint answers " + injected);
    }
    Map<String, String> form = HttpJson.form(new String(HttpJson.body(exchange), StandardCharsets.UTF_8));
    String[] credentials = basicCredentials(exchange);
    if (credentials == null) {
      credentials = new String[] {form.get("client_id"), form.get("client_secret")};
    }
    if (credentials[0] == null || credentials[1] == null) {
      throw new Failure(401, "invalid_client", "client authentication required: HTTP Basic with client id and secret");
    }
    if (!tokens.accepts(credentials[0], credentials[1])) {
      throw new Failure(401, "invalid_client", "invalid client credentials for client_id '" + credentials[0] + "'");
    }
    if (!"client_credentials".equals(form.get("grant_type"))) {
      throw new Failure(400, "unsupported_grant_type", "grant_type must be client_credentials, got " + form.get("grant_type"));
    }
    String table = tableOf(form.get("authorization_details"));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("access_token", tokens.issue(table));
    answer.put("token_type", "Bearer");
    answer.put("expires_in", tokens.ttl().toSeconds());
    answer.put("scope", form.getOrDefault("scope", "all-apis"));
    HttpJson.send(exchange, 200, answer);
  }

  private static String[] basicCredentials(HttpExchange exchange) throws Failure {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new Failure(401, "invalid_client", "Authorization: Basic value is not base64");
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new Failure(401, "invalid_client", "Authorization: Basic value is not id:secret");
    }
    return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
  }

  /** The TABLE privilege's object_full_path, or null when the request names no table. */
  private static String tableOf(String authorizationDetails) throws Failure {
    if (authorizationDetails == null || authorizationDetails.isBlank()) {
      return null;
    }
    JsonNode details;
    try {
      details = HttpJson.MAPPER.readTree(authorizationDetails);
    } catch (IOException e) {
      throw new Failure(400, "invalid_request", "authorization_details is not JSON");
    }
    for (JsonNode d : details) {
      if ("TABLE".equals(d.path("object_type").asText())) {
        return d.path("object_full_path").asText(null);
      }
    }
    return null;
  }
}
