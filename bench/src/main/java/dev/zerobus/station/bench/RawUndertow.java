package dev.zerobus.station.bench;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.xnio.Options;

/**
 * The HTTP ceiling for the bridge: Undertow with the bridge's listener settings (rest-bridge
 * BridgeServer with EdgeSettings.DEFAULTS and the default 10 MiB body limit; I/O and worker
 * threads and buffers are Undertow's defaults there too) and a handler that reads the whole body
 * on the I/O thread and answers a fixed JSON like the bridge's 200. Run as its own process
 * ({@code java -cp zerobus-bench.jar dev.zerobus.station.bench.RawUndertow [port]}) so its CPU
 * time is measured apart; it prints {@code Raw Undertow on http://127.0.0.1:<port>}.
 */
public final class RawUndertow {
  // Kept equal to the bridge's defaults: EdgeSettings.DEFAULTS and BridgeMain's --max-body-bytes.
  private static final int MAX_HEADER_BYTES = 16 * 1024;
  private static final int REQUEST_PARSE_TIMEOUT_MS = 10_000;
  private static final int READ_IDLE_TIMEOUT_MS = 30_000;
  private static final int NO_REQUEST_TIMEOUT_MS = 20_000;
  private static final int MAX_CONNECTIONS = 1000;
  private static final long MAX_BODY_BYTES = 10L << 20;
  private static final int DRAIN_FACTOR = 4;

  private static final byte[] ANSWER = ("{\"status\":\"success\",\"table\":\"station_one\",\"message\":\"Record ingested"
      + " successfully\",\"wait_for_ack\":false,\"records\":1,\"offset\":0,\"durable\":false}")
      .getBytes(StandardCharsets.UTF_8);

  private RawUndertow() {}

  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    Undertow server = Undertow.builder()
        .setHandler(exchange -> exchange.getRequestReceiver().receiveFullBytes((ex, body) -> {
          ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
          ex.getResponseSender().send(ByteBuffer.wrap(ANSWER));
        }))
        .setServerOption(UndertowOptions.MAX_HEADER_SIZE, MAX_HEADER_BYTES * 8)
        .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, REQUEST_PARSE_TIMEOUT_MS)
        .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, NO_REQUEST_TIMEOUT_MS)
        .setServerOption(UndertowOptions.RECORD_REQUEST_START_TIME, true)
        .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, DRAIN_FACTOR * MAX_BODY_BYTES)
        .setSocketOption(Options.READ_TIMEOUT, READ_IDLE_TIMEOUT_MS)
        .setSocketOption(Options.CONNECTION_HIGH_WATER, MAX_CONNECTIONS)
        .setSocketOption(Options.CONNECTION_LOW_WATER, MAX_CONNECTIONS)
        .addHttpListener(port, "127.0.0.1")
        .build();
    server.start();
    int actual = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    System.out.println("Raw Undertow on http://127.0.0.1:" + actual);
    System.out.flush();
  }
}
