package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PartitionOffsetsTest {
  @Test
  void commitPointStopsAtTheOldestRecordNotDurable() {
    PartitionOffsets p = new PartitionOffsets();
    assertEquals(-1, p.committable());
    CompletableFuture<Void> a = new CompletableFuture<>();
    CompletableFuture<Void> b = new CompletableFuture<>();
    CompletableFuture<Void> c = new CompletableFuture<>();
    p.sent(10, 19, a);
    p.sent(20, 29, b);
    p.handled(30); // a tombstone
    p.sent(31, 40, c);
    assertEquals(10, p.committable());
    b.complete(null); // acks may complete out of order across calls; the commit point may not jump
    assertEquals(10, p.committable());
    a.complete(null);
    assertEquals(31, p.committable());
    c.completeExceptionally(new RuntimeException("refused"));
    assertEquals(31, p.committable(), "a failed batch is never committed past");
    assertTrue(p.outstanding().isEmpty(), "c is done (failed): nothing to wait for");
  }

  @Test
  void redeliveredRecordsAreRecognised() {
    PartitionOffsets p = new PartitionOffsets();
    p.sent(0, 99, CompletableFuture.completedFuture(null));
    assertTrue(p.alreadyHandled(99));
    assertFalse(p.alreadyHandled(100));
    p.handled(100);
    assertTrue(p.alreadyHandled(100));
    assertEquals(101, p.committable());
  }

  @Test
  void behindCountsWhatWasPutAndIsNotCommittableYet() {
    PartitionOffsets p = new PartitionOffsets();
    assertEquals(0, p.behind(), "nothing put");
    for (long o = 50; o < 60; o++) {
      p.put(o);
    }
    assertEquals(10, p.behind(), "put, not taken (Zerobus could not take them yet)");
    CompletableFuture<Void> a = new CompletableFuture<>();
    p.sent(50, 54, a);
    p.sent(55, 59, CompletableFuture.completedFuture(null));
    assertTrue(p.awaitingAnswers());
    assertEquals(10, p.behind(), "the later call is acknowledged, but the commit point waits for the first");
    a.complete(null);
    assertFalse(p.awaitingAnswers());
    assertEquals(0, p.behind());
    p.put(55); // handed over again after a rewind: not counted twice
    assertEquals(0, p.behind());
  }
}
