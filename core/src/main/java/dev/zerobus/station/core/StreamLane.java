package dev.zerobus.station.core;

import com.databricks.zerobus.AckCallback;
import com.databricks.zerobus.NonRetriableException;
import com.databricks.zerobus.StreamConfigurationOptions;
import com.databricks.zerobus.ZerobusException;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import dev.zerobus.station.core.TableHealth.StreamState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Zerobus stream of a table and the thread that feeds it. Callers queue submissions; the
 * sender thread coalesces them into SDK batch calls (one Zerobus offset per call), keeps each
 * batch until Zerobus acknowledges it, and when the SDK gives a stream up, opens a new one and
 * replays every unacknowledged batch in order, so nothing the lane accepted is lost.
 */
final class StreamLane {
  private static final Logger log = LoggerFactory.getLogger(StreamLane.class);
  private static final long POLL_MILLIS = 50;

  private final ZerobusSdk sdk;
  private final TableDefinition table;
  private final Credentials credentials;
  private final StreamSettings settings;
  private final String name;
  private final LinkedBlockingQueue<Submission> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger queuedRecords = new AtomicInteger();
  private final Semaphore window;
  private final Thread sender;

  final LongAdder accepted = new LongAdder();
  final LongAdder durable = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder replayed = new LongAdder();
  final LongAdder streamsOpened = new LongAdder();

  /** Guards everything below: the stream, its generation and the batches it has not acknowledged. */
  private final Object lock = new Object();
  private ZerobusProtoStream stream;
  private long generation;
  private long ackedUpTo = -1;
  private final TreeMap<Long, Batch> unacked = new TreeMap<>();
  private final List<Batch> toReplay = new ArrayList<>();
  private volatile StreamState state = StreamState.IDLE;
  private volatile boolean streamLost;
  private volatile Instant openedAt;
  private volatile String lastError;
  private volatile Instant refuseUntil = Instant.MIN;
  private volatile boolean closing;
  private volatile CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
  /** A submission taken from the queue that did not fit the previous batch (sender thread only). */
  private Submission carry;

  /** Records of one or more tickets, queued as one unit and never split across SDK calls. */
  private record Submission(List<byte[]> records, int bytes, IngestTicket ticket) {}

  /** What one SDK call carried: the tickets it completes and the records to replay if it is lost. */
  private static final class Batch {
    final List<IngestTicket> tickets;
    final List<byte[]> records;
    final int permits;

    Batch(List<IngestTicket> tickets, List<byte[]> records, int permits) {
      this.tickets = tickets;
      this.records = records;
      this.permits = permits;
    }
  }

  StreamLane(ZerobusSdk sdk, TableDefinition table, int index, Credentials credentials, StreamSettings settings) {
    this.sdk = sdk;
    this.table = table;
    this.credentials = credentials;
    this.settings = settings;
    this.name = table.key() + "#" + index;
    this.window = new Semaphore(settings.maxInflightRecords());
    this.sender = new Thread(this::sendLoop, "zerobus-" + name);
    sender.setDaemon(true);
    sender.start();
  }

  IngestTicket submit(List<byte[]> records) {
    if (closing) {
      throw new StreamUnavailableException("table " + table.key() + ": shutting down", Duration.ofSeconds(5));
    }
    StreamState s = state;
    if (s == StreamState.FAILED && Instant.now().isBefore(refuseUntil)) {
      throw new StreamUnavailableException("table " + table.key() + ": " + lastError, retryAfter(refuseUntil));
    }
    if (s == StreamState.RECOVERING) {
      throw new StreamUnavailableException("table " + table.key() + ": the stream is being replaced after a failure ("
          + lastError + ")", Duration.ofSeconds(1));
    }
    int n = records.size();
    int queued = queuedRecords.get();
    if (queued > 0 && queued + n > settings.maxQueuedRecords()) {
      throw new BackpressureException("table " + table.key() + ": " + queued + " records are waiting for Zerobus"
          + " (limit " + settings.maxQueuedRecords() + ")", Duration.ofSeconds(1));
    }
    int bytes = 0;
    for (byte[] r : records) {
      bytes += r.length;
    }
    IngestTicket ticket = new IngestTicket(n);
    queuedRecords.addAndGet(n);
    synchronized (this) {
      if (n > 0) {
        tail = ticket.durable();
      }
      queue.add(new Submission(records, bytes, ticket));
    }
    return ticket;
  }

