package dev.zerobus.station.core.sdk;

import dev.zerobus.station.core.config.DatabricksSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Whether the Zerobus endpoint and the workspace (token) URL accept TCP connections; a stream is
 * only created when they do.
 *
 * <p>Why: the SDK (1.0.1) reports a failed stream creation from one of its own native threads, where
 * JNI resolves {@code com.databricks.zerobus.ZerobusException} through the system class loader. In
 * a Kafka Connect plugin (or any child class loader) that loader cannot see the SDK, so the report
 * dies with a NoClassDefFoundError and the creation future never completes. Asking the SDK only
 * once the servers take connections keeps it away from that path when they are down; the lane
 * probes again after a short pause. The client also fetches a token first ({@link TokenProbe}), so
 * credentials or grants the workspace refuses fail on a Java thread. Skipped when a proxy is
 * configured, since the SDK then does not connect directly.
 */
final class Reachability {
  private static final int CONNECT_TIMEOUT_MS = 1_000;
  private static final List<String> PROXY_ENV = List.of("grpc_proxy", "https_proxy", "http_proxy", "all_proxy");

  private final List<InetSocketAddress> targets;

  Reachability(List<String> urls, Map<String, String> environment) {
    this.targets = proxied(environment) ? List.of() : addresses(urls);
  }

  static Reachability of(DatabricksSettings db) {
    return new Reachability(List.of(db.serverEndpoint(), db.workspaceUrl()), System.getenv());
  }

  /** False when a proxy is configured: the SDK then does not connect directly, so nothing is checked. */
  boolean checksDirectly() {
    return !targets.isEmpty();
  }

  /** The first target that does not accept a connection now, as host:port, or null when all do. */
  String firstDown() {
    InetSocketAddress down = firstUnreachable();
    return down == null ? null : down.getHostString() + ":" + down.getPort();
  }

  private InetSocketAddress firstUnreachable() {
    for (InetSocketAddress target : targets) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(target.getHostString(), target.getPort()), CONNECT_TIMEOUT_MS);
      } catch (IOException e) {
        return target;
      }
    }
    return null;
  }

  private static boolean proxied(Map<String, String> env) {
    for (String name : PROXY_ENV) {
      String v = env.getOrDefault(name, env.get(name.toUpperCase(Locale.ROOT)));
      if (v != null && !v.isBlank()) {
        return true;
      }
    }
    return false;
  }

  private static List<InetSocketAddress> addresses(List<String> urls) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String url : urls) {
      if (url == null || url.isBlank()) {
        continue;
      }
      try {
        URI uri = URI.create(url.contains("://") ? url.trim() : "https://" + url.trim());
        if (uri.getHost() == null) {
          continue;
        }
        int port = uri.getPort() > 0 ? uri.getPort() : "http".equalsIgnoreCase(uri.getScheme()) ? 80 : 443;
        out.add(InetSocketAddress.createUnresolved(uri.getHost(), port));
      } catch (IllegalArgumentException e) {
        // not a URL the SDK could use either; it reports that itself
      }
    }
    return List.copyOf(out);
  }
}
