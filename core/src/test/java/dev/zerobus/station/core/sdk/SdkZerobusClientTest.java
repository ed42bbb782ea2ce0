package dev.zerobus.station.core.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.config.DatabricksSettings;
import dev.zerobus.station.core.delivery.ZerobusFailure;
import dev.zerobus.station.core.delivery.ZerobusFailure.Kind;
import org.junit.jupiter.api.Test;

/**
 * The SDK's own messages (SDK 1.0.1, seen against the emulator) classified and rewritten: the
 * failure model's classes, and plain one-line sentences that keep the service's reason.
 */
class SdkZerobusClientTest {
  static final DatabricksSettings DB = new DatabricksSettings("http://127.0.0.1:50051", "1", "http://127.0.0.1:8089");

  static ZerobusFailure classify(String message, boolean nonRetriable, boolean opening) {
    ZerobusFailure f = SdkZerobusClient.classify(message, nonRetriable, opening, DB);
    assertFalse(f.getMessage().contains("MetadataMap"), f.getMessage());
    assertFalse(f.getMessage().contains("details: []"), f.getMessage());
    assertFalse(f.getMessage().contains("\n"), f.getMessage());
    return f;
  }

  @Test
  void aRecordRefusedAtIngestIsARecordFailure() {
    ZerobusFailure f = classify("Invalid argument: table main.declared.narrow, record 1 at offset 1: field 'temp' value"
        + " 1000 is out of range for TINYINT.", false, false);
    assertEquals(Kind.RECORD, f.kind());
    assertEquals("INVALID_ARGUMENT: table main.declared.narrow, record 1 at offset 1: field 'temp' value 1000 is out of"
        + " range for TINYINT", f.getMessage());
  }

  @Test
  void aSchemaMismatchAtCreateIsATableFailureNamingTheColumn() {
    ZerobusFailure f = classify("Failed to create stream: status: InvalidArgument, message: \"table main.declared.other:"
        + " descriptor field 'humidity' is not a column (columns: device_name, temp, extra)\", details: [], metadata:"
        + " MetadataMap { headers: {} }.", true, true);
    assertEquals(Kind.TABLE, f.kind());
    assertEquals("INVALID_ARGUMENT: table main.declared.other: descriptor field 'humidity' is not a column (columns:"
        + " device_name, temp, extra)", f.getMessage());
  }

  @Test
  void notFoundPermissionAndUnauthenticatedAreTableFailures() {
    for (String code : new String[] {"NotFound", "PermissionDenied", "Unauthenticated"}) {
      ZerobusFailure f = classify("Failed to create stream: status: " + code + ", message: \"why\", details: [],"
          + " metadata: MetadataMap { headers: {} }.", true, true);
      assertEquals(Kind.TABLE, f.kind(), code);
      assertTrue(f.getMessage().endsWith(": why"), f.getMessage());
    }
    assertTrue(classify("Failed to create stream: status: PermissionDenied, message: \"no MODIFY\", details: [],"
        + " metadata: MetadataMap { headers: {} }.", true, true).getMessage().startsWith("PERMISSION_DENIED: no MODIFY"));
  }

  @Test
  void tokenEndpointRefusalsAreTableFailuresThatPointAtTheCredentials() {
    ZerobusFailure f = classify("Specified UC token is in invalid format: Client error (401): {\n  \"error\":"
        + " \"invalid_client\",\n  \"error_description\": \"invalid client credentials\"\n}", true, true);
    assertEquals(Kind.TABLE, f.kind());
    assertTrue(f.getMessage().contains("HTTP 401") && f.getMessage().contains("invalid client credentials")
        && f.getMessage().contains("DATABRICKS_CLIENT_SECRET"), f.getMessage());
    assertEquals(Kind.TABLE, classify("Specified UC token is in invalid format: Client error (403): {}", true, true)
        .kind());
  }

  @Test
  void unavailableServicesAndTokenEndpointsAreRetried() {
    ZerobusFailure connect = classify("Failed to create stream: status: Unavailable, message: \"tcp connect error\","
        + " details: [], metadata: MetadataMap { headers: {} }.", false, true);
    assertEquals(Kind.UNAVAILABLE, connect.kind());
    assertEquals("cannot connect to the Zerobus endpoint http://127.0.0.1:50051 (UNAVAILABLE: tcp connect error)",
        connect.getMessage());
    ZerobusFailure token503 = classify("Token fetch failed: Unity catalog server error (503): {\n \"error\": \"busy\"\n}",
        false, true);
    assertEquals(Kind.UNAVAILABLE, token503.kind());
    assertTrue(token503.getMessage().contains("HTTP 503"), token503.getMessage());
    ZerobusFailure unreachable = classify("Token fetch failed: Network error: error sending request for url"
        + " (http://127.0.0.1:9/oidc/v1/token)", false, true);
    assertEquals(Kind.UNAVAILABLE, unreachable.kind());
    assertTrue(unreachable.getMessage().startsWith("cannot reach the workspace's OAuth token endpoint"),
        unreachable.getMessage());
    assertEquals(Kind.UNAVAILABLE, classify("Failed to create stream: status: ResourceExhausted, message: \"too"
        + " much\", details: [], metadata: MetadataMap { headers: {} }.", false, true).kind());
    assertEquals(Kind.UNAVAILABLE, classify("Stream is closed: status: Internal, message: \"Stream closed\", details:"
        + " [], metadata: MetadataMap { headers: {} }", false, false).kind());
  }

  @Test
  void aMessageOverTheSizeLimitIsARecordFailure() {
    ZerobusFailure f = classify("Stream failed: status: ResourceExhausted, message: \"gRPC message exceeds maximum"
        + " size 10485760: 10485900\", details: [], metadata: MetadataMap { headers: {} }", false, false);
    assertEquals(Kind.RECORD, f.kind());
  }
}
