package dev.zerobus.station.core.delivery;

import static dev.zerobus.station.core.delivery.TableHealth.StreamState.CLOSED;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.FAILED;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.IDLE;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.ISOLATING;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.OPEN;
import static dev.zerobus.station.core.delivery.TableHealth.StreamState.RECOVERING;

import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.ZerobusFailure.Kind;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a lane does when something goes wrong, each failure class in one place ({@link #onFailure}):
 * a lost stream is replaced after a growing pause ({@link Backoff}) and its unacknowledged calls
 * replayed; a record the service refuses is isolated ({@link Bisection}) on fresh streams and failed
 * alone; a table failure fails what the lane holds and refuses the table for a cooldown. It also
 * watches for acks that stop coming and streams that stand idle. Runs on the lane's strand.
 */
final class Supervisor {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

  private final Lane lane;
  private final LaneView view;
  private final StreamSettings settings;
  private final String tableName;
  private final Strand strand;
  private final Timers timers;
  private final Batcher batcher;
  private final Backoff backoff;
  private Bisection isolation;
  private long lastProgressNanos = System.nanoTime();
  private boolean ackWatchArmed;
  private boolean idleWatchArmed;

  Supervisor(Lane lane, LaneView view, StreamSettings settings, String tableName, Strand strand, Timers timers,
      Batcher batcher) {
    this.lane = lane;
    this.view = view;
    this.settings = settings;
    this.tableName = tableName;
    this.strand = strand;
    this.timers = timers;
    this.batcher = batcher;
    this.backoff = new Backoff(settings.reopenBackoffMax());
  }

  /** A failure of the stream of {@code gen} (or of opening it), acted on by its class. */
  void onFailure(ZerobusFailure f, long gen) {
    if (gen != lane.generation()) {
      // A refusal or table failure reported after the loss that replaced this stream explains that loss better.
      boolean explainsLoss = gen == lane.replacedGeneration() && lane.state() == RECOVERING && !lane.hasStream()
          && !lane.isOpening() && f.kind() != Kind.UNAVAILABLE;
      if (!explainsLoss) {
        return;
      }
    } else {
      lane.replaceStream();
    }
    view.lastError(f.getMessage());
    switch (f.kind()) {
      case UNAVAILABLE -> recover(f);
      case RECORD -> isolate(f);
      case TABLE -> coolDown(f);
    }
  }

  /** Unavailable: a new stream after a growing pause, then the replay. */
  private void recover(ZerobusFailure f) {
    if (isolation != null) {
      isolation.retry(Call.slicesOf(lane.ledger().takeReplay()));
    }
    lane.moveTo(RECOVERING);
    long pause = backoff.nextPauseMillis(f.cheapToRetry());
    view.losses(backoff.losses());
    if (backoff.worthALine()) {
      log.warn("lane {}: no stream on {} ({}; {} records held); trying again in {} ms (attempt {})", view.name,
          tableName, f.getMessage(), lane.ledger().inflightRecords(), pause, backoff.losses());
    }
    long gen = lane.generation();
    timers.after(pause, () -> strand.post(() -> {
      if (gen == lane.generation() && lane.state() == RECOVERING) {
        lane.requestStream();
      }
    }));
  }

  /** A refused record: what the stream had not acknowledged is bisected on fresh streams. */
  private void isolate(ZerobusFailure f) {
    List<Slice> unacked = Call.slicesOf(lane.ledger().takeReplay());
    if (isolation == null) {
      log.warn("lane {}: Zerobus refused a record ({}); isolating it among {} unacknowledged records", view.name,
          f.getMessage(), Slice.count(unacked));
      isolation = new Bisection(unacked, f.getMessage());
    } else {
      isolation.refused(unacked, f.getMessage());
    }
    lane.moveTo(ISOLATING);
    lane.requestStream();
  }

  /** A table failure: everything the lane holds fails with it, and the table is refused for a cooldown. */
  private void coolDown(ZerobusFailure f) {
    RuntimeException e = view.tableException(f.getMessage());
    List<Slice> isolated = isolation == null ? List.of() : isolation.remaining();
    isolation = null;
    view.refuseFor(settings.failedCooldown());
    lane.moveTo(FAILED); // published before the failures, which wake the callers that read it
    lane.failHeld(isolated, e);
    lane.releaseSlot();
    log.error("lane {}: Zerobus refused {} (not retryable; refusing ingest for {} s): {}", view.name, tableName,
        settings.failedCooldown().toSeconds(), f.getMessage());
    timers.after(settings.failedCooldown().toMillis(), () -> strand.post(this::endCooldownIfDue));
  }

  /** Leaves FAILED once the cooldown is over (its timer, or a caller who saw it over first). */
  void endCooldownIfDue() {
    if (lane.state() == FAILED && !view.refusing()) {
      lane.moveTo(IDLE);
      lane.pump();
    }
  }

  /** A stream opened: the isolation goes on, or the replay and then everything waiting. */
  void opened() {
    if (isolation != null) {
      lane.moveTo(ISOLATING);
      continueIsolation();
    } else {
      lane.moveTo(OPEN);
      lane.replayAndPump();
    }
  }

  /** An ack arrived: the stream works. */
  void acked() {
    lastProgressNanos = System.nanoTime();
    backoff.reset();
    view.losses(0);
    if (isolation == null) {
      lane.pump();
    } else if (!lane.ledger().hasUnacked()) {
      isolation.landed();
      continueIsolation();
    }
  }

  /** Sends the isolation's next attempt on the open stream, or ends it and lets the rest flow. */
  private void continueIsolation() {
    while (true) {
      if (!lane.hasStream()) {
        lane.requestStream(); // after a refusal: a fresh stream
        return;
      }
      List<Slice> next = isolation.next(this::refuse);
      if (next == null) {
        isolation = null;
        lane.moveTo(OPEN);
        lane.pump();
        return;
      }
      if (Slice.count(next) > 0) {
        lane.sendAll(batcher.cut(next));
        return;
      }
      isolation.landed();
    }
  }

  private void refuse(Slice bad, String reason) {
    view.refused.increment();
    log.warn("table {}: Zerobus refused record {} of a submission of {}: {}", view.table(), bad.from(),
        bad.ticket().records(), reason);
    bad.ticket().refused(bad.from(), reason);
  }

  /** What an isolation still holds (to fail it when the lane stops); the isolation ends. */
  List<Slice> abandonIsolation() {
    List<Slice> left = isolation == null ? List.of() : isolation.remaining();
    isolation = null;
    return left;
  }

  /** A stream whose acks stop for longer than stream.ack.timeout.ms is lost, whatever the SDK says. */
  void watchAcks() {
    if (ackWatchArmed) {
      return;
    }
    ackWatchArmed = true;
    long timeout = settings.serverAckTimeout().toMillis();
    timers.after(timeout, () -> strand.post(() -> {
      ackWatchArmed = false;
      if (!lane.ledger().hasUnacked() || lane.state() == CLOSED) {
        return;
      }
      if ((System.nanoTime() - lastProgressNanos) / 1_000_000 >= timeout) {
        onFailure(new ZerobusFailure(Kind.UNAVAILABLE, "no acknowledgement within " + timeout / 1000 + " s"),
            lane.generation());
      } else {
        watchAcks();
      }
    }));
  }

  /** Calls went out on a stream that had nothing in flight: the ack watch counts from now. */
  void sentAfterQuiet() {
    lastProgressNanos = System.nanoTime();
  }

  /** With stream.idle.close.ms, a stream with nothing to do for that long is closed (reopened on demand). */
  void watchForIdle() {
    long idleMs = settings.idleClose().toMillis();
    if (idleMs == 0 || idleWatchArmed || lane.state() != OPEN || !lane.quiet()) {
      return;
    }
    idleWatchArmed = true;
    timers.after(idleMs, () -> strand.post(() -> {
      idleWatchArmed = false;
      if (System.nanoTime() - view.lastActivityNanos() >= idleMs * 1_000_000) {
        lane.closeIfQuiet();
      } else {
        watchForIdle();
      }
    }));
  }
}