  /**
   * Completes when everything submitted so far is durable: acks are cumulative and replays keep
   * the order, so that is when the last submission is.
   */
  CompletableFuture<Void> flush() {
    return tail;
  }

  private void sendLoop() {
    List<Submission> group = new ArrayList<>();
    while (true) {
      try {
        if (streamLost) {
          reopen();
          continue;
        }
        Submission first = carry != null ? carry : queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        carry = null;
        if (first == null) {
          if (closing && queue.isEmpty()) {
            return;
          }
          continue;
        }
        group.add(first);
        gather(group);
        send(group);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        for (Submission s : group) {
          s.ticket().fail(new StreamUnavailableException("table " + table.key() + ": shut down", Duration.ZERO));
        }
        return;
      } catch (RuntimeException e) {
        log.error("lane {}: unexpected error", name, e);
        for (Submission s : group) {
          s.ticket().fail(e);
        }
      } finally {
        group.clear();
      }
    }
  }

  /** Adds queued submissions to the group while they fit one batch, waiting up to the linger time. */
  private void gather(List<Submission> group) throws InterruptedException {
    int records = group.get(0).records().size();
    int bytes = group.get(0).bytes();
    long deadline = System.nanoTime() + settings.linger().toNanos();
    while (records < settings.maxBatchRecords()) {
      Submission next = queue.poll();
      if (next == null) {
        long wait = deadline - System.nanoTime();
        if (wait <= 0 || closing) {
          break;
        }
        next = queue.poll(wait, TimeUnit.NANOSECONDS);
        if (next == null) {
          break;
        }
      }
      if (!fits(records, bytes, next)) {
        carry = next; // first in the next batch, ahead of anything queued after it
        break;
      }
      group.add(next);
      records += next.records().size();
      bytes += next.bytes();
    }
  }

  private boolean fits(int records, int bytes, Submission next) {
    return records + next.records().size() <= settings.maxBatchRecords()
        && bytes + next.bytes() <= settings.maxBatchBytes();
  }

