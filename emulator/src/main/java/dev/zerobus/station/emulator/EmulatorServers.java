package dev.zerobus.station.emulator;

import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The emulator's listeners, each on its own port: the gRPC ingest service, the workspace (token
 * endpoint and catalog API) and the admin API (unless its port is -1). They start and stop
 * together; the gRPC server alone can also go away and come back on its port ({@link #restart}),
 * which is what a client sees when the service moves its streams.
 */
final class EmulatorServers {
  private final ZerobusEmulator.Builder settings;
  private final ZerobusService service;
  private final TokenIssuer tokens;
  private final HttpServer workspace;
  private final HttpServer admin;
  private final int grpcPort;
  private Server grpc;

  /** Starts all three; when one cannot listen, stops those already started and throws. */
  EmulatorServers(ZerobusEmulator.Builder settings, ZerobusService service, TokenIssuer tokens,
      Map<String, HttpJson.Handler> workspaceRoutes, HttpJson.Handler adminApi) throws IOException {
    this.settings = settings;
    this.service = service;
    this.tokens = tokens;
    boolean started = false;
    HttpServer ws = null;
    HttpServer adm = null;
    try {
      this.grpc = grpcServer(settings.grpcPort).start();
      this.grpcPort = grpc.getPort();
      ws = HttpJson.start(settings.host, settings.workspacePort, "emulator-workspace", workspaceRoutes);
      adm = settings.adminPort < 0 ? null
          : HttpJson.start(settings.host, settings.adminPort, "emulator-admin", Map.of("/", adminApi));
      started = true;
    } finally {
      this.workspace = ws;
      this.admin = adm;
      if (!started) {
        close();
      }
    }
  }

  int grpcPort() {
    return grpcPort;
  }

  int workspacePort() {
    return workspace.getAddress().getPort();
  }

  /** The admin API's port, or -1 when it is off. */
  int adminPort() {
    return admin == null ? -1 : admin.getAddress().getPort();
  }

  /**
   * Stops the gRPC server (every open stream fails with UNAVAILABLE), stays down for
   * {@code downtime}, and starts again on the same port.
   */
  synchronized void restart(Duration downtime) {
    grpc.shutdownNow();
    service.abortAll(Status.UNAVAILABLE.withDescription("emulator restarting"));
    try {
      grpc.awaitTermination(10, TimeUnit.SECONDS);
      Thread.sleep(downtime.toMillis());
      grpc = grpcServer(grpcPort).start();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while restarting", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + grpcPort + " again", e);
    }
  }

  synchronized void close() {
    if (grpc != null) {
      grpc.shutdownNow();
      try {
        grpc.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    HttpJson.stop(workspace);
    HttpJson.stop(admin);
  }

  private Server grpcServer(int port) {
    return NettyServerBuilder.forAddress(new InetSocketAddress(settings.host, port))
        .addService(ServerInterceptors.intercept(service, new CallGate(tokens)))
        .maxInboundMessageSize(settings.maxMessageBytes)
        // Handle messages on the transport thread: our handlers never wait on the network, and a
        // hop to an executor per message costs more than the work itself for single records.
        .directExecutor()
        .build();
  }
}
