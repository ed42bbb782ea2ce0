package dev.zerobus.station.core.delivery;

import static dev.zerobus.station.core.delivery.TableHealth.StreamState.CLOSED;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.FAILED;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.IDLE;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.ISOLATING;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.OPEN;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.OPENING;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.RECOVERING;

import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import dev.zerobus.station.core.delivery.ZerobusFailure.Kind;
import dev.zerobus.station.core.table.TableDefinition;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Zerobus stream of a table, as a state machine ({@link StreamState}, moves in
 * {@link #TRANSITIONS}): submitted records wait ({@link Waiting}), are cut into calls
 * ({@link Batcher}), handed to the stream and kept until acknowledged ({@link AckLedger}); what
 * goes wrong is the {@link Supervisor}'s. All of it runs on the lane's {@link Strand}, the one
 * owner of this state; callers see the lane through its {@link LaneView}.
 */
final class Lane {
  private static final Logger log = LoggerFactory.getLogger(Lane.class);

  /** Every move the lane may make; docs/delivery.md draws this, and a test keeps the two equal. */
  static final Map<StreamState, Set<StreamState>> TRANSITIONS = new EnumMap<>(Map.of(
      IDLE, EnumSet.of(OPENING, CLOSED),
      OPENING, EnumSet.of(OPEN, RECOVERING, FAILED, CLOSED),
      OPEN, EnumSet.of(OPENING, RECOVERING, ISOLATING, FAILED, IDLE, CLOSED),
      RECOVERING, EnumSet.of(OPEN, ISOLATING, FAILED, CLOSED),
      ISOLATING, EnumSet.of(OPEN, RECOVERING, FAILED, CLOSED),
      FAILED, EnumSet.of(IDLE, CLOSED),
      CLOSED, EnumSet.noneOf(StreamState.class)));

  /** Moves outside {@link #TRANSITIONS} in this process: a bug; the tests check there were none. */
  private static final AtomicInteger ILLEGAL_MOVES = new AtomicInteger();

  private final ZerobusClient client;
  /** The table as it is now: its schema version moves on when columns are added. */
  private final Supplier<TableDefinition> table;
  private final StreamSettings settings;
  private final Strand strand;
  private final StreamSlots slots;
  final LaneView view;
  private final Supervisor supervisor;

  // Owned by the strand.
  private final Waiting waiting;
  private final AckLedger ledger = new AckLedger();
  private final List<CompletableFuture<Void>> readyWaiters = new ArrayList<>();
  private StreamState state = IDLE;
  private ZerobusClient.Stream stream;
  /** The schema version of the current stream's descriptor: it takes records of that version or older. */
  private int streamSchema;
  /** Of the current stream, or of the one being opened; what an older one reports is ignored. */
  private long generation;
  private long replacedGeneration = -1;
  private boolean opening;
  private boolean pumpQueued;
  private IngestTicket lastTicket;

  Lane(ZerobusClient client, Supplier<TableDefinition> table, int index, StreamSettings settings, Strand strand,
      Timers timers, StreamSlots slots) {
    this.client = client;
    this.table = table;
    this.settings = settings;
    this.strand = strand;
    this.slots = slots;
    Batcher batcher = new Batcher(settings);
    TableDefinition def = table.get();
    this.view = new LaneView(def.key() + "#" + index, def.key(), def.tableName(), settings, batcher);
    this.waiting = new Waiting(batcher, view);
    this.supervisor = new Supervisor(this, view, settings, def.tableName(), strand, timers, batcher);
  }

  // --- From callers' threads ------------------------------------------------------------------

  /**
   * Takes records; see {@link LaneView#admit} for what is refused first. A lane with nothing in
   * flight sends them on the caller's thread at once; a busy one leaves them to its pool thread,
   * where everything that arrived meanwhile goes out in one call.
   */
  IngestTicket submit(List<byte[]> records) {
    IngestTicket ticket = view.admit(records, table.get());
    if (view.inflightRecords() == 0) {
      strand.run(() -> enqueue(ticket));
    } else {
      strand.post(() -> enqueue(ticket));
    }
    return ticket;
  }

  /** Completes once everything submitted before it is settled (durable, refused or failed). */
  CompletableFuture<Void> flush() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    strand.run(() -> {
      if (lastTicket == null) {
        done.complete(null);
      } else {
        lastTicket.settled().whenComplete((ok, e) -> done.complete(null));
      }
    });
    return done;
  }

  /** Completes once a stream is open (opening one if needed); fails while the table is refused. */
  CompletableFuture<Void> ready() {
    CompletableFuture<Void> open = new CompletableFuture<>();
    strand.run(() -> {
      supervisor.endCooldownIfDue();
      if (state == OPEN) {
        open.complete(null);
      } else if (state == FAILED || state == CLOSED) {
        open.completeExceptionally(state == FAILED ? view.tableException(view.lastError()) : view.shutdown());
      } else {
        readyWaiters.add(open);
        requestStream();
      }
    });
    return open;
  }

  // --- The flow of records, on the strand -------------------------------------------------------

  private void enqueue(IngestTicket ticket) {
    supervisor.endCooldownIfDue(); // its timer may not have run yet, but callers already see the cooldown over
    if (state == CLOSED || state == FAILED) {
      view.unqueue(ticket.records(), ticket.bytes());
      ticket.fail(state == CLOSED ? view.shutdown() : view.tableException(view.lastError()), view.failed);
      return;
    }
    waiting.add(ticket);
    lastTicket = ticket;
    if (!pumpQueued) {
      // Behind the events queued already: records submitted meanwhile share the call.
      pumpQueued = true;
      strand.post(() -> {
        pumpQueued = false;
        pump();
      });
    }
  }

  /** Sends what waits while the window has room; asks for a stream if there is none. */
  void pump() {
    if (state == IDLE && !waiting.isEmpty()) {
      requestStream();
      return;
    }
    if (state != OPEN || stream == null) {
      return; // records wait for the stream, its replay or the isolation
    }
    while (!waiting.isEmpty()) {
      int inflight = ledger.inflightRecords();
      int room = inflight == 0 ? Integer.MAX_VALUE : settings.maxInflightRecords() - inflight;
      if (room <= 0) {
        break; // acks make room
      }
      Call call = waiting.next(room, streamSchema);
      if (call == null) {
        if (waiting.needsNewerSchema(streamSchema)) {
          moveToNewerSchema();
          return;
        }
        break; // what waited was withdrawn by its callers
      }
      if (!sendAll(List.of(call))) {
        return;
      }
    }
    if (slots != null && slots.contended() && closeIfQuiet()) {
      return; // another table waits for a stream slot, and this one has nothing to do
    }
    supervisor.watchForIdle();
  }

  /** Hands a call to the stream; the failure when the stream can no longer take it. */
  private ZerobusFailure trySend(Call call) {
    boolean wasQuiet = !ledger.hasUnacked();
    long offset;
    try {
      offset = stream.send(call.records);
    } catch (ZerobusFailure f) {
      return f;
    }
    // The lane's numbers are published before any ticket is told: a caller woken by its ticket reads them.
    boolean firstTime = !call.sent;
    boolean durableAlready = ledger.sent(offset, call);
    view.inflight(ledger.inflightRecords());
    if (firstTime) {
      view.accepted.add(call.size());
      call.sentAt(offset);
    } else {
      view.replayed.add(call.size());
    }
    if (durableAlready) {
      settleDurable(List.of(call));
    }
    if (wasQuiet) {
      supervisor.sentAfterQuiet();
    }
    supervisor.watchAcks();
    return null;
  }

  /**
   * Sends calls in order; false when the stream failed on one. Then that call and the ones after it
   * are put back first in line, before the failure is acted on, so they go with the rest it holds.
   */
  boolean sendAll(List<Call> calls) {
    for (int i = 0; i < calls.size(); i++) {
      ZerobusFailure f = trySend(calls.get(i));
      if (f != null) {
        for (int j = calls.size() - 1; j >= i; j--) {
          ledger.notSent(calls.get(j));
        }
        view.inflight(ledger.inflightRecords());
        supervisor.onFailure(f, generation);
        return false;
      }
    }
    return true;
  }

  /** After a new stream opened: what the last one did not settle goes first, then what waits. */
  void replayAndPump() {
    for (Call c = ledger.nextReplay(); c != null; c = ledger.nextReplay()) {
      if (!sendAll(List.of(c))) {
        return;
      }
    }
    pump();
  }

  private void onAcked(long gen, long offset) {
    if (gen != generation || stream == null) {
      return; // from a stream replaced since
    }
    settleDurable(ledger.ackUpTo(offset));
    supervisor.acked();
  }

  private void settleDurable(List<Call> calls) {
    view.inflight(ledger.inflightRecords());
    for (Call c : calls) {
      view.durable.add(c.size());
    }
    for (Call c : calls) {
      c.durable();
    }
  }

  /** Fails everything the lane holds (and {@code more}) with {@code e}; how many records were not settled. */
  int failHeld(List<Slice> more, RuntimeException e) {
    List<Slice> held = Call.slicesOf(ledger.takeAll());
    held.addAll(more);
    held.addAll(waiting.drain());
    view.inflight(ledger.inflightRecords());
    readyWaiters.forEach(w -> w.completeExceptionally(e));
    readyWaiters.clear();
    return view.fail(held, e);
  }

  // --- Streams ------------------------------------------------------------------------------

  /**
   * Records encoded for columns added since this stream opened are next in line. Once every call on
   * this stream is acknowledged (nothing to replay, so nothing lands twice) it is closed and a stream
   * with the table's current descriptor opened; records wait meanwhile, in order. Until then, acks
   * come back here through {@link #pump}.
   */
  private void moveToNewerSchema() {
    if (ledger.hasUnacked()) {
      return;
    }
    dropStream();
    moveTo(OPENING);
    log.info("lane {}: columns were added to {}; opening a stream with them", view.name, view.tableName());
    requestStream();
  }

  /** Closes the stream without waiting; whatever it reports from now on is ignored. */
  private void dropStream() {
    if (stream != null) {
      stream.close();
      stream = null;
    }
    generation++;
  }

  /** The one way a stream goes: closed without waiting, its unacknowledged calls first in line for the next. */
  void replaceStream() {
    opening = false;
    replacedGeneration = generation;
    dropStream();
    ledger.streamReplaced();
    view.inflight(ledger.inflightRecords());
  }

  void requestStream() {
    if (stream != null || opening || state == CLOSED || state == FAILED) {
      return;
    }
    if (slots != null && !slots.acquire(this)) {
      return; // slotGranted() comes back here
    }
    opening = true;
    long gen = ++generation;
    if (state == IDLE) {
      moveTo(OPENING);
    }
    TableDefinition def = table.get(); // the latest columns: every record queued or held is of them or older
    // The client's callbacks are posted to the strand: the SDK's threads run no lane code.
    ZerobusClient.StreamEvents events = ZerobusClient.StreamEvents.of(offset -> strand.post(() -> onAcked(gen, offset)),
        failure -> strand.post(() -> supervisor.onFailure(failure, gen)));
    client.open(def.tableName(), def.descriptorProto(), events)
        .whenComplete((s, e) -> strand.post(() -> opened(gen, def.schemaVersion(), s, e)));
  }

  /** A slot for one more stream is free for this lane (max.open.streams). */
  void slotGranted() {
    strand.post(this::requestStream);
  }

  private void opened(long gen, int schemaVersion, ZerobusClient.Stream s, Throwable error) {
    if (gen != generation || state == CLOSED) {
      if (s != null) {
        s.close(); // opened after it was no longer wanted
      }
      return;
    }
    opening = false;
    if (error != null) {
      ZerobusFailure f = ZerobusFailure.of(error);
      // While opening, a record-level refusal can only be the schema: a table failure.
      supervisor.onFailure(f.kind() == Kind.RECORD ? new ZerobusFailure(Kind.TABLE, f.getMessage()) : f, gen);
      return;
    }
    stream = s;
    streamSchema = schemaVersion;
    ledger.streamOpened();
    view.opened();
    log.info("lane {}: stream open on {}", view.name, view.tableName());
    readyWaiters.forEach(w -> w.complete(null));
    readyWaiters.clear();
    supervisor.opened();
  }

  boolean quiet() {
    return waiting.isEmpty() && ledger.quiet() && state == OPEN;
  }

  /** Closes the stream if nothing waits for it (idle, or to make room for another table's); true if closed. */
  boolean closeIfQuiet() {
    if (!quiet()) {
      return false;
    }
    dropStream();
    moveTo(IDLE);
    releaseSlot();
    log.info("lane {}: stream on {} closed: it had nothing to do", view.name, view.tableName());
    return true;
  }

  /** Another table waits for a stream slot: give this one up if it has nothing to do. */
  void yieldStream() {
    strand.post(this::closeIfQuiet);
  }

  void releaseSlot() {
    if (slots != null) {
      slots.release(this);
    }
  }

  void moveTo(StreamState next) {
    if (next == state) {
      return;
    }
    if (!TRANSITIONS.get(state).contains(next)) {
      ILLEGAL_MOVES.incrementAndGet();
      log.error("lane {}: a move from {} to {} is not in the state machine (a bug)", view.name, state, next);
    }
    state = next;
    view.state(next);
  }

  StreamState state() {
    return state;
  }

  static int illegalMoves() {
    return ILLEGAL_MOVES.get();
  }

  long generation() {
    return generation;
  }

  long replacedGeneration() {
    return replacedGeneration;
  }

  boolean hasStream() {
    return stream != null;
  }

  boolean isOpening() {
    return opening;
  }

  AckLedger ledger() {
    return ledger;
  }

  // --- Shutdown -------------------------------------------------------------------------------

  /**
   * Stops for good: every ticket not settled yet fails with the shutdown reason and the stream is
   * closed.
   *
   * @return completes with how many taken records were neither made durable nor refused
   */
  CompletableFuture<Integer> stop() {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    strand.post(() -> {
      dropStream();
      opening = false;
      moveTo(CLOSED);
      releaseSlot();
      done.complete(failHeld(supervisor.abandonIsolation(), view.shutdown()));
    });
    return done;
  }
}
