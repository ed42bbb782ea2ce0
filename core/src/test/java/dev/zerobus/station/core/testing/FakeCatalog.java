package dev.zerobus.station.core.testing;

import dev.zerobus.station.core.errors.CatalogException;
import dev.zerobus.station.core.schema.Catalog;
import dev.zerobus.station.core.schema.CatalogTable;
import dev.zerobus.station.core.schema.CatalogTable.Column;
import dev.zerobus.station.core.schema.CatalogTable.Type;
import dev.zerobus.station.core.schema.DeltaType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A Unity Catalog whose tables' columns a test sets and changes, counting the reads. */
public final class FakeCatalog implements Catalog {
  private final Map<String, List<Column>> tables = new ConcurrentHashMap<>();
  public final AtomicInteger reads = new AtomicInteger();
  private volatile boolean unreachable;

  /** While set, every read fails as an unreachable workspace's would. */
  public FakeCatalog unreachable(boolean down) {
    unreachable = down;
    return this;
  }

  /** Sets a table's columns: scalar columns only, as {@code name TYPE [NOT NULL]} each. */
  public FakeCatalog set(String table, String... columns) {
    List<Column> out = new ArrayList<>();
    for (String c : columns) {
      String[] parts = c.trim().split("\\s+", 2);
      String type = parts[1].replace(" NOT NULL", "").trim();
      out.add(new Column(parts[0], Type.scalar(DeltaType.named(type)), !parts[1].endsWith("NOT NULL")));
    }
    tables.put(table, List.copyOf(out));
    return this;
  }

  @Override
  public String where() {
    return "a test's catalog";
  }

  @Override
  public CatalogTable table(String fullName) throws CatalogException {
    reads.incrementAndGet();
    if (unreachable) {
      throw new CatalogException(CatalogException.Reason.UNREACHABLE, "the workspace did not answer");
    }
    List<Column> columns = tables.get(fullName);
    if (columns == null) {
      throw new CatalogException(CatalogException.Reason.NOT_FOUND, "no table " + fullName);
    }
    return new CatalogTable(fullName, columns);
  }
}
