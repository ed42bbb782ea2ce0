package dev.zerobus.station.emulator;

import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.Descriptors.Descriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulator's tables: the declared ones, and (unless strict) the ones streams create by writing
 * to them, at most {@code maxTables} in all. Tables persist in the data directory across restarts:
 * {@code <name>.jsonl} holds the rows and {@code <name>.schema.sql} the columns ({@link SchemaFile}).
 * Opening a stream and altering a table's columns take the catalog's lock, so a stream is checked
 * against the columns of one moment and keeps them.
 */
final class TableCatalog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TableCatalog.class);
  /**
   * Unity Catalog three-part names; Zerobus takes ASCII letters, digits and underscores. A name
   * becomes a file name in the data directory, so nothing else (no dots alone, no slashes) passes.
   */
  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z0-9_]+\\.[A-Za-z0-9_]+\\.[A-Za-z0-9_]+");

  private final Path dataDir;
  private final boolean strict;
  private final boolean fsync;
  private final int maxTables;
  private final Map<String, LandedTable> tables = new TreeMap<>();

  /**
   * @throws IllegalArgumentException for a declared name that is not catalog.schema.table, or when
   *     the declared tables and those already in the data directory are more than {@code maxTables}
   */
  TableCatalog(Path dataDir, Map<String, TableSchema> declared, boolean strict, boolean fsync, int maxTables) {
    this.dataDir = dataDir;
    this.strict = strict;
    this.fsync = fsync;
    this.maxTables = maxTables;
    Map<String, TableSchema> declaredByName = new TreeMap<>();
    declared.forEach((name, schema) -> declaredByName.put(checkedName(name), schema));
    Map<String, TableSchema> existing = existingTables(declaredByName.keySet());
    int count = declaredByName.size() + existing.size();
    if (count > maxTables) {
      throw new IllegalArgumentException(declaredByName.size() + " declared tables and " + existing.size()
          + " more in the data directory " + dataDir + " exceed the limit of " + maxTables
          + " tables (--max-tables / ZEROBUS_EMULATOR_MAX_TABLES)");
    }
    declaredByName.forEach((name, schema) -> tables.put(name, new LandedTable(name, schema, true, dataDir, fsync)));
    existing.forEach((name, schema) -> tables.put(name, new LandedTable(name, schema, false, dataDir, fsync)));
  }

  static String normalize(String tableName) {
    return tableName.toLowerCase(Locale.ROOT);
  }

  /**
   * The normalized name, when it is catalog.schema.table: the one check every name passes before it
   * names a file, whether it comes from the config, a stream or the builder.
   *
   * @throws IllegalArgumentException naming the refused name
   */
  static String checkedName(String tableName) {
    if (tableName == null || !TABLE_NAME.matcher(tableName).matches()) {
      // Quoted as a JSON string: a hostile name cannot break the one-line message.
      throw new IllegalArgumentException("table name " + (tableName == null ? "null" : TextNode.valueOf(tableName))
          + " is not catalog.schema.table (ASCII letters, digits, _)");
    }
    return normalize(tableName);
  }

  int maxTables() {
    return maxTables;
  }

  /**
   * A table opened for a stream, with the columns the stream was checked against (null for a
   * schemaless table): the stream keeps them, whatever later changes make of the table's.
   */
  record Opened(LandedTable table, TableSchema columns) {}

  /**
   * Opens a table for a new stream, creating it if allowed.
   *
   * @param descriptor the stream's message type, or null for a JSON stream
   * @throws StatusException INVALID_ARGUMENT for a bad name or a descriptor that does not fit,
   *     NOT_FOUND for an unknown table in strict mode or one that would exceed the table limit
   */
  synchronized Opened open(String tableName, Descriptor descriptor) throws StatusException {
    String name;
    try {
      name = checkedName(tableName);
    } catch (IllegalArgumentException bad) {
      throw Status.INVALID_ARGUMENT.withDescription(bad.getMessage()).asException();
    }
    LandedTable table = tables.get(name);
    if (table == null) {
      if (strict) {
        throw Status.NOT_FOUND
            .withDescription("table " + name + " does not exist (the emulator runs in strict mode: declare it in its config)")
            .asException();
      }
      if (tables.size() >= maxTables) {
        // NOT_FOUND, not RESOURCE_EXHAUSTED: the real service never creates a table, so one it cannot
        // write to does not exist for it. NOT_FOUND is what it answers for that, and clients take it
        // as a table-level failure (core's SdkZerobusClient.classify: Kind.TABLE), whereas
        // RESOURCE_EXHAUSTED on opening reads as a passing overload and is retried without end.
        throw Status.NOT_FOUND
            .withDescription("table " + name + " does not exist and cannot be created: the emulator holds its limit of "
                + maxTables + " tables (--max-tables / ZEROBUS_EMULATOR_MAX_TABLES; POST /reset on the admin API"
                + " forgets the undeclared ones)")
            .asException();
      }
      table = new LandedTable(name, descriptor == null ? null : TableSchema.fromDescriptor(descriptor), false, dataDir, fsync);
      tables.put(name, table);
      return new Opened(table, table.schema());
    }
    if (descriptor != null) {
      if (table.schema() == null) {
        table.setSchema(TableSchema.fromDescriptor(descriptor));
      } else {
        String mismatch = table.schema().mismatch(name, descriptor);
        if (mismatch != null) {
          throw Status.INVALID_ARGUMENT.withDescription(mismatch).asException();
        }
      }
    }
    return new Opened(table, table.schema());
  }

  /**
   * Changes a table's columns, as ALTER TABLE does, and saves them: streams opened from now on are
   * checked against the new columns; streams already open keep theirs.
   *
   * @return the columns after the change, or null when there is no such table
   * @throws ColumnChange.Conflict when the change does not fit the table's columns, or the table has
   *     none yet (a JSON stream created it)
   */
  synchronized TableSchema alter(String tableName, ColumnChange change) throws ColumnChange.Conflict {
    LandedTable table = tables.get(normalize(tableName));
    if (table == null) {
      return null;
    }
    if (table.schema() == null) {
      throw new ColumnChange.Conflict("table " + table.name() + " has no columns yet: a JSON stream created it and"
          + " it takes any object until a stream with a descriptor gives it columns");
    }
    TableSchema after = change.applyTo(table.name(), table.schema());
    table.setSchema(after);
    log.info("table {}: {}; columns now {}", table.name(), change.sql(), after.sql());
    return after;
  }

  synchronized LandedTable table(String tableName) {
    return tables.get(normalize(tableName));
  }

  synchronized List<LandedTable> tables() {
    return new ArrayList<>(tables.values());
  }

  /** Empties every table, gives declared ones their declared columns again, and forgets the ones streams created. */
  synchronized void reset() throws IOException, InterruptedException {
    for (LandedTable t : new ArrayList<>(tables.values())) {
      if (t.declared()) {
        t.truncate();
        t.setSchema(t.declaredSchema());
      } else {
        t.deleteFiles();
        tables.remove(t.name());
      }
    }
  }

  @Override
  public synchronized void close() {
    tables.values().forEach(LandedTable::close);
  }

  /** Tables an earlier run left in the data directory, other than the declared ones, with their columns. */
  private Map<String, TableSchema> existingTables(Set<String> declaredNames) {
    Map<String, TableSchema> out = new LinkedHashMap<>();
    try {
      Files.createDirectories(dataDir);
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir, "*.jsonl")) {
        for (Path f : files) {
          String name = f.getFileName().toString().replaceFirst("\\.jsonl$", "");
          // Only files the emulator could have written: valid names, lower case as it writes them.
          if (declaredNames.contains(name) || !TABLE_NAME.matcher(name).matches() || !name.equals(normalize(name))) {
            continue;
          }
          out.put(name, new SchemaFile(dataDir, name).read());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read data directory " + dataDir, e);
    }
    return out;
  }
}
