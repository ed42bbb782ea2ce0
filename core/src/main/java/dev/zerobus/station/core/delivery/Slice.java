package dev.zerobus.station.core.delivery;

import java.util.List;

/** Records [from, to) of one ticket: what a call carries of it. */
record Slice(IngestTicket ticket, int from, int to) {
  int size() {
    return to - from;
  }

  List<byte[]> records() {
    return ticket.recordList().subList(from, to);
  }

  long bytes() {
    long n = 0;
    for (byte[] r : records()) {
      n += r.length;
    }
    return n;
  }

  static int count(List<Slice> slices) {
    int n = 0;
    for (Slice s : slices) {
      n += s.size();
    }
    return n;
  }

  /** The slices cut after {@code records} records: [before, after]. */
  static List<List<Slice>> split(List<Slice> slices, int records) {
    List<Slice> first = new java.util.ArrayList<>();
    List<Slice> second = new java.util.ArrayList<>();
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
}
