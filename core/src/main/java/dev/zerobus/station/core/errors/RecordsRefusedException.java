package dev.zerobus.station.core.errors;

import java.util.List;

/**
 * Zerobus refused some records of a submission at ingest (a value the table cannot take, for
 * example); they will never land and retrying them is useless. The submission's other records
 * landed. HTTP 422; the connector sends them to the dead-letter queue.
 */
public final class RecordsRefusedException extends RuntimeException {

  /** One refused record: its index in the submission and the service's reason. */
  public record Refusal(int index, String reason) {}

  private final String table;
  private final int records;
  private final List<Refusal> refusals;

  public RecordsRefusedException(String table, int records, List<Refusal> refusals) {
    super("table " + table + ": Zerobus refused " + refusals.size() + " of " + records + " record(s); first, record "
        + refusals.get(0).index() + ": " + refusals.get(0).reason(), null, false, false);
    this.table = table;
    this.records = records;
    this.refusals = List.copyOf(refusals);
  }

  public String table() {
    return table;
  }

  /** Records in the submission. */
  public int records() {
    return records;
  }

  /** The refused ones, in submission order. */
  public List<Refusal> refusals() {
    return refusals.stream().sorted(java.util.Comparator.comparingInt(Refusal::index)).toList();
  }
}
