package dev.zerobus.station.emulator;

import com.google.protobuf.Descriptors.Descriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The emulator's tables: the declared ones, and (unless strict) the ones streams create by writing
 * to them. Tables persist in the data directory across restarts: {@code <name>.jsonl} holds the
 * rows and {@code <name>.schema.sql} the columns.
 */
final class TableCatalog implements AutoCloseable {
  /** Unity Catalog three-part names; Zerobus takes ASCII letters, digits and underscores. */
  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z0-9_]+\\.[A-Za-z0-9_]+\\.[A-Za-z0-9_]+");

  private final Path dataDir;
  private final Map<String, TableSchema> declared;
  private final boolean strict;
  private final boolean fsync;
  private final Map<String, LandedTable> tables = new TreeMap<>();

  TableCatalog(Path dataDir, Map<String, TableSchema> declared, boolean strict, boolean fsync) {
    this.dataDir = dataDir;
    this.strict = strict;
    this.fsync = fsync;
    this.declared = new TreeMap<>();
    declared.forEach((name, schema) -> this.declared.put(normalize(name), schema));
    this.declared.forEach((name, schema) -> tables.put(name, new LandedTable(name, schema, true, dataDir, fsync)));
    loadExisting();
  }

  static String normalize(String tableName) {
    return tableName.toLowerCase(Locale.ROOT);
  }

  /**
   * Opens a table for a new stream, creating it if allowed.
   *
   * @param descriptor the stream's message type, or null for a JSON stream
   * @throws StatusException INVALID_ARGUMENT for a bad name or a descriptor that does not fit,
   *     NOT_FOUND for an unknown table in strict mode
   */
  synchronized LandedTable open(String tableName, Descriptor descriptor) throws StatusException {
    if (tableName == null || !TABLE_NAME.matcher(tableName).matches()) {
      throw Status.INVALID_ARGUMENT
          .withDescription("table name '" + tableName + "' is not catalog.schema.table (ASCII letters, digits, _)")
          .asException();
    }
    String name = normalize(tableName);
    LandedTable table = tables.get(name);
    if (table == null) {
      if (strict) {
        throw Status.NOT_FOUND
            .withDescription("table " + name + " does not exist (the emulator runs in strict mode: declare it in its config)")
            .asException();
      }
      table = new LandedTable(name, descriptor == null ? null : TableSchema.fromDescriptor(descriptor), false, dataDir, fsync);
      tables.put(name, table);
      return table;
    }
    if (descriptor != null) {
      if (table.schema() == null) {
        table.adoptSchema(TableSchema.fromDescriptor(descriptor));
      } else {
        String mismatch = table.schema().mismatch(name, descriptor);
        if (mismatch != null) {
          throw Status.INVALID_ARGUMENT.withDescription(mismatch).asException();
        }
      }
    }
    return table;
  }

  synchronized LandedTable table(String tableName) {
    return tables.get(normalize(tableName));
  }

  synchronized List<LandedTable> tables() {
    return new ArrayList<>(tables.values());
  }

  /** Empties every table and forgets the ones streams created. */
  synchronized void reset() throws IOException, InterruptedException {
    for (LandedTable t : new ArrayList<>(tables.values())) {
      if (t.declared()) {
        t.truncate();
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

  private void loadExisting() {
    try {
      Files.createDirectories(dataDir);
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir, "*.jsonl")) {
        for (Path f : files) {
          String name = f.getFileName().toString().replaceFirst("\\.jsonl$", "");
          if (tables.containsKey(name) || !TABLE_NAME.matcher(name).matches()) {
            continue;
          }
          Path schemaFile = dataDir.resolve(name + ".schema.sql");
          TableSchema schema = Files.exists(schemaFile) ? TableSchema.parse(Files.readString(schemaFile).trim()) : null;
          tables.put(name, new LandedTable(name, schema, false, dataDir, fsync));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read data directory " + dataDir, e);
    }
  }
}
