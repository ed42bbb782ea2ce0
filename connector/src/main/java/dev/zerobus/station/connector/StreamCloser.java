package dev.zerobus.station.connector;

import dev.zerobus.station.core.delivery.StreamManager;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a stopping task's streams, waiting at most {@code flush.timeout.ms}, and leaves the rest of
 * the closing to a background thread.
 *
 * <p>Connect gives a stopping task task.shutdown.graceful.timeout.ms (5 s by default) in all, and
 * the offset commit just before stop() already waited up to flush.timeout.ms for acks; what is
 * still not durable after that was not committed and is read again, so it must not hold up the
 * worker.
 */
final class StreamCloser {
  private static final Logger log = LoggerFactory.getLogger(StreamCloser.class);

  private StreamCloser() {}

  static void close(StreamManager streams, Duration timeout) {
    Thread closer = new Thread(() -> {
      long notDurable = streams.close(timeout);
      if (notDurable > 0) {
        log.warn("{} records were not durable when the task stopped; their offsets were not committed and they will"
            + " be read again", notDurable);
      }
    }, "zerobus-close");
    closer.setDaemon(true);
    closer.start();
    try {
      closer.join(Math.max(1, timeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (closer.isAlive()) {
      log.info("Zerobus streams are still closing after {} ms; the task stops now and they finish in the background",
          timeout.toMillis());
    }
  }
}
