package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ColumnChangeTest {
  private static final TableSchema TABLE = TableSchema.parse("id BIGINT NOT NULL, Note STRING, loc STRUCT<lat: DOUBLE>");

  @Test
  void addedColumnsGoAtTheEnd() throws Exception {
    TableSchema after = ColumnChange.add("score DOUBLE, amount DECIMAL(10,2), `odd name` ARRAY<STRING>")
        .applyTo("t", TABLE);
    assertEquals("id BIGINT NOT NULL, Note STRING, loc STRUCT<lat: DOUBLE>, score DOUBLE, amount DECIMAL(10,2),"
        + " odd name ARRAY<STRING>", after.sql());
  }

  @Test
  void notNullColumnsAreNamedAllAtOnce() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ColumnChange.add("a INT NOT NULL, b STRING, c DOUBLE NOT NULL"));
    assertEquals("columns 'a', 'c' are NOT NULL: columns are added as nullable (the rows already landed have no value"
        + " for them), as Databricks refuses ADD COLUMNS of a NOT NULL column without a default", e.getMessage());
  }

  @Test
  void namesCompareIgnoringCase() {
    ColumnChange.Conflict e = assertThrows(ColumnChange.Conflict.class,
        () -> ColumnChange.add("NOTE STRING, ID INT").applyTo("t", TABLE));
    assertEquals("table t already has columns 'Note', 'id' (column names are case-insensitive; columns: id, Note, loc)",
        e.getMessage());
    assertEquals("id BIGINT NOT NULL, loc STRUCT<lat: DOUBLE>", assertDoesNotConflict(ColumnChange.drop("note")).sql());
  }

  @Test
  void dropTakesNamesSeparatedByCommas() {
    assertEquals(List.of("a,b", "c", "d_1"), ColumnChange.drop(" `a,b` , c,d_1 ").names());
    for (String bad : List.of("a b", "a,", ",a", "loc.lat", "`a", "a, A")) {
      assertThrows(IllegalArgumentException.class, () -> ColumnChange.drop(bad), bad);
    }
  }

  private static TableSchema assertDoesNotConflict(ColumnChange change) {
    try {
      return change.applyTo("t", TABLE);
    } catch (ColumnChange.Conflict e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }
}
