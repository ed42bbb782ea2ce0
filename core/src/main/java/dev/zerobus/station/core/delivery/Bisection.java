package dev.zerobus.station.core.delivery;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Finds the records the service refuses among calls it did not acknowledge. A stream dies at a
 * refusal and says nothing of which record it was, so halves are tried, each on the stream at hand
 * (a fresh one after a refusal): a half that lands is done; one that is refused again is split in
 * turn, until single refused records are failed alone, with the service's reason, and everything
 * else has landed, in order. n records with one bad one cost at most log2(n) + 1 new streams.
 *
 * <p>The work is a list of segments, front first, each known to hold a refused record or not; an
 * attempt sends the front segment's first half (or all of it, if none is known bad) and what follows
 * depends on its outcome. Owned by the lane's strand.
 */
final class Bisection {
  private record Segment(List<Slice> slices, boolean knownBad) {}

  /** An attempt under way: what was sent, and what to do when it lands or is refused. */
  private final class Attempt {
    List<Slice> slices;
    /** Landed: the rest of the segment it came from (null: nothing). */
    final Segment afterLanding;
    /** Refused: what of the segment comes after the part to isolate further (null: nothing). */
    final Segment afterRefusal;

    Attempt(List<Slice> slices, Segment afterLanding, Segment afterRefusal) {
      this.slices = slices;
      this.afterLanding = afterLanding;
      this.afterRefusal = afterRefusal;
    }
  }

  private final Deque<Segment> work = new ArrayDeque<>();
  private Attempt current;
  private String reason;

  /** @param refused the slices of the calls that were not acknowledged when the service refused one */
  Bisection(List<Slice> refused, String reason) {
    this.reason = reason;
    work.add(new Segment(refused, true));
  }

  /**
   * The slices to send next, on a stream that is open; null when the isolation is over. Single
   * refused records found on the way are handed to {@code refuse} with the service's reason.
   */
  List<Slice> next(BiConsumer<Slice, String> refuse) {
    if (current != null) {
      return current.slices;
    }
    while (!work.isEmpty()) {
      Segment s = work.pollFirst();
      int n = Slice.count(s.slices());
      if (n == 0) {
        continue;
      }
      if (!s.knownBad()) {
        current = new Attempt(s.slices(), null, null);
        return current.slices;
      }
      if (n == 1) {
        refuse.accept(s.slices().get(0), reason);
        continue;
      }
      List<List<Slice>> halves = Slice.split(s.slices(), n / 2);
      // The first half lands: the refused record is in the second. It is refused too: isolate it further,
      // then the second half is unknown again.
      current = new Attempt(halves.get(0), new Segment(halves.get(1), true), new Segment(halves.get(1), false));
      return current.slices;
    }
    return null;
  }

  /** The attempt's records were all acknowledged. */
  void landed() {
    if (current.afterLanding != null) {
      work.addFirst(current.afterLanding);
    }
    current = null;
  }

  /** The service refused a record of the attempt; {@code unacked} are the attempt's slices not acknowledged. */
  void refused(List<Slice> unacked, String why) {
    reason = why;
    if (current != null && current.afterRefusal != null) {
      work.addFirst(current.afterRefusal);
    }
    work.addFirst(new Segment(unacked, true));
    current = null;
  }

  /** The stream was lost for another reason: the attempt's unacknowledged slices are sent again as they are. */
  void retry(List<Slice> unacked) {
    if (current != null) {
      current.slices = unacked;
    } else if (!unacked.isEmpty()) {
      work.addFirst(new Segment(unacked, false));
    }
  }

  /** Everything not settled yet, in order (to fail it when the table fails or the lane stops). */
  List<Slice> remaining() {
    List<Slice> out = new ArrayList<>();
    if (current != null) {
      out.addAll(current.slices);
    }
    for (Segment s : work) {
      out.addAll(s.slices());
    }
    return out;
  }
}
