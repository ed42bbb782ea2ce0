package dev.zerobus.station.core.delivery;

import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import dev.zerobus.station.core.delivery.ZerobusFailure.Kind;
import dev.zerobus.station.core.errors.BackpressureException;
import dev.zerobus.station.core.errors.StreamUnavailableException;
import dev.zerobus.station.core.errors.TooLargeException;
import dev.zerobus.station.core.table.TableDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Zerobus stream of a table and the thread that feeds it. Callers queue tickets; the sender
 * thread cuts them into SDK batch calls that fit the size limits (one Zerobus offset per call),
 * keeps each call until Zerobus acknowledges it, and acts on every failure by its class
 * ({@link ZerobusFailure.Kind}): a lost stream is replaced after a jittered, growing pause and its
 * unacknowledged calls replayed in order; a table failure fails the records and refuses the table
 * for a cooldown; a record the service refuses is found by bisection on fresh streams and only it
 * is failed, while everything else is sent. Only the sender thread opens, sends and replaces
 * streams; ack and failure callbacks only record what happened, under {@link #lock}.
 */
final class StreamLane {
  private static final Logger log = LoggerFactory.getLogger(StreamLane.class);
  private static final long POLL_MILLIS = 50;
  static final int CALL_OVERHEAD_BYTES = Batcher.CALL_OVERHEAD_BYTES;
  private static final long FIRST_BACKOFF_MILLIS = 100;
  private static final long CHEAP_RETRY_MAX_MILLIS = 1_000;

  private final ZerobusClient client;
  private final TableDefinition table;
  private final StreamSettings settings;
  private final Batcher batcher;
  private final String name;
  private final LinkedBlockingQueue<IngestTicket> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger queuedRecords = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final Thread sender;
  /** Parts of tickets taken from the queue and not yet sent (sender thread only). */
  private final ArrayDeque<Slice> carry = new ArrayDeque<>();
  /** The records being isolated after a refusal (sender thread; read by stop() once it has ended). */
  private volatile List<Slice> isolating = List.of();

  final LongAdder accepted = new LongAdder();
  final LongAdder durable = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder refused = new LongAdder();
  final LongAdder replayed = new LongAdder();
  final LongAdder streamsOpened = new LongAdder();

  /** Guards everything below: the stream, its generation, its state and the calls it has not acknowledged. */
  private final Object lock = new Object();
  private ZerobusClient.Stream stream;
  private long generation;
  private long ackedUpTo = -1;
  private final TreeMap<Long, Batch> unacked = new TreeMap<>();
  private final List<Batch> toReplay = new ArrayList<>();
  /** Why the current stream failed; set by callbacks or a failed send, acted on by the sender. */
  private ZerobusFailure failure;
  private int inflight;
  private int consecutiveLosses;
  private StreamState state = StreamState.IDLE;
  private Instant openedAt;
  private String lastError;
  private Instant refuseUntil = Instant.MIN;
  private ZerobusFailure tableFailure;

  private volatile boolean closing;
  private volatile boolean stopped;
  private volatile CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

  /** Records [from, to) of one ticket. */
  record Slice(IngestTicket ticket, int from, int to) {
    int size() {
      return to - from;
    }

    List<byte[]> records() {
      return ticket.recordList().subList(from, to);
    }
  }

  /** What one SDK call carries: slices of one or more tickets, replayed whole if the stream is lost. */
  static final class Batch {
    final List<Slice> slices;
    final List<byte[]> records;
    boolean sent;

    Batch(List<Slice> slices) {
      this.slices = slices;
      if (slices.size() == 1) {
        records = slices.get(0).records();
      } else {
        records = new ArrayList<>();
        for (Slice s : slices) {
          records.addAll(s.records());
        }
      }
    }

    int size() {
      return records.size();
    }

    long bytes() {
      long n = 0;
      for (byte[] r : records) {
        n += r.length;
      }
      return n;
    }
  }

  StreamLane(ZerobusClient client, TableDefinition table, int index, StreamSettings settings) {
    this.client = client;
    this.table = table;
    this.settings = settings;
    this.batcher = new Batcher(settings);
    this.name = table.key() + "#" + index;
    this.sender = new Thread(this::sendLoop, "zerobus-" + name);
    sender.setDaemon(true);
    sender.start();
  }

  static int wireSize(byte[] record) {
    return Batcher.wireSize(record);
  }

  IngestTicket submit(List<byte[]> records) {
    if (closing) {
      throw new StreamUnavailableException("table " + table.key() + ": shutting down", Duration.ofSeconds(5));
    }
    synchronized (lock) {
      if (state == StreamState.FAILED && Instant.now().isBefore(refuseUntil)) {
        throw new StreamUnavailableException("table " + table.key() + ": " + lastError, retryAfter(refuseUntil));
      }
      // A working stream replaced once is the lane's business: records queue behind the replay. Only when
      // opening has failed again is it an outage that callers should hear about.
      if (state == StreamState.RECOVERING && consecutiveLosses > 1) {
        throw new StreamUnavailableException("table " + table.key() + ": the stream is being replaced after a failure ("
            + lastError + ")", Duration.ofSeconds(1));
      }
    }
    int n = records.size();
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      byte[] r = records.get(i);
      if (!batcher.fitsAlone(r)) {
        throw batcher.tooLarge(table.key(), r, i);
      }
      bytes += r.length;
    }
    if (n > settings.maxQueuedRecords() || bytes > settings.maxQueuedBytes()) {
      throw new TooLargeException("table " + table.key() + ": a submission of " + n + " records (" + bytes
          + " bytes encoded) is more than a stream queues (max.queued.records=" + settings.maxQueuedRecords()
          + ", max.queued.bytes=" + settings.maxQueuedBytes() + "); split it", -1);
    }
    synchronized (queue) {
      int queued = queuedRecords.get();
      if (queued + n > settings.maxQueuedRecords() || queuedBytes.get() + bytes > settings.maxQueuedBytes()) {
        throw new BackpressureException("table " + table.key() + ": " + queued + " records are waiting for Zerobus ("
            + queuedBytes.get() + " bytes; limits " + settings.maxQueuedRecords() + " records, "
            + settings.maxQueuedBytes() + " bytes)", Duration.ofSeconds(1));
      }
      queuedRecords.addAndGet(n);
      queuedBytes.addAndGet(bytes);
    }
    IngestTicket ticket = new IngestTicket(table.key(), records);
    synchronized (this) {
      if (n > 0) {
        tail = ticket.settled();
      }
      queue.add(ticket);
    }
    return ticket;
  }

  /** Completes when everything submitted so far is settled: calls are acknowledged, and replayed, in order. */
  CompletableFuture<Void> flush() {
    return tail;
  }

  private void sendLoop() {
    while (!stopped) {
      Batch batch = null;
      try {
        if (needsRecovery()) {
          recover();
          continue;
        }
        if (carry.isEmpty()) {
          IngestTicket next = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
          if (next == null || !taken(next)) {
            continue;
          }
          if (next.records() == 0) {
            probe(next);
            continue;
          }
          carry.add(new Slice(next, 0, next.records()));
        }
        batch = gather();
        waitForWindow(batch.size());
        // Counted as queued until the window lets it go, so a full window backs up into 429s.
        unqueue(batch.size(), batch.bytes());
        ZerobusClient.Stream s;
        try {
          s = ensureStream();
        } catch (TableFailed e) {
          failSlices(batch.slices, e.exception);
          continue;
        }
        if (s == null) {
          synchronized (lock) {
            inflight += batch.size();
            toReplay.add(batch);
          }
        } else {
          transmit(s, batch, true);
        }
        batch = null;
      } catch (TableFailed e) {
        // The records concerned were failed where it was found out.
      } catch (InterruptedException e) {
        return; // stop() fails whatever is left
      } catch (RuntimeException e) {
        // A bug, not a Zerobus failure: treat the stream as lost so what it holds is replayed, never leaked.
        log.error("lane {}: unexpected error; replacing the stream", name, e);
        if (batch != null && !batch.sent) {
          failSlices(batch.slices, new StreamUnavailableException("table " + table.key() + ": internal error: " + e,
              Duration.ofSeconds(1)));
        }
        synchronized (lock) {
          if (failure == null) {
            failure = new ZerobusFailure(Kind.UNAVAILABLE, "unexpected error: " + e);
          }
        }
      }
    }
  }

  /** Takes a ticket off the queue; a withdrawn one no longer counts as queued. */
  private boolean taken(IngestTicket t) {
    if (t.take()) {
      return true;
    }
    long bytes = 0;
    for (byte[] r : t.recordList()) {
      bytes += r.length;
    }
    unqueue(t.records(), bytes);
    return false;
  }

  private void unqueue(int records, long bytes) {
    queuedRecords.addAndGet(-records);
    queuedBytes.addAndGet(-bytes);
  }

  /** A readiness probe: opens the stream if needed and reports the outcome through the ticket. */
  private void probe(IngestTicket ticket) throws InterruptedException {
    try {
      if (ensureStream() != null) {
        ticket.opened();
      }
    } catch (TableFailed e) {
      ticket.fail(e.exception);
    }
  }

  /** Takes carried and queued slices while they fit one call, cutting a ticket where the limits fall. */
  private Batch gather() throws InterruptedException {
    List<Slice> slices = new ArrayList<>();
    int records = 0;
    long bytes = CALL_OVERHEAD_BYTES;
    long deadline = System.nanoTime() + settings.linger().toNanos();
    while (true) {
      Slice next = carry.poll();
      if (next == null) {
        IngestTicket t = queue.poll();
        if (t == null) {
          long wait = deadline - System.nanoTime();
          if (wait <= 0 || closing || records >= settings.maxBatchRecords()) {
            break;
          }
          t = queue.poll(wait, TimeUnit.NANOSECONDS);
          if (t == null) {
            break;
          }
        }
        if (!taken(t)) {
          continue;
        }
        if (t.records() == 0) {
          t.opened(); // a probe behind records: the stream is being used, so it is open or will be
          continue;
        }
        next = new Slice(t, 0, t.records());
      }
      List<byte[]> rs = next.records();
      int take = 0;
      while (take < rs.size() && records + take < settings.maxBatchRecords()
          && bytes + wireSize(rs.get(take)) <= settings.maxBatchBytes()) {
        bytes += wireSize(rs.get(take));
        take++;
      }
      if (take > 0) {
        slices.add(new Slice(next.ticket(), next.from(), next.from() + take));
        records += take;
      }
      if (take < next.size()) {
        carry.addFirst(new Slice(next.ticket(), next.from() + take, next.to()));
        break;
      }
    }
    return new Batch(slices);
  }

  /** Waits while the in-flight window is full; an empty window always lets one call through. */
  private void waitForWindow(int records) throws InterruptedException {
    synchronized (lock) {
      while (inflight > 0 && inflight + records > settings.maxInflightRecords() && failure == null && !stopped) {
        lock.wait(POLL_MILLIS);
      }
    }
  }

  private boolean needsRecovery() {
    synchronized (lock) {
      return failure != null || !toReplay.isEmpty();
    }
  }

  /**
   * Sends one call on the stream and registers it under its offset.
   *
   * @param countInflight whether the call is new to the in-flight window (replays are counted already)
   * @return false when the stream failed; the call is kept for replay
   */
  private boolean transmit(ZerobusClient.Stream s, Batch batch, boolean countInflight) {
    long gen;
    synchronized (lock) {
      gen = generation;
      if (countInflight) {
        inflight += batch.size();
      }
    }
    long offset;
    try {
      offset = s.send(batch.records);
    } catch (ZerobusFailure f) {
      failed(gen, f);
      synchronized (lock) {
        toReplay.add(batch);
      }
      return false;
    }
    if (!batch.sent) {
      batch.sent = true;
      accepted.add(batch.size());
      for (Slice sl : batch.slices) {
        sl.ticket().sent(sl.size(), offset);
      }
    } else {
      replayed.add(batch.size());
    }
    boolean done = false;
    synchronized (lock) {
      if (gen != generation) {
        toReplay.add(batch); // replaced while we sent: the new stream gets it too
      } else if (offset <= ackedUpTo) {
        done = true;
        inflight -= batch.size();
      } else {
        unacked.put(offset, batch);
      }
    }
    if (done) {
      completeDurable(List.of(batch));
    }
    return true;
  }

  /** The current stream, opened if there is none; null when the current one failed (recover first). */
  private ZerobusClient.Stream ensureStream() throws InterruptedException {
    while (!stopped) {
      long gen;
      synchronized (lock) {
        if (failure != null) {
          return null;
        }
        if (stream != null) {
          return stream;
        }
        if (state == StreamState.FAILED && Instant.now().isBefore(refuseUntil)) {
          throw new TableFailed(tableException(tableFailure));
        }
        state = consecutiveLosses > 0 ? StreamState.RECOVERING : StreamState.OPENING;
        gen = generation;
      }
      try {
        ZerobusClient.Stream opened = client.open(table, new Events(gen));
        synchronized (lock) {
          if (gen != generation || stopped) {
            opened.close();
            return null;
          }
          stream = opened;
          state = StreamState.OPEN;
          openedAt = Instant.now();
          lastError = null;
        }
        streamsOpened.increment();
        log.info("lane {}: stream open on {}", name, table.tableName());
        return opened;
      } catch (ZerobusFailure f) {
        if (f.kind() == Kind.TABLE) {
          refuse(f);
          throw new TableFailed(tableException(f));
        }
        int attempt;
        synchronized (lock) {
          lastError = f.getMessage();
          state = StreamState.RECOVERING;
          attempt = ++consecutiveLosses;
        }
        // A probe that costs the service nothing may come again soon, so recovery follows the server's return.
        long pause = f.cheapToRetry() ? Math.min(backoffMillis(attempt), CHEAP_RETRY_MAX_MILLIS) : backoffMillis(attempt);
        if (Integer.bitCount(attempt) == 1) { // attempts 1, 2, 4, 8, …: an outage is a few lines, not one per probe
          log.warn("lane {}: cannot open a stream on {} (attempt {}), retrying in {} ms: {}", name,
              table.tableName(), attempt, pause, f.getMessage());
        }
        Thread.sleep(pause);
      }
    }
    throw new InterruptedException("stopped");
  }

  /** Acts on the current stream's failure by its class, with everything the stream had not acknowledged. */
  private void recover() throws InterruptedException {
    ZerobusFailure f;
    List<Batch> pending;
    ZerobusClient.Stream old;
    int attempt;
    synchronized (lock) {
      f = failure != null ? failure : new ZerobusFailure(Kind.UNAVAILABLE, "the stream was lost");
      pending = takePending();
      old = stream;
      stream = null;
      failure = null;
      attempt = f.kind() == Kind.UNAVAILABLE ? ++consecutiveLosses : consecutiveLosses;
      if (f.kind() == Kind.UNAVAILABLE) {
        state = StreamState.RECOVERING;
      }
    }
    if (old != null) {
      old.close();
    }
    try {
      switch (f.kind()) {
        case TABLE:
          refuse(f);
          failBatches(pending, tableException(f));
          return;
        case RECORD:
          isolate(pending, f);
          return;
        default:
          long pause = backoffMillis(attempt);
          log.warn("lane {}: the stream on {} was lost ({}); replaying {} records on a new one in {} ms", name,
              table.tableName(), f.getMessage(), count(pending), pause);
          Thread.sleep(pause);
          replay(pending);
      }
    } catch (TableFailed e) {
      // The batches concerned were failed where the failure was found.
    }
  }

  /** Everything the stream had not acknowledged, in order; the caller owns it (still counted in flight). */
  private List<Batch> takePending() {
    List<Batch> pending = new ArrayList<>(unacked.values());
    pending.addAll(toReplay);
    unacked.clear();
    toReplay.clear();
    generation++; // acks still arriving for the old stream are ignored from here on
    ackedUpTo = -1;
    return pending;
  }

  /** Sends the calls again, in order, on the current or a new stream. */
  private void replay(List<Batch> pending) throws InterruptedException {
    for (int i = 0; i < pending.size(); i++) {
      ZerobusClient.Stream s;
      try {
        s = ensureStream();
      } catch (TableFailed e) {
        failBatches(pending.subList(i, pending.size()), e.exception);
        throw e;
      }
      if (s == null || !transmit(s, pending.get(i), false)) {
        // A failed call was put back by transmit; the ones after it follow it, in order.
        synchronized (lock) {
          toReplay.addAll(pending.subList(s == null ? i : i + 1, pending.size()));
        }
        return;
      }
    }
  }

  // --- Refused records -------------------------------------------------------------------------

  /** The outcome of sending some slices and waiting for their acks. */
  private record Attempt(ZerobusFailure failure, List<Slice> unacked) {
    boolean ok() {
      return failure == null;
    }
  }

  /**
   * Finds the record(s) the service refused among the calls the stream had not acknowledged:
   * sends halves on fresh streams, failing only single records that are refused, so a batch of n
   * records with one bad record costs at most log2(n) + 1 new streams.
   */
  private void isolate(List<Batch> pending, ZerobusFailure first) throws InterruptedException {
    List<Slice> slices = new ArrayList<>();
    int records = 0;
    for (Batch b : pending) {
      slices.addAll(b.slices);
      records += b.size();
    }
    synchronized (lock) {
      inflight -= records; // counted again as the pieces are sent
    }
    log.warn("lane {}: Zerobus refused a record ({}); isolating it among {} unacknowledged records", name,
        first.getMessage(), records);
    isolating = slices; // what stop() fails, should the lane be stopped meanwhile
    try {
      deliver(slices, true, first);
    } catch (TableFailed e) {
      failSlices(slices, e.exception); // only what is not settled yet: the rest landed or was refused
    } finally {
      isolating = List.of();
    }
  }

  /**
   * Delivers the slices in order. {@code knownBad}: they hold at least one record the service
   * refuses (the last refusal's reason is {@code reason}).
   */
  private void deliver(List<Slice> slices, boolean knownBad, ZerobusFailure reason) throws InterruptedException {
    while (!slices.isEmpty()) {
      if (!knownBad) {
        Attempt a = attempt(slices);
        if (a.ok()) {
          return;
        }
        slices = a.unacked();
        reason = a.failure();
        knownBad = true;
        continue;
      }
      int n = 0;
      for (Slice s : slices) {
        n += s.size();
      }
      if (n == 1) {
        Slice bad = slices.get(0);
        refused.increment();
        log.warn("table {}: Zerobus refused record {} of a submission of {}: {}", table.key(), bad.from(),
            bad.ticket().records(), reason.getMessage());
        bad.ticket().refused(bad.from(), reason.getMessage());
        return;
      }
      List<List<Slice>> halves = split(slices, n / 2);
      Attempt a = attempt(halves.get(0));
      if (a.ok()) {
        slices = halves.get(1); // the first half landed, so the refused record is in the second
      } else {
        deliver(a.unacked(), true, a.failure());
        slices = halves.get(1);
        knownBad = false;
      }
    }
  }

  /** Splits slices after {@code records} records. */
  private static List<List<Slice>> split(List<Slice> slices, int records) {
    List<Slice> first = new ArrayList<>();
    List<Slice> second = new ArrayList<>();
    int left = records;
    for (Slice s : slices) {
      if (left >= s.size()) {
        first.add(s);
        left -= s.size();
      } else if (left > 0) {
        first.add(new Slice(s.ticket(), s.from(), s.from() + left));
        second.add(new Slice(s.ticket(), s.from() + left, s.to()));
        left = 0;
      } else {
        second.add(s);
      }
    }
    return List.of(first, second);
  }

  /**
   * Sends the slices on the current stream (a new one if needed) and waits until they are all
   * acknowledged or the stream fails. Lost streams are retried with backoff; a refusal returns the
   * slices not acknowledged.
   */
  private Attempt attempt(List<Slice> slices) throws InterruptedException {
    while (true) {
      ZerobusClient.Stream s;
      try {
        s = ensureStream();
      } catch (TableFailed e) {
        failSlices(slices, e.exception);
        throw e;
      }
      if (s == null) {
        // The stream failed before we sent anything on it: start again on a new one.
        ZerobusFailure f = resetStream();
        if (f.kind() == Kind.RECORD) {
          continue;
        }
        if (f.kind() == Kind.TABLE) {
          refuse(f);
          failSlices(slices, tableException(f));
          throw new TableFailed(tableException(f));
        }
        Thread.sleep(backoffMillis(bumpLosses()));
        continue;
      }
      long gen;
      synchronized (lock) {
        gen = generation;
      }
      List<Batch> batches = batches(slices);
      for (int i = 0; i < batches.size(); i++) {
        if (!transmit(s, batches.get(i), true)) {
          synchronized (lock) {
            for (Batch rest : batches.subList(i + 1, batches.size())) {
              inflight += rest.size();
              toReplay.add(rest); // not sent: kept with the failed one, in order
            }
          }
          break;
        }
      }
      long deadline = System.nanoTime() + settings.serverAckTimeout().toNanos();
      synchronized (lock) {
        while (generation == gen && failure == null && !(unacked.isEmpty() && toReplay.isEmpty()) && !stopped) {
          long wait = deadline - System.nanoTime();
          if (wait <= 0) {
            failure = new ZerobusFailure(Kind.UNAVAILABLE, "no acknowledgement within "
                + settings.serverAckTimeout().toSeconds() + " s");
            break;
          }
          lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
        }
        if (stopped) {
          throw new InterruptedException("stopped");
        }
        if (failure == null && unacked.isEmpty() && toReplay.isEmpty()) {
          return new Attempt(null, List.of());
        }
      }
      ZerobusClient.Stream old;
      ZerobusFailure f;
      List<Slice> left = new ArrayList<>();
      synchronized (lock) {
        f = failure != null ? failure : new ZerobusFailure(Kind.UNAVAILABLE, "the stream was lost");
        for (Batch b : takePending()) {
          left.addAll(b.slices);
          inflight -= b.size();
        }
        old = stream;
        stream = null;
        failure = null;
      }
      if (old != null) {
        old.close();
      }
      if (f.kind() == Kind.RECORD) {
        return new Attempt(f, left);
      }
      if (f.kind() == Kind.TABLE) {
        refuse(f);
        failSlices(left, tableException(f));
        throw new TableFailed(tableException(f));
      }
      slices = left; // lost for another reason: the same slices again, after a pause
      Thread.sleep(backoffMillis(bumpLosses()));
    }
  }

  private List<Batch> batches(List<Slice> slices) {
    List<Batch> out = new ArrayList<>();
    List<Slice> current = new ArrayList<>();
    int records = 0;
    long bytes = CALL_OVERHEAD_BYTES;
    for (Slice s : slices) {
      List<byte[]> rs = s.records();
      int from = 0;
      for (int i = 0; i < rs.size(); i++) {
        int size = wireSize(rs.get(i));
        if (records > 0 && (records + 1 > settings.maxBatchRecords() || bytes + size > settings.maxBatchBytes())) {
          if (i > from) {
            current.add(new Slice(s.ticket(), s.from() + from, s.from() + i));
          }
          out.add(sentBatch(current));
          current = new ArrayList<>();
          records = 0;
          bytes = CALL_OVERHEAD_BYTES;
          from = i;
        }
        records++;
        bytes += size;
      }
      if (from < rs.size()) {
        current.add(new Slice(s.ticket(), s.from() + from, s.to()));
      }
    }
    if (!current.isEmpty()) {
      out.add(sentBatch(current));
    }
    return out;
  }

  /** Pieces of calls that went out before are replays: their tickets were told already. */
  private static Batch sentBatch(List<Slice> slices) {
    Batch b = new Batch(slices);
    b.sent = true;
    return b;
  }

  private ZerobusFailure resetStream() {
    ZerobusClient.Stream old;
    ZerobusFailure f;
    synchronized (lock) {
      f = failure != null ? failure : new ZerobusFailure(Kind.UNAVAILABLE, "the stream was lost");
      old = stream;
      stream = null;
      failure = null;
      generation++;
      ackedUpTo = -1;
    }
    if (old != null) {
      old.close();
    }
    return f;
  }

  private int bumpLosses() {
    synchronized (lock) {
      state = StreamState.RECOVERING;
      return ++consecutiveLosses;
    }
  }

  // --- Callbacks -------------------------------------------------------------------------------

  /** The client's callbacks for one stream: acks are cumulative, one per call. */
  private final class Events implements ZerobusClient.StreamEvents {
    private final long gen;

    Events(long gen) {
      this.gen = gen;
    }

    @Override
    public void acked(long offset) {
      List<Batch> done;
      synchronized (lock) {
        if (gen != generation || offset <= ackedUpTo) {
          return;
        }
        ackedUpTo = offset;
        Map<Long, Batch> head = unacked.headMap(offset, true);
        done = new ArrayList<>(head.values());
        head.clear();
        for (Batch b : done) {
          inflight -= b.size();
        }
        consecutiveLosses = 0;
        if (state == StreamState.RECOVERING) {
          state = StreamState.OPEN;
        }
        lock.notifyAll();
      }
      completeDurable(done);
    }

    @Override
    public void failed(ZerobusFailure f) {
      StreamLane.this.failed(gen, f);
    }
  }

  /** Records the stream's failure; the most specific class wins (a refusal explains a later "stream closed"). */
  private void failed(long gen, ZerobusFailure f) {
    boolean first;
    synchronized (lock) {
      if (gen != generation) {
        return;
      }
      first = failure == null;
      if (first || failure.kind() == Kind.UNAVAILABLE && f.kind() != Kind.UNAVAILABLE) {
        failure = f;
      }
      lastError = f.getMessage();
      lock.notifyAll();
    }
    if (first && f.kind() != Kind.RECORD) {
      log.warn("lane {}: the stream on {} failed: {}", name, table.tableName(), f.getMessage());
    }
  }

  private void completeDurable(List<Batch> batches) {
    for (Batch b : batches) {
      durable.add(b.size());
      for (Slice s : b.slices) {
        s.ticket().durable(s.size());
      }
    }
  }

  private void failBatches(List<Batch> batches, RuntimeException e) {
    List<Slice> slices = new ArrayList<>();
    int records = 0;
    for (Batch b : batches) {
      slices.addAll(b.slices);
      records += b.size();
    }
    synchronized (lock) {
      inflight -= records;
      lock.notifyAll();
    }
    failSlices(slices, e);
  }

  private void failSlices(List<Slice> slices, RuntimeException e) {
    Set<IngestTicket> tickets = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Slice s : slices) {
      tickets.add(s.ticket());
    }
    int records = 0;
    for (IngestTicket t : tickets) {
      records += t.fail(e, failed);
    }
    if (records > 0) {
      log.error("table {}: {} records were not written: {}", table.key(), records, e.getMessage());
    }
  }

  private RuntimeException tableException(ZerobusFailure f) {
    Duration cooldown = settings.failedCooldown();
    return new StreamUnavailableException("table " + table.key() + " (" + table.tableName() + "): " + f.getMessage(),
        cooldown.isZero() ? Duration.ofSeconds(1) : cooldown);
  }

  private void refuse(ZerobusFailure f) {
    synchronized (lock) {
      lastError = f.getMessage();
      tableFailure = f;
      refuseUntil = Instant.now().plus(settings.failedCooldown());
      state = StreamState.FAILED;
    }
    log.error("lane {}: Zerobus refused {} (not retryable; refusing ingest for {} s): {}", name, table.tableName(),
        settings.failedCooldown().toSeconds(), f.getMessage());
  }

  /** Exponential from 100 ms, capped, with jitter so many lanes do not retry in step. */
  private long backoffMillis(int attempt) {
    long cap = settings.reopenBackoffMax().toMillis();
    long base = Math.min(cap, FIRST_BACKOFF_MILLIS << Math.min(attempt - 1, 20));
    return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
  }

  private static int count(List<Batch> batches) {
    int n = 0;
    for (Batch b : batches) {
      n += b.size();
    }
    return n;
  }

  private static Duration retryAfter(Instant until) {
    long ms = Duration.between(Instant.now(), until).toMillis();
    return Duration.ofMillis(Math.max(ms, 1000));
  }

  /** Thrown on the sender thread when the table failed; the records concerned were failed already. */
  private static final class TableFailed extends RuntimeException {
    final RuntimeException exception;

    TableFailed(RuntimeException exception) {
      super(exception.getMessage(), null, false, false);
      this.exception = exception;
    }
  }

  // --- Shutdown --------------------------------------------------------------------------------

  /** Stops taking records; what was taken keeps flowing until {@link #stop}. */
  void beginClose() {
    closing = true;
  }

  /**
   * Stops the sender, fails every ticket not settled yet with the shutdown reason, closes the stream.
   *
   * @return how many taken records were not made durable (nor refused)
   */
  int stop(Duration joinTimeout) throws InterruptedException {
    closing = true;
    stopped = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    sender.interrupt();
    sender.join(Math.max(1, joinTimeout.toMillis()));
    List<Slice> left = new ArrayList<>();
    ZerobusClient.Stream s;
    synchronized (lock) {
      for (Batch b : takePending()) {
        left.addAll(b.slices);
      }
      inflight = 0;
      s = stream;
      stream = null;
      state = StreamState.CLOSED;
    }
    if (!sender.isAlive()) {
      left.addAll(carry);
      left.addAll(isolating);
      carry.clear();
    }
    for (IngestTicket t = queue.poll(); t != null; t = queue.poll()) {
      left.add(new Slice(t, 0, t.records()));
    }
    queuedRecords.set(0);
    queuedBytes.set(0);
    Set<IngestTicket> tickets = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Slice sl : left) {
      tickets.add(sl.ticket());
    }
    StreamUnavailableException shutdown = new StreamUnavailableException("table " + table.key()
        + ": shut down before Zerobus acknowledged these records", Duration.ofSeconds(5));
    int notDurable = 0;
    for (IngestTicket t : tickets) {
      notDurable += t.fail(shutdown, failed);
    }
    if (s != null) {
      s.close();
    }
    return notDurable;
  }

  boolean senderStopped() {
    return !sender.isAlive();
  }

  // --- Health ----------------------------------------------------------------------------------

  StreamState state() {
    synchronized (lock) {
      return state;
    }
  }

  Instant openedAt() {
    synchronized (lock) {
      return state == StreamState.OPEN ? openedAt : null;
    }
  }

  String lastError() {
    synchronized (lock) {
      return lastError;
    }
  }

  long inflightRecords() {
    synchronized (lock) {
      return inflight;
    }
  }

  long queuedRecords() {
    return queuedRecords.get();
  }

  /** Opens the stream now if it is not open (readiness, fail-fast start); completes when it is. */
  CompletableFuture<Void> ready() {
    synchronized (lock) {
      if (state == StreamState.OPEN) {
        return CompletableFuture.completedFuture(null);
      }
    }
    IngestTicket probe = submit(List.of());
    return probe.durable();
  }
}
