package dev.zerobus.station.bridge;

import java.time.Duration;
import java.util.List;

/**
 * What the bridge takes from the network and what it tells operators and browsers: connection
 * limits and timeouts, the access log, CORS, and the idempotency columns.
 *
 * @param maxHeaderBytes request line plus headers above this get 431; the HTTP parser itself cuts
 *     off at {@link #parserHeaderBytes()} (400, connection closed)
 * @param requestParseTimeout a request's line and headers must arrive within this (slowloris)
 * @param readIdleTimeout a connection that sends nothing for this long while a request (or its
 *     body) is being read is closed
 * @param noRequestTimeout a keep-alive connection with no request for this long is closed
 * @param maxConnections connections beyond this wait in the listen backlog until others close
 * @param accessLog the access log's format, or OFF
 * @param corsOrigins origins browsers may call from ({@code *}: any); empty: no CORS
 * @param requestIdColumn filled with the request id in tables that have such a column; empty: never
 * @param recordIndexColumn filled with the record's index in its request in tables that have it
 * @param bodyReadTimeout a request's whole body must arrive within this (408 otherwise)
 * @param maxInflightBodyBytes request bodies being read or held, in all, at most (503 past it)
 */
record EdgeSettings(
    int maxHeaderBytes,
    Duration requestParseTimeout,
    Duration readIdleTimeout,
    Duration noRequestTimeout,
    int maxConnections,
    AccessLog accessLog,
    List<String> corsOrigins,
    String requestIdColumn,
    String recordIndexColumn,
    Duration bodyReadTimeout,
    long maxInflightBodyBytes) {

  /** Access-log line formats: Apache's common and combined (both with the request id and duration), or none. */
  enum AccessLog { COMBINED, COMMON, OFF }

  static final EdgeSettings DEFAULTS = new EdgeSettings(16 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(30),
      Duration.ofSeconds(20), 1000, AccessLog.COMBINED, List.of(), "_request_id", "_record_index",
      Duration.ofSeconds(60), BodyBudget.defaultLimit());

  EdgeSettings {
    corsOrigins = List.copyOf(corsOrigins);
    if (maxHeaderBytes < 1024) {
      throw new IllegalArgumentException("max header bytes must be at least 1024, got " + maxHeaderBytes);
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("max connections must be at least 1, got " + maxConnections);
    }
    if (maxInflightBodyBytes < 1) {
      throw new IllegalArgumentException("max in-flight body bytes must be at least 1, got " + maxInflightBodyBytes);
    }
    if (bodyReadTimeout.isNegative() || bodyReadTimeout.isZero()) {
      throw new IllegalArgumentException("the body read timeout must be positive, got " + bodyReadTimeout);
    }
  }

  /** Where Undertow's parser stops reading headers: far enough above the limit that oversize ones still get a 431. */
  int parserHeaderBytes() {
    return maxHeaderBytes * 8;
  }

  EdgeSettings withTimeouts(Duration requestParse, Duration readIdle, Duration noRequest) {
    return new EdgeSettings(maxHeaderBytes, requestParse, readIdle, noRequest, maxConnections, accessLog, corsOrigins,
        requestIdColumn, recordIndexColumn, bodyReadTimeout,
        maxInflightBodyBytes);
  }

  EdgeSettings withConnections(int maxHeaderBytes, int maxConnections) {
    return new EdgeSettings(maxHeaderBytes, requestParseTimeout, readIdleTimeout, noRequestTimeout, maxConnections,
        accessLog, corsOrigins, requestIdColumn, recordIndexColumn, bodyReadTimeout,
        maxInflightBodyBytes);
  }

  EdgeSettings withAccessLog(AccessLog accessLog) {
    return new EdgeSettings(maxHeaderBytes, requestParseTimeout, readIdleTimeout, noRequestTimeout, maxConnections,
        accessLog, corsOrigins, requestIdColumn, recordIndexColumn, bodyReadTimeout,
        maxInflightBodyBytes);
  }

  EdgeSettings withCors(List<String> origins) {
    return new EdgeSettings(maxHeaderBytes, requestParseTimeout, readIdleTimeout, noRequestTimeout, maxConnections,
        accessLog, origins, requestIdColumn, recordIndexColumn, bodyReadTimeout,
        maxInflightBodyBytes);
  }

  EdgeSettings withIdempotencyColumns(String requestIdColumn, String recordIndexColumn) {
    return new EdgeSettings(maxHeaderBytes, requestParseTimeout, readIdleTimeout, noRequestTimeout, maxConnections,
        accessLog, corsOrigins, requestIdColumn, recordIndexColumn, bodyReadTimeout,
        maxInflightBodyBytes);
  }

  EdgeSettings withBodyLimits(Duration bodyReadTimeout, long maxInflightBodyBytes) {
    return new EdgeSettings(maxHeaderBytes, requestParseTimeout, readIdleTimeout, noRequestTimeout, maxConnections,
        accessLog, corsOrigins, requestIdColumn, recordIndexColumn, bodyReadTimeout, maxInflightBodyBytes);
  }
}
