package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatencyWindowTest {
  @Test
  void percentilesByNearestRankOverTheMostRecentSamples() {
    LatencyWindow w = new LatencyWindow(100, 60_000);
    assertEquals(-1, w.percentile(0.5, 0), "no samples");
    for (int i = 1; i <= 100; i++) {
      w.add(i, 1_000);
    }
    assertEquals(50, w.percentile(0.5, 1_000));
    assertEquals(99, w.percentile(0.99, 1_000));
    assertEquals(100, w.percentile(1.0, 1_000));
    for (int i = 0; i < 100; i++) {
      w.add(1_000, 2_000); // a full ring of newer samples replaces the older ones
    }
    assertEquals(1_000, w.percentile(0.5, 2_000));
  }

  @Test
  void samplesOlderThanTheWindowDoNotCount() {
    LatencyWindow w = new LatencyWindow(10, 60_000);
    w.add(500, 0);
    w.add(5, 50_000);
    assertEquals(500, w.percentile(0.99, 59_000));
    assertEquals(5, w.percentile(0.99, 61_000), "the first sample is more than 60 s old");
    assertEquals(-1, w.percentile(0.99, 200_000));
  }
}
