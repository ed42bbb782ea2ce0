package dev.zerobus.station.core.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import dev.zerobus.station.core.schema.CatalogTable.Column;
import dev.zerobus.station.core.schema.CatalogTable.Type;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a change in a table's catalog columns means for records written before it. */
class SchemaChangeTest {
  private static Column col(String name, DeltaType type) {
    return new Column(name, Type.scalar(type), true);
  }

  private static CatalogTable table(Column... columns) {
    return new CatalogTable("main.s.t", List.of(columns));
  }

  private static Column struct(String name, Column... fields) {
    return new Column(name, Type.of(DeltaType.STRUCT, null, null, null, List.of(fields)), true);
  }

  @Test
  void nullableColumnsAddedAnywhereAreOnlyAdditions() {
    CatalogTable before = table(col("id", DeltaType.STRING), col("v", DeltaType.INT));
    SchemaChange atEnd = SchemaChange.between(before, table(col("id", DeltaType.STRING), col("v", DeltaType.INT),
        col("note", DeltaType.STRING)));
    assertTrue(atEnd.onlyAdded());
    assertEquals("column added: note STRING", atEnd.describe());
    SchemaChange first = SchemaChange.between(before, table(col("note", DeltaType.STRING), col("id", DeltaType.STRING),
        col("v", DeltaType.INT)));
    assertTrue(first.onlyAdded(), first.describe());
    assertEquals(List.of(), first.harmless(), "adding a column first reorders nothing that was there");
  }

  @Test
  void aFieldAddedToAStructIsAnAddition() {
    CatalogTable before = table(col("id", DeltaType.STRING), struct("loc", col("lat", DeltaType.DOUBLE)));
    SchemaChange change = SchemaChange.between(before, table(col("id", DeltaType.STRING),
        struct("loc", col("lat", DeltaType.DOUBLE), col("alt", DeltaType.DOUBLE))));
    assertEquals(List.of("loc.alt DOUBLE"), change.added());
    assertTrue(change.breaking().isEmpty());
  }

  @Test
  void droppedRenamedRetypedOrTightenedColumnsAreBreaking() {
    CatalogTable before = table(col("id", DeltaType.STRING), col("v", DeltaType.INT), col("note", DeltaType.STRING));
    assertEquals(List.of("column note dropped or renamed"), SchemaChange.between(before,
        table(col("id", DeltaType.STRING), col("v", DeltaType.INT))).breaking());
    assertEquals(List.of("column note dropped or renamed"), SchemaChange.between(before,
        table(col("id", DeltaType.STRING), col("v", DeltaType.INT), col("Note", DeltaType.STRING))).breaking(),
        "a name that differs only in case is another field to protobuf");
    assertEquals(List.of("column v changed type from INT to BIGINT"), SchemaChange.between(before,
        table(col("id", DeltaType.STRING), col("v", DeltaType.BIGINT), col("note", DeltaType.STRING))).breaking());
    assertEquals(List.of("column v is now NOT NULL"), SchemaChange.between(before, table(col("id", DeltaType.STRING),
        new Column("v", Type.scalar(DeltaType.INT), false), col("note", DeltaType.STRING))).breaking());
    assertEquals(List.of("column n added as NOT NULL"), SchemaChange.between(before, table(col("id", DeltaType.STRING),
        col("v", DeltaType.INT), col("note", DeltaType.STRING), new Column("n", Type.scalar(DeltaType.INT), false)))
        .breaking());
    assertEquals(List.of("column v changed type from DECIMAL(10,2) to DECIMAL(12,2)"), SchemaChange.between(
        table(new Column("v", Type.decimal(new DecimalType(10, 2)), true)),
        table(new Column("v", Type.decimal(new DecimalType(12, 2)), true))).breaking());
  }

  @Test
  void reorderingOrDroppingNotNullChangesNothingForRecords() {
    CatalogTable before = table(new Column("id", Type.scalar(DeltaType.STRING), false), col("v", DeltaType.INT));
    SchemaChange change = SchemaChange.between(before, table(col("v", DeltaType.INT), col("id", DeltaType.STRING)));
    assertTrue(change.breaking().isEmpty() && change.added().isEmpty());
    assertEquals(List.of("column id may now be NULL", "columns reordered"), change.harmless());
    assertFalse(change.none());
    assertTrue(SchemaChange.between(before, before).none());
  }

  @Test
  void aRebuiltMessageKeepsTheNumbersOfTheFieldsItHadSoOldRecordsReadTheSame() throws Exception {
    CatalogTable before = table(col("id", DeltaType.STRING), col("v", DeltaType.INT),
        struct("loc", col("lat", DeltaType.DOUBLE)));
    Descriptor first = before.build("p", "T").descriptor();
    assertEquals(List.of(1, 2, 3), first.getFields().stream().map(f -> f.getNumber()).toList(),
        "numbered by position first, as the SDK's generator does");
    CatalogTable after = table(col("note", DeltaType.STRING), col("id", DeltaType.STRING), col("v", DeltaType.INT),
        struct("loc", col("alt", DeltaType.DOUBLE), col("lat", DeltaType.DOUBLE)));
    Descriptor next = after.build("p", "T", first).descriptor();
    assertEquals(1, next.findFieldByName("id").getNumber());
    assertEquals(2, next.findFieldByName("v").getNumber());
    assertEquals(3, next.findFieldByName("loc").getNumber());
    assertEquals(4, next.findFieldByName("note").getNumber(), "a new column takes the next free number");
    Descriptor loc = next.findFieldByName("loc").getMessageType();
    assertEquals(1, loc.findFieldByName("lat").getNumber());
    assertEquals(2, loc.findFieldByName("alt").getNumber());

    DynamicMessage old = DynamicMessage.newBuilder(first).setField(first.findFieldByName("id"), "a")
        .setField(first.findFieldByName("v"), 7).build();
    DynamicMessage read = DynamicMessage.parseFrom(next, old.toByteArray());
    assertEquals("a", read.getField(next.findFieldByName("id")));
    assertEquals(7, read.getField(next.findFieldByName("v")));
    assertFalse(read.hasField(next.findFieldByName("note")));
    assertTrue(read.getUnknownFields().asMap().isEmpty());
  }
}
