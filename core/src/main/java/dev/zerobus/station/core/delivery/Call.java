package dev.zerobus.station.core.delivery;

import java.util.ArrayList;
import java.util.List;

/**
 * What one SDK call carries: slices of one or more tickets, in order. It is kept until Zerobus
 * acknowledges its offset, and sent again whole, on a new stream, if the stream is lost before.
 */
final class Call {
  final List<Slice> slices;
  final List<byte[]> records;
  /** Handed to a stream before: its tickets were told, and sending it again is a replay. */
  boolean sent;

  Call(List<Slice> slices) {
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

  /** Tells the tickets that these records went out in the call that got {@code offset}. */
  void sentAt(long offset) {
    sent = true;
    for (Slice s : slices) {
      s.ticket().sent(s.size(), offset);
    }
  }

  /** Tells the tickets that these records are durable. */
  void durable() {
    for (Slice s : slices) {
      s.ticket().durable(s.size());
    }
  }

  /** The slices of calls, in order. */
  static List<Slice> slicesOf(List<Call> calls) {
    List<Slice> out = new ArrayList<>();
    for (Call c : calls) {
      out.addAll(c.slices);
    }
    return out;
  }
}
