package dev.zerobus.station.core.delivery;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One thread for every lane's timers (backoff, cooldown, ack and idle watches). A timer only posts
 * an event to its lane's strand; the lane decides, when it runs, whether the timer still matters.
 */
final class Timers implements AutoCloseable {
  private final ScheduledThreadPoolExecutor scheduler;

  Timers() {
    scheduler = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "zerobus-timers");
      t.setDaemon(true);
      return t;
    });
    scheduler.setRemoveOnCancelPolicy(true);
  }

  void after(long millis, Runnable post) {
    if (!scheduler.isShutdown()) {
      scheduler.schedule(post, Math.max(0, millis), TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
