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

  void revoke() {
    revoked = true;
  }

  boolean revoked() {
    return revoked;
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
