package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The served OpenAPI document passes swagger-parser's validation with no messages, with and without auth. */
class OpenApiValidationTest {
  @TempDir
  Path dir;

  static final String TOKEN = "openapi-validation-token";

  @Test
  void theDocumentIsValidAndComplete() throws Exception {
    check(BridgeFixture.start(dir.resolve("open")), false);
    check(new BridgeFixture(dir.resolve("auth"), BridgeFixture.FAST,
        s -> s.withAuth(BearerAuth.parse(TOKEN + "=*"))), true);
  }

  @Test
  void theValidatorDoesReportProblems() {
    // No info.version, an operation without responses: what the check above would catch in ours.
    SwaggerParseResult bad = new OpenAPIParser().readContents(
        "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"x\"}, \"paths\": {\"/a\": {\"get\": {}}}}", null, null);
    assertFalse(bad.getMessages().isEmpty());
  }

  private static void check(BridgeFixture bridge, boolean auth) throws Exception {
    try (bridge) {
      ParseOptions options = new ParseOptions();
      options.setResolve(true);
      options.setValidateInternalRefs(true);
      String document = bridge.http.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(bridge.server.url() + "/openapi.json")).header("Authorization", "Bearer " + TOKEN).GET()
          .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      SwaggerParseResult result = new OpenAPIParser().readContents(document, null, options);
      assertTrue(result.getMessages() == null || result.getMessages().isEmpty(), "validator: " + result.getMessages());
      OpenAPI api = result.getOpenAPI();
      assertNotNull(api);
      assertFalse(api.getServers().isEmpty(), "servers");
      assertEquals(OpenApi.LICENSE, api.getInfo().getLicense().getName());
      Set<String> ids = new HashSet<>();
      api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
        String where = method + " " + path;
        assertNotNull(op.getOperationId(), where + " has an operationId");
        assertTrue(ids.add(op.getOperationId()), where + ": operationId " + op.getOperationId() + " is unique");
        assertTrue(has4xx(op), where + " documents a 4xx answer");
        if (auth && (path.startsWith("/ingest/") || path.startsWith("/flush/"))) {
          assertTrue(op.getResponses().containsKey("401") && op.getSecurity() != null, where + " with auth");
        }
      }));
      assertTrue(ids.size() >= 15, "operations: " + ids);
    }
  }

  private static boolean has4xx(Operation op) {
    return op.getResponses().keySet().stream().anyMatch(code -> code.startsWith("4"));
  }
}
