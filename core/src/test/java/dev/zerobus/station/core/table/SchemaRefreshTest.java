package dev.zerobus.station.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.errors.SchemaChangedException;
import dev.zerobus.station.core.table.TableDefinition.SchemaNotice;
import dev.zerobus.station.core.testing.FakeCatalog;
import dev.zerobus.station.core.testing.Fixtures;
import dev.zerobus.station.core.testing.ScriptedZerobus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Following Unity Catalog while running: what is read when, what is adopted, reported or refused. */
class SchemaRefreshTest {
  @TempDir
  Path dir;
  FakeCatalog catalog = new FakeCatalog().set("main.s.evo", "id STRING", "v INT");
  TableRegistry registry;
  SchemaRefresh refresh;
  StreamManager manager;

  @AfterEach
  void tearDown() {
    if (refresh != null) {
      refresh.close();
    }
    if (manager != null) {
      manager.close(Duration.ofSeconds(5));
    }
  }

  /** The table evo, its schema from the catalog, or {@code fields} (config.json) when given. */
  private TableRegistry registry(String drift, String fields) {
    String table = "{\"table_name\": \"main.s.evo\", \"schema_drift\": \"" + drift + "\""
        + (fields == null ? "" : ", \"fields\": " + fields) + "}";
    Path config = Fixtures.write(dir, Fixtures.config("http://127.0.0.1:1", "http://127.0.0.1:1",
        "{\"evo\": " + table + "}"), Map.of());
    registry = TableRegistry.build(StationConfig.load(config, Env.of(Map.of())), EncoderOptions.STRICT, catalog);
    refresh = SchemaRefresh.start(registry, Duration.ZERO);
    manager = new StreamManager(registry, new ScriptedZerobus(), StreamSettings.DEFAULTS);
    return registry;
  }

  private TableDefinition evo() {
    return registry.find("evo").orElseThrow();
  }

  private static byte[] record(TableDefinition def, Map<String, ?> values) throws EncodeException {
    return def.encoder().encodeValue(values);
  }

  @Test
  void aRecordWithAFieldTheTableLacksPromptsOneReadEveryFewSecondsAtMost() throws Exception {
    registry("fail", null);
    int atStart = catalog.reads.get();
    TableDefinition same = refresh.unknownField("evo").get(10, TimeUnit.SECONDS);
    assertEquals(atStart + 1, catalog.reads.get());
    assertEquals(1, same.schemaVersion(), "no column was added");
    assertTrue(refresh.unknownField("evo").isDone(), "the next record within the interval does not wait");
    assertEquals(atStart + 1, catalog.reads.get(), "nor is the catalog read again");
  }

  @Test
  void addedColumnsBecomeTheNextVersionWhoseEncoderTakesThem() throws Exception {
    registry("fail", null);
    EncodeException before = assertThrows(EncodeException.class, () -> record(evo(), Map.of("id", "a", "note", "x")));
    assertTrue(before.unknownField(), before.getMessage());
    catalog.set("main.s.evo", "id STRING", "v INT", "note STRING");
    TableDefinition v2 = refresh.unknownField("evo").get(10, TimeUnit.SECONDS);
    assertEquals(2, v2.schemaVersion());
    assertSame(v2, evo());
    assertNotNull(record(v2, Map.of("id", "a", "note", "x")));
    SchemaNotice notice = manager.health("evo").schemaNotice();
    assertTrue(notice.adopted() && !notice.refusing());
    assertEquals("column added: note STRING", notice.change());
    assertEquals(2, manager.health("evo").schemaVersion());
  }

  @Test
  void aBreakingChangeUnderFailRefusesTheTablesRecordsUntilTheCatalogIsBack() throws Exception {
    registry("fail", null);
    byte[] r = record(evo(), Map.of("id", "a", "v", 1));
    catalog.set("main.s.evo", "id STRING", "v BIGINT");
    refresh.sweep();
    SchemaChangedException refused = assertThrows(SchemaChangedException.class, () -> manager.ingest("evo", r));
    assertTrue(refused.getMessage().contains("column v changed type from INT to BIGINT"), refused.getMessage());
    assertTrue(refused.getMessage().contains("until a restart"), refused.getMessage());
    assertTrue(manager.health("evo").schemaNotice().refusing());
    assertEquals(1, evo().schemaVersion(), "nothing adopted");

    catalog.set("main.s.evo", "id STRING", "v INT");
    refresh.sweep();
    assertNull(evo().schemaNotice(), "back to the columns in use");
    manager.ingest("evo", r).durable().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aBreakingChangeUnderWarnIsShownAndRecordsGoOnWithTheOldColumns() throws Exception {
    registry("warn", null);
    catalog.set("main.s.evo", "id STRING");
    refresh.sweep();
    SchemaNotice notice = evo().schemaNotice();
    assertFalse(notice.refusing() || notice.adopted());
    assertEquals("column v dropped or renamed", notice.change());
    manager.ingest("evo", record(evo(), Map.of("id", "a", "v", 1))).durable().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aLocalSchemaIsKeptAndTheCatalogsChangeOnlyReported() throws Exception {
    registry("fail", "[{\"name\": \"id\", \"type\": \"string\", \"field_num\": 1},"
        + " {\"name\": \"v\", \"type\": \"int32\", \"field_num\": 2}]");
    int atStart = catalog.reads.get();
    assertSame(evo(), refresh.unknownField("evo").get(1, TimeUnit.SECONDS));
    assertEquals(atStart, catalog.reads.get(), "a local schema is not read again for a record");
    catalog.set("main.s.evo", "id STRING", "v INT", "note STRING");
    refresh.sweep();
    SchemaNotice notice = evo().schemaNotice();
    assertEquals(1, evo().schemaVersion());
    assertFalse(notice.adopted() || notice.refusing());
    assertTrue(notice.change().startsWith("Unity Catalog's columns changed since start (column added: note STRING);"
        + " the local schema from config.json fields is kept and still fits them"), notice.change());
  }

  @Test
  void anUnreachableCatalogChangesNothing() throws Exception {
    registry("fail", null);
    TableDefinition before = evo();
    catalog.unreachable(true);
    assertSame(before, refresh.unknownField("evo").get(10, TimeUnit.SECONDS));
    refresh.sweep();
    assertSame(before, evo());
    assertEquals(List.of("evo"), registry.keys());
  }
}
