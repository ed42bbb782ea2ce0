package dev.zerobus.station.core.table;

import dev.zerobus.station.core.config.StationConfig.SchemaDrift;
import dev.zerobus.station.core.config.StationConfig.TableSpec;
import dev.zerobus.station.core.errors.CatalogException;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.schema.Catalog;
import dev.zerobus.station.core.schema.CatalogTable;
import dev.zerobus.station.core.schema.SchemaChange;
import dev.zerobus.station.core.schema.SchemaLoader;
import dev.zerobus.station.core.schema.TableSchema;
import dev.zerobus.station.core.table.TableDefinition.SchemaNotice;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the tables' schemas in step with Unity Catalog while running. A table that follows the
 * catalog (it has no local schema) is read again when a record carries a field it does not know (at
 * most once per table every {@link #ON_DEMAND_INTERVAL}) and every {@code catalog.refresh.seconds}.
 * Columns added become the table's next schema version: the encoder takes records with them at once
 * and the table's streams move to the new descriptor (docs/delivery.md). Any other change is kept
 * out: the table goes on with the columns it has, the change is logged once and shown in its health,
 * and with schema_drift fail its records are refused until a restart reads the new columns. A table
 * with a local schema keeps it; the catalog's changes are only reported. Reads of one table never
 * overlap, so an older answer can never undo a newer one.
 */
public final class SchemaRefresh implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SchemaRefresh.class);
  /** The least time between two reads of a table prompted by records with unknown fields. */
  public static final Duration ON_DEMAND_INTERVAL = Duration.ofSeconds(5);

  private final TableRegistry registry;
  private final Catalog catalog;
  /** Reads prompted by records: a few threads, each waiting on the workspace. */
  private final ExecutorService readers;
  /** The periodic sweep: one thread, one table after another. */
  private final ScheduledExecutorService sweeper;
  /** Per table, the read in flight or the last one. */
  private final Map<String, Read> reads = new ConcurrentHashMap<>();

  private record Read(long startedNanos, CompletableFuture<TableDefinition> done) {}

  private SchemaRefresh(TableRegistry registry, Duration period) {
    this.registry = registry;
    this.catalog = registry.catalog();
    if (catalog == null) {
      this.readers = null;
      this.sweeper = null;
      return;
    }
    this.readers = Executors.newFixedThreadPool(2, daemon("schema-refresh"));
    if (period.isZero()) {
      this.sweeper = null;
    } else {
      this.sweeper = Executors.newSingleThreadScheduledExecutor(daemon("schema-sweep"));
      long millis = period.toMillis();
      sweeper.scheduleWithFixedDelay(this::sweep, millis, millis, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Starts following the catalog for {@code registry}'s tables: every {@code period} (zero: only
   * when records ask for it). Without a catalog it does nothing.
   */
  public static SchemaRefresh start(TableRegistry registry, Duration period) {
    return new SchemaRefresh(registry, period);
  }

  /**
   * A record for table {@code key} carried a field the table does not know. Reads the table's
   * columns again if it follows the catalog and was not read in the last {@link #ON_DEMAND_INTERVAL}
   * (or joins the read under way).
   *
   * @return completes with the table's definition after that read (a new one when columns were
   *     added), or at once with the current one when no read is due; never fails
   */
  public CompletableFuture<TableDefinition> unknownField(String key) {
    TableDefinition current = registry.find(key).orElse(null);
    if (catalog == null || current == null || !current.schema().followsCatalog()) {
      return CompletableFuture.completedFuture(current);
    }
    long now = System.nanoTime();
    Read fresh = new Read(now, new CompletableFuture<>());
    Read read = reads.compute(key, (k, last) ->
        last == null || (last.done().isDone() && now - last.startedNanos() >= ON_DEMAND_INTERVAL.toNanos())
            ? fresh : last);
    if (read == fresh) {
      try {
        readers.execute(() -> fresh.done().complete(readNow(key)));
      } catch (RejectedExecutionException e) {
        fresh.done().complete(current); // closed
      }
      return fresh.done();
    }
    return read.done().isDone() ? CompletableFuture.completedFuture(registry.find(key).orElseThrow()) : read.done();
  }

  /** Reads every table's columns again, one after another, each unless a read of it is under way. */
  void sweep() {
    for (String key : registry.keys()) {
      Read fresh = new Read(System.nanoTime(), new CompletableFuture<>());
      if (reads.compute(key, (k, last) -> last == null || last.done().isDone() ? fresh : last) == fresh) {
        fresh.done().complete(readNow(key));
      }
    }
  }

  /** One read of one table, on the calling thread; the table's definition afterwards. */
  private TableDefinition readNow(String key) {
    TableDefinition current = registry.find(key).orElseThrow();
    TableSpec spec = registry.config().tables().get(key);
    try {
      if (current.schema().followsCatalog()) {
        follow(spec, current);
      } else if (spec.schemaDrift() != SchemaDrift.OFF) {
        compare(spec, current);
      }
    } catch (CatalogException e) {
      log.warn("table {}: Unity Catalog could not be read to check its columns: {}", key, e.getMessage());
    } catch (RuntimeException e) {
      log.error("table {}: checking its columns against Unity Catalog failed", key, e);
    }
    return registry.find(key).orElseThrow();
  }

  /** A table that follows the catalog: adopt added columns, report anything else. */
  private void follow(TableSpec spec, TableDefinition current) throws CatalogException {
    TableSchema schema = current.schema();
    TableSchema next;
    try {
      next = SchemaLoader.reread(spec, schema, catalog);
    } catch (ConfigException e) {
      notice(spec, current, "its columns can no longer be written: " + e.getMessage(), true);
      return;
    }
    if (next == schema) {
      if (current.schemaNotice() != null && !current.schemaNotice().adopted()) {
        registry.replace(current, current.noticed(null)); // the catalog is back to the columns in use
        log.info("table {}: Unity Catalog's columns of {} match the ones in use again", spec.key(), spec.tableName());
      }
      return;
    }
    SchemaChange change = SchemaChange.between(schema.catalogColumns(), next.catalogColumns());
    if (!change.breaking().isEmpty()) {
      notice(spec, current, change.describe(), true);
      return;
    }
    String what = change.describe();
    TableDefinition evolved = current.evolved(next, new SchemaNotice(Instant.now(), what, true, false));
    if (registry.replace(current, evolved)) {
      log.info("table {}: Unity Catalog's {} changed ({}); records with the new columns are taken from now on"
          + " (schema version {})", spec.key(), spec.tableName(), what, evolved.schemaVersion());
    }
  }

  /** A table with a local schema: it is kept, and a change in the catalog's columns is reported. */
  private void compare(TableSpec spec, TableDefinition current) throws CatalogException {
    TableSchema schema = current.schema();
    CatalogTable columns = catalog.table(spec.tableName());
    CatalogTable before = schema.catalogColumns();
    SchemaChange change = before == null ? null : SchemaChange.between(before, columns);
    List<String> drift = SchemaLoader.drift(spec, schema, columns);
    if (change == null ? drift.isEmpty() : change.none()) {
      return;
    }
    String what = (change == null ? "" : "Unity Catalog's columns changed since start (" + change.describe() + "); ")
        + "the local schema from " + schema.source() + " is kept"
        + (drift.isEmpty() ? " and still fits them" : ", and differs from them: " + String.join("; ", drift));
    notice(spec, current, what, false);
  }

  /**
   * A change not adopted: logged and shown once per wording.
   *
   * @param canRefuse whether schema_drift fail refuses the table's records over it (a table that
   *     follows the catalog); a local schema's table only warns
   */
  private void notice(TableSpec spec, TableDefinition current, String change, boolean canRefuse) {
    SchemaNotice last = current.schemaNotice();
    if (last != null && !last.adopted() && Objects.equals(last.change(), change)) {
      return;
    }
    boolean refusing = canRefuse && spec.schemaDrift() == SchemaDrift.FAIL;
    if (!registry.replace(current, current.noticed(new SchemaNotice(Instant.now(), change, false, refusing)))) {
      return;
    }
    if (refusing) {
      log.error("table {}: Unity Catalog's columns of {} changed in a way records for the old columns may not fit"
          + " ({}); its records are refused until a restart reads the new columns (schema_drift is fail; warn"
          + " writes on with the old columns)", spec.key(), spec.tableName(), change);
    } else if (canRefuse) {
      log.warn("table {}: Unity Catalog's columns of {} changed ({}); writing on with the columns read before, which"
          + " Zerobus may refuse; restart to read the new ones", spec.key(), spec.tableName(), change);
    } else {
      log.warn("table {}: {}", spec.key(), change);
    }
  }

  /** Stops reading; a record waiting for a read that will not happen now goes on with the columns it has. */
  @Override
  public void close() {
    if (readers != null) {
      readers.shutdownNow();
    }
    reads.forEach((key, read) -> read.done().complete(registry.find(key).orElse(null)));
    if (sweeper != null) {
      sweeper.shutdownNow();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
