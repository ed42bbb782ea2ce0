package dev.zerobus.station.core.config;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP client the core asks the workspace with (OAuth tokens, Unity Catalog). The JDK's client
 * keeps a cached thread per request in flight for a minute by default; hundreds of tables opened at
 * once would leave hundreds of idle threads. This one has two, gone after ten idle seconds.
 */
public final class WorkspaceHttp {
  private WorkspaceHttp() {}

  /** A client with its own two daemon threads named {@code name}-n; redirects are never followed. */
  public static HttpClient client(String name, Duration connectTimeout) {
    AtomicInteger count = new AtomicInteger();
    ThreadPoolExecutor threads = new ThreadPoolExecutor(2, 2, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, name + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    threads.allowCoreThreadTimeOut(true);
    return HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NEVER)
        .executor(threads).build();
  }
}
