package dev.zerobus.station.core.delivery;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The lane's parts, each on its own: the ledger, the bisection, the strand. */
class LanePartsTest {

  private static IngestTicket ticket(String... records) {
    List<byte[]> rs = new ArrayList<>();
    for (String r : records) {
      rs.add(r.getBytes(StandardCharsets.UTF_8));
    }
    return new IngestTicket("t", rs, 0, 1);
  }

  private static Call call(IngestTicket t) {
    return new Call(List.of(new Slice(t, 0, t.records())));
  }

  @Test
  void theLedgerSettlesCumulativelyAndReplaysInOrderAcrossStreams() {
    AckLedger ledger = new AckLedger();
    Call a = call(ticket("a"));
    Call b = call(ticket("b", "b"));
    Call c = call(ticket("c"));
    ledger.streamOpened();
    assertFalse(ledger.sent(0, a));
    assertFalse(ledger.sent(1, b));
    assertEquals(3, ledger.inflightRecords());
    assertEquals(List.of(a), ledger.ackUpTo(0));
    assertEquals(List.of(), ledger.ackUpTo(0), "a repeated ack settles nothing");
    ledger.notSent(c); // its send failed: first in line
    ledger.streamReplaced(); // b was not acknowledged: it goes before c
    assertEquals(3, ledger.inflightRecords(), "b and c still count in the window");
    ledger.streamOpened();
    assertEquals(b, ledger.nextReplay());
    assertFalse(ledger.sent(0, b), "offsets start over on the new stream: 0 is not acknowledged there");
    assertEquals(c, ledger.nextReplay());
    assertNull(ledger.nextReplay());
    ledger.sent(1, c);
    assertEquals(List.of(b, c), ledger.ackUpTo(1));
    assertTrue(ledger.quiet());
    assertEquals(0, ledger.inflightRecords());
  }

  /** Runs a bisection against a stream that refuses the records {@code bad} picks; returns the refused. */
  private static List<String> isolate(List<String> records, Predicate<String> bad) {
    return isolate(records, bad, 2 * records.size() + 2);
  }

  /** @param maxAttempts attempts (streams) the isolation may take: 2 log2(n) + 2 for one bad record, 2n for all */
  private static List<String> isolate(List<String> records, Predicate<String> bad, int maxAttempts) {
    IngestTicket t = ticket(records.toArray(new String[0]));
    List<String> refused = new ArrayList<>();
    Bisection b = new Bisection(List.of(new Slice(t, 0, t.records())), "refused");
    int attempts = 0;
    for (List<Slice> next = b.next((s, why) -> refused.add(new String(s.records().get(0))));
        next != null; next = b.next((s, why) -> refused.add(new String(s.records().get(0))))) {
      attempts++;
      List<Slice> unacked = new ArrayList<>();
      boolean failed = false;
      for (Slice s : next) { // a stream acks in order until the first refused record, which ends it
        for (int i = s.from(); i < s.to(); i++) {
          if (failed || bad.test(new String(t.recordList().get(i), StandardCharsets.UTF_8))) {
            failed = true;
            unacked.add(new Slice(t, i, i + 1));
          }
        }
      }
      if (failed) {
        b.refused(unacked, "refused");
      } else {
        b.landed();
      }
      assertTrue(attempts <= maxAttempts, "the bisection took more than " + maxAttempts + " attempts");
    }
    return refused;
  }

  @Test
  void theBisectionFindsExactlyTheRefusedRecordsInOrder() {
    List<String> records = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      records.add("r" + i);
    }
    assertEquals(List.of("r13"), isolate(records, r -> r.equals("r13"), 2 * 6 + 2));
    assertEquals(List.of("r0", "r31", "r63"), isolate(records, r -> r.equals("r0") || r.equals("r31")
        || r.equals("r63")));
    assertEquals(records, isolate(records, r -> true));
  }

  @Test
  void eventsPostedAfterTheManagerShutTheStrandsPoolDownAreDroppedNotThrown() {
    ExecutorService pool = Executors.newFixedThreadPool(1);
    pool.shutdown();
    Strand strand = new Strand(pool, (t, e) -> { throw new AssertionError(e); });
    // An ack of a stream still closing in the background reaches a closed lane on an SDK thread.
    assertDoesNotThrow(() -> strand.post(() -> { }));
    assertDoesNotThrow(() -> strand.post(() -> { }));
  }

  @Test
  void aStrandRunsEventsOneAtATimeInOrderWhoeverPostsThem() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      Strand strand = new Strand(pool, (t, e) -> { throw new AssertionError(e); });
      List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
      int[] inside = {0};
      List<Integer> overlaps = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch done = new CountDownLatch(8);
      for (int p = 0; p < 8; p++) {
        int producer = p;
        pool.execute(() -> {
          for (int i = 0; i < 1000; i++) {
            int n = producer * 1000 + i;
            Runnable event = () -> {
              if (inside[0]++ != 0) {
                overlaps.add(n);
              }
              seen.add(n);
              inside[0]--;
            };
            if (i % 2 == 0) {
              strand.run(event);
            } else {
              strand.post(event);
            }
          }
          done.countDown();
        });
      }
      assertTrue(done.await(30, TimeUnit.SECONDS));
      CountDownLatch last = new CountDownLatch(1);
      strand.post(last::countDown);
      assertTrue(last.await(30, TimeUnit.SECONDS));
      assertEquals(8000, seen.size());
      assertTrue(overlaps.isEmpty(), "events ran at the same time: " + overlaps.size());
      for (int p = 0; p < 8; p++) {
        int producer = p;
        List<Integer> mine = seen.stream().filter(n -> n / 1000 == producer).toList();
        for (int i = 1; i < mine.size(); i++) {
          assertTrue(mine.get(i) > mine.get(i - 1), "each producer's events in its order");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
