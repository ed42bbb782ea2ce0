package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.emulator.ColumnType.DecimalOf;
import dev.zerobus.station.emulator.testing.AllTypes;
import dev.zerobus.station.emulator.testing.LedgerEntry;
import dev.zerobus.station.emulator.testing.Reading;
import org.junit.jupiter.api.Test;

class TableSchemaTest {

  @Test
  void parsesCreateTableColumnListsAndPrintsThemBack() {
    String sql = "id BIGINT NOT NULL, name STRING, tags ARRAY<STRING>, attrs MAP<STRING, INT>, "
        + "loc STRUCT<lat: DOUBLE, lon: DOUBLE NOT NULL>, at TIMESTAMP, day DATE, flag BOOLEAN, raw BINARY, "
        + "tiny TINYINT, small SMALLINT, f FLOAT, v VARIANT, ntz TIMESTAMP_NTZ";
    assertEquals(sql, TableSchema.parse(sql).sql());
    assertEquals("a INT, b BIGINT, c STRING, d STRUCT<x: STRING>",
        TableSchema.parse("`a` integer, b long COMMENT 'x', c varchar(10), d struct<x string>").sql());
  }

  @Test
  void declaresDecimalColumnsWithPrecisionAndScale() {
    TableSchema ledger = TableSchema.parse("id STRING NOT NULL, amount DECIMAL(10,2), note STRING");
    assertEquals(new DecimalOf(10, 2), ledger.column("amount").type());
    assertEquals("id STRING NOT NULL, amount DECIMAL(10,2), note STRING", ledger.sql());
    assertEquals("a DECIMAL(10,0), b DECIMAL(5,0), c DECIMAL(38,38), d ARRAY<DECIMAL(4,1)>, m MAP<DECIMAL(3,0), STRING>",
        TableSchema.parse("a DECIMAL, b numeric(5), c dec(38, 38), d ARRAY<DECIMAL(4, 1)>, m MAP<DECIMAL(3), STRING>")
            .sql());
    assertNull(ledger.mismatch("t", LedgerEntry.getDescriptor()), "DECIMAL is written as a protobuf string");
    assertEquals("table t: field 'temp' is int32 but column is DECIMAL(10,2) (write it as protobuf string, the number's"
        + " decimal text)", TableSchema.parse("device_name STRING, temp DECIMAL(10,2)").mismatch("t",
            Reading.getDescriptor()));
  }

  @Test
  void rejectsWhatZerobusCannotWrite() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TableSchema.parse("d DECIMAL(39,2)"));
    assertTrue(e.getMessage().contains("precision must be 1 to 38 and scale 0 to the precision"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TableSchema.parse("d DECIMAL(5,6)"));
    assertThrows(IllegalArgumentException.class, () -> TableSchema.parse("d DECIMAL(x)"));
    e = assertThrows(IllegalArgumentException.class, () -> TableSchema.parse("d MONEY"));
    assertTrue(e.getMessage().contains("unsupported column type MONEY"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TableSchema.parse("m MAP<DOUBLE, INT>"));
    assertThrows(IllegalArgumentException.class, () -> TableSchema.parse("a INT,"));
    assertThrows(IllegalArgumentException.class, () -> TableSchema.parse(""));
  }

  @Test
  void aDescriptorFitsTheTableItCreates() {
    TableSchema schema = TableSchema.fromDescriptor(AllTypes.getDescriptor());
    assertNull(schema.mismatch("t", AllTypes.getDescriptor()));
    assertNull(TableSchema.parse(schema.sql()).mismatch("t", AllTypes.getDescriptor()));
  }

  @Test
  void mismatchesNameTheTableAndTheField() {
    TableSchema schema = TableSchema.parse("device_name STRING, temp BIGINT, humidity BIGINT");
    assertEquals("table t: field 'temp' is int32 but column is BIGINT (write it as protobuf int64)",
        schema.mismatch("t", Reading.getDescriptor()));

    TableSchema notNull = TableSchema.parse("device_name STRING, temp INT, humidity BIGINT, site STRING NOT NULL");
    assertEquals("table t: column 'site' is NOT NULL but the descriptor has no field for it",
        notNull.mismatch("t", Reading.getDescriptor()));

    TableSchema nested = TableSchema.parse("location STRUCT<lat: DOUBLE, lon: STRING>");
    String m = nested.mismatch("t", AllTypes.getDescriptor());
    assertTrue(m.startsWith("table t: descriptor field 'name' is not a column"), m);

    TableSchema all = TableSchema.fromDescriptor(AllTypes.getDescriptor());
    TableSchema wrongStruct = TableSchema.parse(all.sql().replace("lon: DOUBLE, label: STRING>, stops", "lon: STRING, label: STRING>, stops"));
    assertEquals("table t: field 'location.lon' is double but column is STRING (write it as protobuf string)",
        wrongStruct.mismatch("t", AllTypes.getDescriptor()));
    TableSchema notArray = TableSchema.parse(all.sql().replace("tags ARRAY<STRING>", "tags STRING"));
    assertEquals("table t: field 'tags' is repeated string but column is STRING",
        notArray.mismatch("t", AllTypes.getDescriptor()));
  }
}
