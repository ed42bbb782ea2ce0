package dev.zerobus.station.core.delivery;

import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.errors.TooLargeException;
import java.util.ArrayList;
import java.util.List;

/**
 * The one rule for how records are cut into SDK calls (one Zerobus offset each): at most
 * {@code max.batch.records} records and {@code max.batch.bytes} bytes on the wire, protobuf framing
 * and the call's own overhead counted, because the service refuses messages over 10 MiB and SDK
 * 1.0.1 cannot report that. Lanes cut their calls with it, and the connector its submissions, so a
 * record too large for any call is refused in one way, with one message, whichever face sent it.
 */
public final class Batcher {
  /** What a call adds to its records' bytes on the wire, beyond their own framing. */
  public static final int CALL_OVERHEAD_BYTES = 64;

  private final int maxRecords;
  private final long maxBytes;

  public Batcher(StreamSettings settings) {
    this(settings.maxBatchRecords(), settings.maxBatchBytes());
  }

  Batcher(int maxRecords, long maxBytes) {
    this.maxRecords = maxRecords;
    this.maxBytes = maxBytes;
  }

  /** The bytes a record takes inside a call: a length-delimited field (tag, length, bytes). */
  public static int wireSize(byte[] record) {
    int n = record.length;
    int varint = n < 1 << 7 ? 1 : n < 1 << 14 ? 2 : n < 1 << 21 ? 3 : n < 1 << 28 ? 4 : 5;
    return 1 + varint + n;
  }

  /** Whether one call can carry this record at all. */
  public boolean fitsAlone(byte[] record) {
    return wireSize(record) + CALL_OVERHEAD_BYTES <= maxBytes;
  }

  /**
   * The refusal of a record no call can carry: nothing was taken, and sending it again unchanged is
   * useless.
   *
   * @param index the record's index in its submission, or -1
   */
  public TooLargeException tooLarge(String table, byte[] record, int index) {
    return new TooLargeException("table " + table + ": " + (index >= 0 ? "record " + index : "the record") + " is "
        + record.length + " bytes encoded, more than one Zerobus call carries (max.batch.bytes=" + maxBytes
        + "; the service refuses messages over " + StreamSettings.SERVICE_MAX_MESSAGE_BYTES + " bytes)", index);
  }

  /**
   * Slices that went out before, cut into calls again (a replay, an isolation's attempt): their
   * tickets were told already, so these calls are marked sent.
   */
  List<Call> cut(List<Slice> slices) {
    List<Call> out = new ArrayList<>();
    Fill fill = newCall();
    List<Slice> current = new ArrayList<>();
    for (Slice s : slices) {
      int from = 0;
      List<byte[]> rs = s.records();
      for (int i = 0; i < rs.size(); i++) {
        if (!fill.tryAdd(rs.get(i))) {
          if (i > from) {
            current.add(new Slice(s.ticket(), s.from() + from, s.from() + i));
          }
          out.add(sentCall(current));
          current = new ArrayList<>();
          fill = newCall();
          fill.tryAdd(rs.get(i));
          from = i;
        }
      }
      if (from < rs.size()) {
        current.add(new Slice(s.ticket(), s.from() + from, s.to()));
      }
    }
    if (!current.isEmpty()) {
      out.add(sentCall(current));
    }
    return out;
  }

  private static Call sentCall(List<Slice> slices) {
    Call c = new Call(slices);
    c.sent = true;
    return c;
  }

  /** An empty call to fill. */
  public Fill newCall() {
    return new Fill();
  }

  /** A call being filled: records go in while they fit; an empty call takes any record that fits alone. */
  public final class Fill {
    private int records;
    private long bytes = CALL_OVERHEAD_BYTES;

    private Fill() {}

    /** Adds the record if the call has room for it; false (nothing added) when it does not. */
    public boolean tryAdd(byte[] record) {
      int size = wireSize(record);
      if (records > 0 && (records >= maxRecords || bytes + size > maxBytes)) {
        return false;
      }
      records++;
      bytes += size;
      return true;
    }

    public int records() {
      return records;
    }

    public long bytes() {
      return bytes;
    }

    public boolean isEmpty() {
      return records == 0;
    }

    /** No further record can go in. */
    public boolean full() {
      return records >= maxRecords;
    }
  }
}
