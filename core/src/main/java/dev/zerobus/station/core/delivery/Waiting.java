package dev.zerobus.station.core.delivery;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A lane's records that were submitted and not yet put into a call, in order. They count against
 * the lane's queue limits until a call takes them; a ticket its caller withdrew before that is
 * dropped here. Owned by the lane's strand.
 */
final class Waiting {
  private final ArrayDeque<Slice> slices = new ArrayDeque<>();
  private final Batcher batcher;
  private final LaneView view;

  Waiting(Batcher batcher, LaneView view) {
    this.batcher = batcher;
    this.view = view;
  }

  void add(IngestTicket ticket) {
    slices.add(new Slice(ticket, 0, ticket.records()));
  }

  boolean isEmpty() {
    return slices.isEmpty();
  }

  /**
   * The next call: as many records, in order, as fit one call and {@code room} in the window, of
   * tickets whose schema version a stream of {@code streamVersion} takes; null for none.
   */
  Call next(int room, int streamVersion) {
    Batcher.Fill fill = batcher.newCall();
    List<Slice> taken = new ArrayList<>(2);
    long bytes = 0;
    while (!slices.isEmpty() && fill.records() < room && !fill.full()) {
      Slice head = slices.peekFirst();
      if (head.ticket().schemaVersion() > streamVersion) {
        break; // encoded for columns this stream's descriptor lacks: it waits for a stream that has them
      }
      if (head.from() == 0 && !head.ticket().take()) {
        slices.pollFirst(); // withdrawn by its caller before it was sent
        view.unqueue(head.size(), head.bytes());
        continue;
      }
      List<byte[]> rs = head.records();
      int take = 0;
      while (take < rs.size() && fill.records() < room && fill.tryAdd(rs.get(take))) {
        bytes += rs.get(take).length;
        take++;
      }
      if (take == 0) {
        break;
      }
      slices.pollFirst();
      taken.add(new Slice(head.ticket(), head.from(), head.from() + take));
      if (take < head.size()) {
        slices.addFirst(new Slice(head.ticket(), head.from() + take, head.to()));
        break;
      }
    }
    if (taken.isEmpty()) {
      return null;
    }
    view.unqueue(fill.records(), bytes); // counted as queued until the window lets it go
    return new Call(taken);
  }

  /** Whether the first record waiting needs a stream opened with a later schema version than {@code streamVersion}. */
  boolean needsNewerSchema(int streamVersion) {
    Slice head = slices.peekFirst();
    return head != null && head.ticket().schemaVersion() > streamVersion;
  }

  /** Takes everything that waits (to fail it), out of the queue counts. */
  List<Slice> drain() {
    List<Slice> all = new ArrayList<>(slices);
    for (Slice s : slices) {
      view.unqueue(s.size(), s.bytes());
    }
    slices.clear();
    return all;
  }
}
