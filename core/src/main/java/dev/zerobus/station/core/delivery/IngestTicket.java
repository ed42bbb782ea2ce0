package dev.zerobus.station.core.delivery;

import dev.zerobus.station.core.errors.RecordsRefusedException;
import dev.zerobus.station.core.errors.StreamUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What an ingest call returns at once: {@link #accepted()} completes with the Zerobus offset when
 * the SDK has taken every record, {@link #durable()} when Zerobus has acknowledged them all as
 * durable (possibly on a later stream, after a replay). {@code durable()} fails with
 * {@link RecordsRefusedException} when the service refused some records (the others landed), and
 * both fail when the records cannot be written at all.
 */
public final class IngestTicket {
  private final List<byte[]> records;
  private final CompletableFuture<Long> accepted = new CompletableFuture<>();
  private final CompletableFuture<Void> durable = new CompletableFuture<>();
  private final AtomicInteger unsent;
  private final AtomicInteger unresolved;
  private final List<RecordsRefusedException.Refusal> refusals = new ArrayList<>();
  private final String table;
  private final long bytes;
  private final int schemaVersion;
  private volatile boolean handedToStream;
  /** 0: queued, 1: taken by the lane's sender, 2: withdrawn by the caller before that. */
  private final AtomicInteger phase = new AtomicInteger();

  /**
   * @param bytes the records' encoded bytes, counted against the lane's queue limit
   * @param schemaVersion the table's schema version when they were submitted, which is at least the
   *     one they were encoded with: they go only on streams opened with that version or a later one
   */
  IngestTicket(String table, List<byte[]> records, long bytes, int schemaVersion) {
    this.table = table;
    this.records = records;
    this.bytes = bytes;
    this.schemaVersion = schemaVersion;
    this.unsent = new AtomicInteger(records.size());
    this.unresolved = new AtomicInteger(records.size());
  }

  public int records() {
    return records.size();
  }

  long bytes() {
    return bytes;
  }

  int schemaVersion() {
    return schemaVersion;
  }

  public CompletableFuture<Long> accepted() {
    return accepted;
  }

  public CompletableFuture<Void> durable() {
    return durable;
  }

  /** Whether any of its records reached a Zerobus stream (so they may still land after a timeout). */
  public boolean handedToStream() {
    return handedToStream;
  }

  /**
   * Withdraws the records if the lane has not started sending them (e.g. after a caller's timeout),
   * so they will never land.
   *
   * @return true when withdrawn; false when they are on their way already (or settled)
   */
  public boolean withdraw() {
    if (phase.compareAndSet(0, 2)) {
      fail(new StreamUnavailableException("table " + table + ": withdrawn before it was sent", java.time.Duration.ZERO));
      return true;
    }
    return false;
  }

  /** The lane's sender takes the ticket; false when it was withdrawn. */
  boolean take() {
    return phase.compareAndSet(0, 1) || phase.get() == 1;
  }

  List<byte[]> recordList() {
    return records;
  }

  /** {@code n} records went out in the call that got {@code offset}. */
  void sent(int n, long offset) {
    handedToStream = true;
    if (unsent.addAndGet(-n) <= 0) {
      accepted.complete(offset);
    }
  }

  void durable(int n) {
    if (unresolved.addAndGet(-n) == 0) {
      settle();
    }
  }

  void refused(int index, String reason) {
    synchronized (refusals) {
      refusals.add(new RecordsRefusedException.Refusal(index, reason));
    }
    if (unresolved.decrementAndGet() == 0) {
      settle();
    }
  }

  private void settle() {
    accepted.complete(-1L); // all sent already unless every record was refused before it
    List<RecordsRefusedException.Refusal> refused;
    synchronized (refusals) {
      refused = List.copyOf(refusals);
    }
    if (refused.isEmpty()) {
      durable.complete(null);
    } else {
      durable.completeExceptionally(new RecordsRefusedException(table, records.size(), refused));
    }
  }

  /**
   * Fails whatever of the ticket is not settled yet.
   *
   * @return how many of its records were neither durable nor refused (0 if it was settled)
   */
  int fail(Throwable error) {
    return fail(error, null);
  }

  /** As {@link #fail(Throwable)}, counting the records in {@code failed} before anyone is told. */
  int fail(Throwable error, java.util.concurrent.atomic.LongAdder failed) {
    int left = Math.max(unresolved.getAndSet(0), 0);
    if (failed != null) {
      failed.add(left);
    }
    accepted.completeExceptionally(error);
    durable.completeExceptionally(error);
    return left;
  }

  /** Completes normally once the ticket is settled either way. */
  CompletableFuture<Void> settled() {
    return durable.handle((ok, error) -> null);
  }
}
