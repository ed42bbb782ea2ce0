package dev.zerobus.station.bridge;

import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.config.StreamSettings.Setting;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.delivery.TableHealth;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Core's stream settings as bridge options: one {@code --key-with-dashes} option per
 * {@link Setting}, with env {@code ZEROBUS_KEY}, so defaults, bounds and docs are core's.
 */
public final class StreamOptions implements IModelTransformer {

  @Override
  public CommandSpec transform(CommandSpec spec) {
    for (Setting s : Setting.values()) {
      spec.addOption(OptionSpec.builder(s.option())
          .paramLabel("<n>")
          .type(String.class)
          .defaultValue("${env:" + s.env() + "}")
          .description(s.doc() + " (env " + s.env() + "; default " + s.defaultValue() + ")")
          .build());
    }
    return spec;
  }

  /** The settings as given on the command line or in the environment; bounds checked by core. */
  static StreamSettings settings(CommandSpec spec) {
    return StreamSettings.parse(s -> spec.findOption(s.option()).getValue(), Setting::option);
  }

  /**
   * Opens every table's streams, so a bridge that cannot write says why before it listens.
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
