package dev.zerobus.station.connector;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One partition's delivery state: which Kafka offsets have been handed to Zerobus and which of
 * those are durable. The committable offset never passes a record that is not durable, so a crash
 * or rebalance can only make records land twice, never be lost.
 */
final class PartitionOffsets {
  /**
   * Records [first, last] of the partition went to Zerobus together; {@code durable} completes when
   * they may be committed (acked, or refused and dead-lettered), {@code settled} when Zerobus has
   * answered for all of them either way (what a flush waits for).
   */
  private record Pending(long first, long last, CompletableFuture<Void> durable, CompletableFuture<?> settled) {}

  private final Deque<Pending> pending = new ArrayDeque<>();
  /** Offsets below this have been handled: sent to Zerobus, skipped or dead-lettered. -1: nothing yet. */
  private long handledUpTo = -1;
  /** The partition was given up; answers still arriving for its records concern its next owner no more. */
  private volatile boolean revoked;
  /** The first and the highest offset Connect handed over (put), taken or not; -1: none yet. */
  private volatile long firstPut = -1;
  private volatile long lastPut = -1;

  void revoke() {
    revoked = true;
  }

  boolean revoked() {
    return revoked;
  }

  /** Connect handed this record over (task thread only). */
  void put(long offset) {
    if (firstPut < 0) {
      firstPut = offset;
    }
    if (offset > lastPut) {
      lastPut = offset;
    }
  }

  /** Records handed over up to the last one put that cannot be committed yet (not durable, or not taken). */
  long behind() {
    long last = lastPut;
    if (last < 0) {
      return 0;
    }
    long next = committable();
    return Math.max(0, last + 1 - (next >= 0 ? next : firstPut));
  }

  /** Whether Connect is handing this record over again (after a retriable put); it was sent already. */
  synchronized boolean alreadyHandled(long offset) {
    return offset < handledUpTo;
  }

  synchronized void sent(long first, long last, CompletableFuture<Void> durable) {
    sent(first, last, durable, durable);
  }

  synchronized void sent(long first, long last, CompletableFuture<Void> durable, CompletableFuture<?> settled) {
    pending.addLast(new Pending(first, last, durable, settled));
    handledUpTo = Math.max(handledUpTo, last + 1);
  }

  /** A record that needs no Zerobus ack (a skipped tombstone, a dead-lettered record). */
  synchronized void handled(long offset) {
    handledUpTo = Math.max(handledUpTo, offset + 1);
  }

  /**
   * The offset to commit (the next record to read): everything below it is durable or needed no
   * ack. -1 when nothing has been handled yet.
   */
  synchronized long committable() {
    while (!pending.isEmpty()) {
      CompletableFuture<Void> head = pending.peekFirst().durable();
      if (!head.isDone() || head.isCompletedExceptionally()) {
        return pending.peekFirst().first();
      }
      pending.removeFirst();
    }
    return handledUpTo;
  }

  /** Whether Zerobus has yet to answer for some of the records sent. */
  synchronized boolean awaitingAnswers() {
    for (Pending p : pending) {
      if (!p.settled().isDone()) {
        return true;
      }
    }
    return false;
  }

  /** Futures of the records Zerobus has not answered for yet, oldest first. */
  synchronized List<CompletableFuture<?>> outstanding() {
    List<CompletableFuture<?>> out = new ArrayList<>(pending.size());
    for (Pending p : pending) {
      if (!p.settled().isDone()) {
        out.add(p.settled());
      }
    }
    return out;
  }
}
