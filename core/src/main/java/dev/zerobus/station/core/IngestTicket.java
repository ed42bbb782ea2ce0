package dev.zerobus.station.core;

import java.util.concurrent.CompletableFuture;

/**
 * What an ingest call returns at once: {@link #accepted()} completes with the Zerobus offset when
 * the SDK has taken the records, {@link #durable()} when Zerobus has acknowledged them as durable
 * (possibly on a later stream, after a replay). Both fail if the records cannot be written.
 */
public final class IngestTicket {
  private final int records;
  private final CompletableFuture<Long> accepted = new CompletableFuture<>();
  private final CompletableFuture<Void> durable = new CompletableFuture<>();

  IngestTicket(int records) {
    this.records = records;
  }

  public int records() {
    return records;
  }

  public CompletableFuture<Long> accepted() {
    return accepted;
  }

  public CompletableFuture<Void> durable() {
    return durable;
  }

  void fail(Throwable error) {
    accepted.completeExceptionally(error);
    durable.completeExceptionally(error);
  }
}
