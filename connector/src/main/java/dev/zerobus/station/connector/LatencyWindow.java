package dev.zerobus.station.connector;

import java.util.Arrays;

/**
 * The most recent latencies (at most {@code capacity}, none older than {@code maxAgeMs}) in a fixed
 * ring, for percentiles read by a metrics reporter: memory stays bounded however fast acks come.
 */
final class LatencyWindow {
  private final long[] latencies;
  private final long[] recordedAt;
  private final long maxAgeMs;
  private int next;
  private int size;

  LatencyWindow(int capacity, long maxAgeMs) {
    this.latencies = new long[capacity];
    this.recordedAt = new long[capacity];
    this.maxAgeMs = maxAgeMs;
  }

  synchronized void add(long latency, long nowMs) {
    latencies[next] = latency;
    recordedAt[next] = nowMs;
    next = (next + 1) % latencies.length;
    size = Math.min(size + 1, latencies.length);
  }

  /** The p-quantile (0 < p ≤ 1, nearest rank) of the latencies in the window; -1 when it holds none. */
  long percentile(double p, long nowMs) {
    long[] recent;
    int n = 0;
    synchronized (this) {
      recent = new long[size];
      for (int i = 0; i < size; i++) {
        if (nowMs - recordedAt[i] <= maxAgeMs) {
          recent[n++] = latencies[i];
        }
      }
    }
    if (n == 0) {
      return -1;
    }
    Arrays.sort(recent, 0, n);
    return recent[Math.max(0, (int) Math.ceil(p * n) - 1)];
  }
}
