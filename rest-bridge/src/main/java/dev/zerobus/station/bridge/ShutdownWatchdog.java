package dev.zerobus.station.bridge;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Makes SIGTERM end the process whatever state it is in: once shutdown begins, a graceful shutdown
 * that has not finished within its limit is cut short with {@link Runtime#halt}. The thread is
 * started with the bridge, so a process short of memory or threads at shutdown still has it.
 */
final class ShutdownWatchdog {
  private final CountDownLatch began = new CountDownLatch(1);

  ShutdownWatchdog(Duration limit) {
    this(limit, () -> Runtime.getRuntime().halt(1));
  }

  /** @param halt what ends the process (tests hand in something observable) */
  ShutdownWatchdog(Duration limit, Runnable halt) {
    Thread thread = new Thread(() -> {
      try {
        began.await();
        Thread.sleep(limit.toMillis()); // the limit itself, not a synchronisation
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("zerobus-station: shutdown did not finish within " + limit.toSeconds() + " s; halting");
      halt.run();
    }, "zerobus-station-shutdown-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  void shutdownBegan() {
    began.countDown();
  }
}