  /** Hands one group to the SDK as one batch call (one Zerobus offset). */
  private void send(List<Submission> group) throws InterruptedException {
    List<byte[]> records;
    List<IngestTicket> tickets = new ArrayList<>(group.size());
    if (group.size() == 1) {
      records = group.get(0).records();
    } else {
      records = new ArrayList<>();
      for (Submission s : group) {
        records.addAll(s.records());
      }
    }
    for (Submission s : group) {
      tickets.add(s.ticket());
    }
    int permits = Math.min(records.size(), settings.maxInflightRecords());
    while (!window.tryAcquire(permits, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
      if (streamLost) {
        reopen();
      }
    }
    // Counted as queued until the window lets it go, so a full window backs up into 429s.
    queuedRecords.addAndGet(-records.size());
    Batch batch = new Batch(tickets, records, permits);
    if (!ensureStream(batch)) {
      return;
    }
    if (!transmit(batch, false)) {
      synchronized (lock) {
        toReplay.add(batch); // the SDK has given this stream up: keep the batch for the next one
      }
    }
  }

  /**
   * Sends one batch on the current stream as one SDK call (one Zerobus offset).
   *
   * @return false when the stream turned out to be lost; the caller keeps the batch for replay
   */
  private boolean transmit(Batch b, boolean replay) {
    if (b.records.isEmpty()) {
      // A readiness probe: the stream is open, nothing to send.
      completeDurable(b);
      b.tickets.forEach(t -> t.accepted().complete(-1L));
      return true;
    }
    ZerobusProtoStream s;
    long gen;
    synchronized (lock) {
      s = stream;
      gen = generation;
    }
    try {
      long offset = s.ingestRecordsOffset(b.records).orElseThrow();
      (replay ? replayed : accepted).add(b.records.size());
      for (IngestTicket t : b.tickets) {
        t.accepted().complete(offset);
      }
      track(gen, offset, b);
      return true;
    } catch (ZerobusException e) {
      lost(gen, e.getMessage());
      return false;
    }
  }

  /** Opens a stream if there is none. False when the batch was failed instead (non-retryable error). */
  private boolean ensureStream(Batch batch) throws InterruptedException {
    synchronized (lock) {
      if (stream != null && !streamLost) {
        return true;
      }
    }
    if (streamLost || stream != null) {
      synchronized (lock) {
        toReplay.add(batch);
      }
      reopen();
      return false;
    }
    state = StreamState.OPENING;
    try {
      open();
      return true;
    } catch (NonRetriableException e) {
      refuse(e);
      failBatch(batch, e);
      return false;
    } catch (ZerobusException e) {
      synchronized (lock) {
        toReplay.add(batch);
        streamLost = true;
      }
      lastError = e.getMessage();
      state = StreamState.RECOVERING;
      return false;
    }
  }

  /** Replaces a lost stream and replays, in order, every batch it had not acknowledged. */
  private void reopen() throws InterruptedException {
    state = StreamState.RECOVERING;
    List<Batch> replay;
    ZerobusProtoStream old;
    synchronized (lock) {
      replay = new ArrayList<>(unacked.values());
      replay.addAll(toReplay);
      unacked.clear();
      toReplay.clear();
      old = stream;
      stream = null;
      generation++; // acks still arriving for the old stream are ignored from here on
      ackedUpTo = -1;
    }
    closeQuietly(old);
    long backoff = 500;
    while (true) {
      try {
        open();
        break;
      } catch (NonRetriableException e) {
        refuse(e);
        for (Batch b : replay) {
          failBatch(b, e);
        }
        streamLost = false;
        return;
      } catch (ZerobusException e) {
        lastError = e.getMessage();
        if (closing) {
          for (Batch b : replay) {
            failBatch(b, e);
          }
          streamLost = false;
          state = StreamState.CLOSED;
          return;
        }
        log.warn("lane {}: cannot open a new stream, retrying in {} ms: {}", name, backoff, e.getMessage());
        Thread.sleep(backoff);
        backoff = Math.min(backoff * 2, settings.reopenBackoffMax().toMillis());
      }
    }
    streamLost = false;
    int records = 0;
    for (Batch b : replay) {
      records += b.records.size();
    }
    if (!replay.isEmpty()) {
      log.info("lane {}: replaying {} unacknowledged batches ({} records) on the new stream", name, replay.size(), records);
    }
    for (int i = 0; i < replay.size(); i++) {
      if (!transmit(replay.get(i), true)) {
        synchronized (lock) {
          toReplay.addAll(replay.subList(i, replay.size()));
        }
        return;
      }
    }
  }

  private void open() throws ZerobusException, InterruptedException {
    long gen;
    synchronized (lock) {
      gen = generation;
    }
    StreamConfigurationOptions options = StreamConfigurationOptions.builder()
        .setMaxInflightRecords(Math.max(settings.maxInflightRecords(), 1000))
        .setRecovery(true)
        .setRecoveryRetries(settings.recoveryRetries())
        .setRecoveryBackoffMs((int) settings.recoveryBackoff().toMillis())
        .setRecoveryTimeoutMs((int) settings.recoveryTimeout().toMillis())
        .setServerLackOfAckTimeoutMs((int) settings.serverAckTimeout().toMillis())
        // Bounds how long closing a stream may wait for acks; a stream without acks for that long is lost anyway.
        .setFlushTimeoutMs((int) settings.serverAckTimeout().toMillis())
        .setAckCallback(new Acks(gen))
        .build();
    ZerobusProtoStream opened;
    try {
      long limit = settings.recoveryTimeout().multipliedBy(settings.recoveryRetries() + 2L)
          .plus(settings.recoveryBackoff().multipliedBy(settings.recoveryRetries() + 1L)).toMillis();
      opened = sdk.createProtoStream(table.tableName(), table.descriptorProto(), credentials.clientId(),
          credentials.clientSecret(), options).get(limit, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ZerobusException z) {
        throw z;
      }
      throw new ZerobusException("creating a stream for " + table.tableName() + " failed: " + cause, cause);
    } catch (TimeoutException e) {
      throw new ZerobusException("creating a stream for " + table.tableName() + " timed out");
    }
    synchronized (lock) {
      if (generation != gen) {
        closeQuietly(opened);
        throw new ZerobusException("stream superseded while opening");
      }
      stream = opened;
    }
    streamsOpened.increment();
    openedAt = Instant.now();
    lastError = null;
    state = StreamState.OPEN;
    log.info("lane {}: stream open on {}", name, table.tableName());
  }

  /** Registers a sent batch under its offset, unless its ack already arrived. */
  private void track(long gen, long offset, Batch batch) {
    boolean done;
    synchronized (lock) {
      done = gen != generation || offset <= ackedUpTo;
      if (!done) {
        unacked.put(offset, batch);
      } else if (gen != generation) {
        // The stream was replaced before we could register: replay this batch too.
        toReplay.add(batch);
        return;
      }
    }
    if (done) {
      completeDurable(batch);
    }
  }

  /** The SDK's ack callback for one stream: acks are cumulative, one per logical offset. */
  private final class Acks implements AckCallback {
    private final long gen;

    Acks(long gen) {
      this.gen = gen;
    }

    @Override
    public void onAck(long offset) {
      List<Batch> done;
      synchronized (lock) {
        if (gen != generation || offset <= ackedUpTo) {
          return;
        }
        ackedUpTo = offset;
        Map<Long, Batch> head = unacked.headMap(offset, true);
        done = new ArrayList<>(head.values());
        head.clear();
      }
      done.forEach(StreamLane.this::completeDurable);
    }

    @Override
    public void onError(long offset, String message) {
      lost(gen, message);
    }
  }

  private void lost(long gen, String message) {
    synchronized (lock) {
      if (gen != generation) {
        return;
      }
    }
    if (!streamLost) {
      log.warn("lane {}: the SDK gave the stream up: {}", name, message);
    }
    lastError = message;
    streamLost = true;
    state = StreamState.RECOVERING;
  }

  private void completeDurable(Batch b) {
    window.release(b.permits);
    durable.add(b.records.size());
    for (IngestTicket t : b.tickets) {
      t.durable().complete(null);
    }
  }

  private void failBatch(Batch b, Exception e) {
    window.release(b.permits);
    failed.add(b.records.size());
    log.error("table {}: {} records were not written: {}", table.key(), b.records.size(), e.getMessage());
    for (IngestTicket t : b.tickets) {
      t.fail(e);
    }
  }

  private void refuse(NonRetriableException e) {
    lastError = e.getMessage();
    refuseUntil = Instant.now().plus(settings.failedCooldown());
    state = StreamState.FAILED;
    log.error("lane {}: cannot open a stream on {} (not retryable; refusing ingest for {} s): {}", name,
        table.tableName(), settings.failedCooldown().toSeconds(), e.getMessage());
  }

  private static Duration retryAfter(Instant until) {
    long ms = Duration.between(Instant.now(), until).toMillis();
    return Duration.ofMillis(Math.max(ms, 1000));
  }

  private static void closeQuietly(ZerobusProtoStream s) {
    if (s == null) {
      return;
    }
    try {
      s.close();
    } catch (Exception e) {
      // A lost stream's close reports why it was lost; that was logged already.
    }
  }

  /** Stops taking records, waits up to {@code timeout} for queued and in-flight ones, closes the stream. */
  int close(Duration timeout) {
    closing = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      sender.join(Math.max(1, timeout.toMillis()));
      flush().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Reported below as records not durable.
    }
    sender.interrupt();
    int notDurable;
    ZerobusProtoStream s;
    synchronized (lock) {
      notDurable = 0;
      for (Batch b : unacked.values()) {
        notDurable += b.records.size();
      }
      for (Batch b : toReplay) {
        notDurable += b.records.size();
      }
      s = stream;
      stream = null;
      generation++;
    }
    notDurable += queuedRecords.get();
    closeQuietly(s);
    state = StreamState.CLOSED;
    return notDurable;
  }

  StreamState state() {
    return state;
  }

  Instant openedAt() {
    return state == StreamState.OPEN ? openedAt : null;
  }

  String lastError() {
    return lastError;
  }

  long inflightRecords() {
    return settings.maxInflightRecords() - window.availablePermits();
  }

  long queuedRecords() {
    return queuedRecords.get();
  }

  /** Opens the stream now if it is not open (for readiness checks); completes when it is. */
  CompletableFuture<Void> ready() {
    if (state == StreamState.OPEN) {
      return CompletableFuture.completedFuture(null);
    }
    IngestTicket probe = submit(List.of());
    return probe.accepted().thenApply(offset -> null);
  }
}
