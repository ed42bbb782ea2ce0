package dev.zerobus.station.bridge;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The process-wide budget for request bodies being read or held (raw, inflated, and the array
 * handed to the encoder): every byte is charged as it arrives and given back once the body is
 * encoded or its request ends. Past the budget a request gets 503 instead of more memory, so many
 * large bodies at once cost at most the budget, not an OutOfMemoryError.
 */
final class BodyBudget {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  BodyBudget(long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("the request body budget must be at least 1 byte, got " + limit);
    }
    this.limit = limit;
  }

  /** A quarter of the heap the JVM may use: room for bodies, their records in the queues, and everything else. */
  static long defaultLimit() {
    return Runtime.getRuntime().maxMemory() / 4;
  }

  /** Charges {@code bytes}; false (nothing charged) when they would pass the budget. */
  boolean tryCharge(long bytes) {
    while (true) {
      long now = used.get();
      if (now + bytes > limit) {
        return false;
      }
      if (used.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  long limit() {
    return limit;
  }

  long used() {
    return used.get();
  }
}
