package dev.zerobus.station.bridge;

import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.delivery.TableHealth;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Every table's streams opened before the bridge listens, so a bridge that cannot write says why at once. */
final class StreamsAtStartup {
  private StreamsAtStartup() {}

  /**
   * Opens every table's streams.
   *
   * @throws StartupException naming the table, the endpoint and the cause
   */
  static void openAll(StreamManager manager, Duration timeout) {
    Map<String, CompletableFuture<Void>> opening = new LinkedHashMap<>();
    for (String table : manager.registry().keys()) {
      opening.put(table, manager.open(table));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    String endpoint = manager.registry().config().databricks().serverEndpoint();
    for (Map.Entry<String, CompletableFuture<Void>> e : opening.entrySet()) {
      String table = e.getKey();
      String name = manager.registry().find(table).orElseThrow().tableName();
      try {
        e.getValue().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException failed) {
        String cause = failed.getCause().getMessage();
        String named = "table " + table + " (" + name + "): ";
        throw new StartupException(named.substring(0, named.length() - 2) + " on " + endpoint + ": "
            + (cause.startsWith(named) ? cause.substring(named.length()) : cause));
      } catch (TimeoutException slow) {
        TableHealth health = manager.health(table);
        throw new StartupException("table " + table + " (" + name + ") on " + endpoint + ": no stream within "
            + timeout.toSeconds() + " s (" + (health.lastError() == null ? "still opening" : health.lastError())
            + "); --lazy-streams starts without waiting");
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        throw new StartupException("interrupted while opening streams");
      }
    }
  }

  /** Start-up cannot go on; the message is the one line the process prints before it exits. */
  static final class StartupException extends RuntimeException {
    StartupException(String message) {
      super(message, null, false, false);
    }
  }
}
