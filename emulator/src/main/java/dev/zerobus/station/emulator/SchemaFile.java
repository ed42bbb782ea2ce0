package dev.zerobus.station.emulator;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A table's {@code <name>.schema.sql}: its columns in CREATE TABLE syntax, one line. A declared
 * table altered at run time also keeps the declaration it was altered from, as a comment line
 * before the columns ({@code -- declared: id BIGINT NOT NULL}): at the next start the altered
 * columns stand while the config declares the table as before, and a changed declaration wins.
 */
final class SchemaFile {
  private static final Logger log = LoggerFactory.getLogger(SchemaFile.class);
  private static final String DECLARED = "-- declared: ";

  private final Path file;

  SchemaFile(Path dataDir, String tableName) {
    this.file = dataDir.resolve(tableName + ".schema.sql");
  }

  Path path() {
    return file;
  }

  /** The columns the file holds, or null when there is none. */
  TableSchema read() throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    String columns = lines().stream().filter(l -> !l.startsWith("--")).collect(Collectors.joining(" ")).trim();
    try {
      return TableSchema.parse(columns);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The columns a declared table starts with: those the file holds when they were altered from this
   * same declaration, else the declaration.
   */
  TableSchema startingColumns(String table, TableSchema declared) throws IOException {
    if (!Files.exists(file)) {
      return declared;
    }
    String alteredFrom = lines().stream().filter(l -> l.startsWith(DECLARED))
        .map(l -> l.substring(DECLARED.length())).findFirst().orElse(null);
    if (alteredFrom == null) {
      return declared;
    }
    boolean sameDeclaration;
    try {
      sameDeclaration = TableSchema.parse(alteredFrom).sql().equals(declared.sql());
    } catch (IllegalArgumentException unreadable) {
      sameDeclaration = false;
    }
    if (!sameDeclaration) {
      log.warn("table {}: its declaration changed since it was altered at run time; it starts with the declared"
          + " columns ({}), without those changes", table, declared.sql());
      return declared;
    }
    return read();
  }

  /**
   * Replaces the file (write then rename, so a crash leaves the old file or the new one, never half
   * of one).
   *
   * @param declared the table's declaration, or null for a table no config declares
   */
  void write(TableSchema columns, TableSchema declared) throws IOException {
    String text = (declared == null || declared.sql().equals(columns.sql()) ? "" : DECLARED + declared.sql() + "\n")
        + columns.sql() + "\n";
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  void delete() throws IOException {
    Files.deleteIfExists(file);
  }

  private List<String> lines() throws IOException {
    return Files.readAllLines(file).stream().map(String::trim).filter(l -> !l.isEmpty()).toList();
  }
}
