package dev.zerobus.station.core.delivery;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The calls a lane has handed to Zerobus and not had acknowledged, by offset, on the current
 * stream; and the calls to hand over again, in order, when a stream is replaced. Acks are
 * cumulative: an ack for offset n settles every call up to n. Offsets start again with each stream.
 * Owned by the lane's strand: no locks.
 */
final class AckLedger {
  private record Sent(long offset, Call call) {}

  private final ArrayDeque<Sent> unacked = new ArrayDeque<>();
  private final ArrayDeque<Call> replay = new ArrayDeque<>();
  private long ackedUpTo = -1;
  private int inflightRecords;

  /**
   * A call the current stream took under {@code offset}.
   *
   * @return true when that offset was acknowledged already (the call is durable)
   */
  boolean sent(long offset, Call call) {
    if (offset <= ackedUpTo) {
      return true;
    }
    unacked.addLast(new Sent(offset, call));
    inflightRecords += call.size();
    return false;
  }

  /** The calls settled by an ack for {@code offset}, oldest first; none for an old or repeated ack. */
  List<Call> ackUpTo(long offset) {
    if (offset <= ackedUpTo) {
      return List.of();
    }
    ackedUpTo = offset;
    List<Call> done = new ArrayList<>();
    while (!unacked.isEmpty() && unacked.peekFirst().offset() <= offset) {
      Call c = unacked.pollFirst().call();
      inflightRecords -= c.size();
      done.add(c);
    }
    return done;
  }

  /**
   * The stream is gone: what it had not acknowledged goes first in line for the next stream, ahead
   * of what was waiting to be sent again already, and offsets start over.
   */
  void streamReplaced() {
    List<Call> pending = new ArrayList<>(unacked.size());
    for (Sent s : unacked) {
      pending.add(s.call());
    }
    unacked.clear();
    ackedUpTo = -1;
    for (int i = pending.size() - 1; i >= 0; i--) {
      replay.addFirst(pending.get(i));
    }
  }

  /**
   * A new stream opened: its offsets start over. Whatever the previous stream left unacknowledged
   * was moved to the replay line when it went.
   */
  void streamOpened() {
    if (!unacked.isEmpty()) {
      streamReplaced();
    }
    ackedUpTo = -1;
  }

  /** A call that never reached the stream (its send failed): first in line again. */
  void notSent(Call call) {
    replay.addFirst(call);
    inflightRecords += call.size();
  }

  /** The next call to send again, or null. Still counted in flight until it is sent and acknowledged. */
  Call nextReplay() {
    Call c = replay.pollFirst();
    if (c != null) {
      inflightRecords -= c.size(); // counted again by sent()
    }
    return c;
  }

  /** Takes every call to send again (after a replacement: also the unacknowledged ones), in order. */
  List<Call> takeReplay() {
    List<Call> all = new ArrayList<>(replay);
    for (Call c : replay) {
      inflightRecords -= c.size();
    }
    replay.clear();
    return all;
  }

  /** Takes everything held: unacknowledged, then to send again. */
  List<Call> takeAll() {
    streamReplaced();
    return takeReplay();
  }

  boolean hasReplay() {
    return !replay.isEmpty();
  }

  /** Nothing unacknowledged and nothing to send again. */
  boolean quiet() {
    return unacked.isEmpty() && replay.isEmpty();
  }

  boolean hasUnacked() {
    return !unacked.isEmpty();
  }

  /** Records handed to Zerobus (or to be handed again) and not acknowledged: the in-flight window. */
  int inflightRecords() {
    return inflightRecords;
  }
}
