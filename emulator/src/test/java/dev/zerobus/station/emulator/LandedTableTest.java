package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LandedTableTest {
  private static final String TABLE = "main.landing.t";

  @TempDir
  Path dir;

  /** A kill in the middle of a write leaves half a row; the rows appended after a restart stay whole. */
  @Test
  void aTornLastRowIsCutOffBeforeNewRowsAreAppended() throws Exception {
    Files.writeString(dir.resolve(TABLE + ".jsonl"), "{\"row\":1}\n{\"row\":2}\n{\"ro", StandardCharsets.UTF_8);
    try (LandedTable table = new LandedTable(TABLE, null, false, dir, false)) {
      assertEquals(2, table.rowCount());
      CountDownLatch durable = new CountDownLatch(1);
      table.append(new LandedTable.Append("{\"row\":3}\n".getBytes(StandardCharsets.UTF_8), 1,
          offset -> durable.countDown(), 0));
      durable.await();
      assertEquals(List.of("{\"row\":1}", "{\"row\":2}", "{\"row\":3}"), table.readLines(0, 10));
    }
  }

  @Test
  void aFileEndingInANewlineIsKeptWhole() throws Exception {
    Files.writeString(dir.resolve(TABLE + ".jsonl"), "{\"row\":1}\n", StandardCharsets.UTF_8);
    try (LandedTable table = new LandedTable(TABLE, null, false, dir, false)) {
      assertEquals(List.of("{\"row\":1}"), table.readLines(0, 10));
    }
  }

  /** The last gate before a name becomes a file: whatever a caller passes, nothing lands outside the data directory. */
  @Test
  void aNameThatIsNotCatalogSchemaTableNamesNoFile() throws Exception {
    Path dataDir = Files.createDirectories(dir.resolve("a/b/data"));
    assertThrows(IllegalArgumentException.class, () -> new LandedTable("../../x", null, false, dataDir, false));
    assertThrows(IllegalArgumentException.class, () -> new LandedTable("Main.Landing.T", null, false, dataDir, false));
    try (var files = Files.walk(dir)) {
      assertEquals(List.of(), files.filter(Files::isRegularFile).toList());
    }
  }
}
