package dev.zerobus.station.core.delivery;

import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The bound on open streams (max.open.streams): a lane takes a slot before it opens a stream and
 * gives it back when its stream is gone for good (idle, failed table, stopped). At the bound, the
 * lane that took its slot longest ago is asked to yield it if it has nothing to do; lanes wait in
 * line until a slot is free. Called from lanes' strands; one lock, held only to count.
 */
final class StreamSlots {
  private final int max;
  /** Lanes holding a slot, oldest first. */
  private final Set<Lane> holders = new LinkedHashSet<>();
  private final ArrayDeque<Lane> waiting = new ArrayDeque<>();

  StreamSlots(int max) {
    this.max = max;
  }

  /** True when the lane may open a stream now; otherwise it is granted one later ({@link Lane#slotGranted}). */
  boolean acquire(Lane lane) {
    Lane idlest = null;
    synchronized (this) {
      if (holders.contains(lane)) {
        return true;
      }
      if (holders.size() < max) {
        holders.add(lane);
        return true;
      }
      if (!waiting.contains(lane)) {
        waiting.add(lane);
      }
      for (Lane h : holders) {
        if (idlest == null || h.view.lastActivityNanos() - idlest.view.lastActivityNanos() < 0) {
          idlest = h;
        }
      }
    }
    idlest.yieldStream(); // gives its slot back if it has nothing to do; else the next lane to go quiet will
    return false;
  }

  /** Whether a lane waits for a slot: a lane that goes quiet then gives its stream up. */
  synchronized boolean contended() {
    return !waiting.isEmpty();
  }

  void release(Lane lane) {
    Lane next;
    synchronized (this) {
      if (!holders.remove(lane)) {
        return;
      }
      next = waiting.poll();
      if (next == null) {
        return;
      }
      holders.add(next);
    }
    next.slotGranted();
  }
}
