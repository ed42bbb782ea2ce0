package dev.zerobus.station.core.delivery;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a lane waits before it opens a stream again after a loss: 100 ms × 2^(n−1), capped,
 * with jitter so that many lanes do not retry in step, n counting the losses since the last ack.
 * A failure found without asking the service (a refused TCP connection) is probed again within a
 * second, so recovery follows the server's return.
 */
final class Backoff {
  private static final long FIRST_MILLIS = 100;
  private static final long CHEAP_RETRY_MAX_MILLIS = 1_000;

  private final long capMillis;
  private int losses;

  Backoff(Duration cap) {
    this.capMillis = cap.toMillis();
  }

  /** Counts one more loss and gives the pause before the next attempt. */
  long nextPauseMillis(boolean cheapToRetry) {
    losses++;
    long base = Math.min(capMillis, FIRST_MILLIS << Math.min(losses - 1, 20));
    long pause = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    return cheapToRetry ? Math.min(pause, CHEAP_RETRY_MAX_MILLIS) : pause;
  }

  /** An ack arrived: the stream works again. */
  void reset() {
    losses = 0;
  }

  /** Losses since the last ack. */
  int losses() {
    return losses;
  }

  /** Whether to log this attempt: 1, 2, 4, 8, …, so an outage is a few lines, not one per probe. */
  boolean worthALine() {
    return Integer.bitCount(losses) == 1;
  }
}
