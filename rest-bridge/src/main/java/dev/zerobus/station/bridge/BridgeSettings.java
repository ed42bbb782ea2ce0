package dev.zerobus.station.bridge;

import java.time.Duration;

/**
 * The HTTP side's settings (the encoder's and the streams' are core's Settings, which both faces share).
 *
 * @param ackTimeout how long a request waits for the SDK (wait_for_ack=false) or for the durable
 *     ack (wait_for_ack=true) before answering 504
 * @param maxBodyBytes larger bodies get 413
 * @param acceptPartialBatches by default a batch with any invalid record is refused whole; with
 *     this (or ?accept_partial=true) the valid ones are ingested and the rest reported
 * @param auth bearer tokens, or null for none
 * @param tls the listener's TLS, closed (its reloading stopped) with the server, or null for plain HTTP
 * @param shutdownTimeout how long shutdown waits for in-flight requests and acks
 * @param edge connection limits, timeouts, access log, CORS and idempotency columns
 */
record BridgeSettings(
    String host,
    int port,
    Duration ackTimeout,
    long maxBodyBytes,
    boolean acceptPartialBatches,
    BearerAuth auth,
    Tls tls,
    Duration shutdownTimeout,
    EdgeSettings edge) {

  static final long DEFAULT_MAX_BODY_BYTES = 10L << 20;

  static BridgeSettings defaults(String host, int port) {
    return new BridgeSettings(host, port, Duration.ofSeconds(30), DEFAULT_MAX_BODY_BYTES, false, null, null,
        Duration.ofSeconds(30), EdgeSettings.DEFAULTS);
  }

  BridgeSettings withAuth(BearerAuth auth) {
    return new BridgeSettings(host, port, ackTimeout, maxBodyBytes, acceptPartialBatches, auth, tls, shutdownTimeout, edge);
  }

  BridgeSettings withTls(Tls tls) {
    return new BridgeSettings(host, port, ackTimeout, maxBodyBytes, acceptPartialBatches, auth, tls, shutdownTimeout, edge);
  }

  BridgeSettings withLimits(Duration ackTimeout, long maxBodyBytes, boolean acceptPartialBatches) {
    return new BridgeSettings(host, port, ackTimeout, maxBodyBytes, acceptPartialBatches, auth, tls, shutdownTimeout, edge);
  }

  BridgeSettings withShutdownTimeout(Duration timeout) {
    return new BridgeSettings(host, port, ackTimeout, maxBodyBytes, acceptPartialBatches, auth, tls, timeout, edge);
  }

  BridgeSettings withEdge(EdgeSettings edge) {
    return new BridgeSettings(host, port, ackTimeout, maxBodyBytes, acceptPartialBatches, auth, tls, shutdownTimeout, edge);
  }
}
