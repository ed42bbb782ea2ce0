package dev.zerobus.station.core.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.schema.DeltaType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The column-type table itself: names resolve, the SDK generator's mapping holds, the docs list every entry. */
class DeltaTypeTest {
  @Test
  void everyNameResolvesToItsEntry() {
    for (DeltaType t : DeltaType.values()) {
      assertEquals(t, DeltaType.named(t.sql()), t.sql());
      assertEquals(t, DeltaType.named(t.sparkName()), t.sparkName());
      t.aliases().forEach(a -> assertEquals(t, DeltaType.named(a), a));
    }
    assertEquals(DeltaType.DECIMAL, DeltaType.named("decimal(10,2)"));
    assertEquals(DeltaType.STRING, DeltaType.named("VARCHAR(20)"));
    assertNull(DeltaType.named("money"));
  }

  @Test
  void theSdkGeneratorsMappingHolds() {
    String[][] generator = {{"TINYINT", "int32"}, {"SMALLINT", "int32"}, {"INT", "int32"}, {"BIGINT", "int64"},
        {"FLOAT", "float"}, {"DOUBLE", "double"}, {"BOOLEAN", "bool"}, {"STRING", "string"}, {"BINARY", "bytes"},
        {"DATE", "int32"}, {"TIMESTAMP", "int64"}, {"TIMESTAMP_NTZ", "int64"}, {"VARIANT", "string"},
        {"DECIMAL", "string"}};
    for (String[] m : generator) {
      assertEquals(m[1], DeltaType.valueOf(m[0]).protoName(), m[0]);
    }
    for (DeltaType t : DeltaType.values()) {
      assertNotNull(t.openApi().get("type") != null ? t.openApi() : t.openApi().get("oneOf"), t.name());
      if (t.integral()) {
        assertTrue(t.min() < 0 && t.max() > 0, t.name());
      }
    }
  }

  @Test
  void decimalNamesGiveTheirPrecisionAndScale() {
    assertEquals(new DecimalType(10, 2), DecimalType.parse("decimal(10,2)"));
    assertEquals(new DecimalType(10, 2), DecimalType.parse(" DECIMAL( 10 , 2 ) "));
    assertEquals(new DecimalType(5, 0), DecimalType.parse("numeric(5)"));
    assertEquals(DecimalType.DEFAULT, DecimalType.parse("dec"));
    assertEquals(new DecimalType(10, 0), DecimalType.DEFAULT, "Databricks' DECIMAL without arguments");
    assertNull(DecimalType.parse("string"));
    assertEquals("DECIMAL(38,38)", DecimalType.parse("decimal(38,38)").sql());
    for (String bad : new String[] {"decimal(39,2)", "decimal(5,6)", "decimal(0)", "decimal(x,1)", "decimal(1,2,3)",
        "decimal(10,2"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecimalType.parse(bad), bad);
      assertTrue(e.getMessage().contains(bad.substring(0, 7)) || e.getMessage().contains("DECIMAL("), e.getMessage());
    }
    assertEquals("DECIMAL(10,2): at most 8 digits before the point and 2 after; written as exact decimal text, a value"
        + " that would need rounding is refused", new DecimalType(10, 2).openApi().get("description").asText());
  }

  @Test
  void theConfigurationDocsListEveryType() throws Exception {
    String docs = Files.readString(Path.of("..", "docs", "configuration.md"));
    String table = docs.substring(docs.indexOf("### Column types"), docs.indexOf("## Schemas from Unity Catalog"));
    for (DeltaType t : DeltaType.values()) {
      assertTrue(table.contains("| " + t.sql()), t.sql() + " is missing from docs/configuration.md's column types");
      if (t.protoName() != null) {
        assertTrue(table.contains("| " + t.sql() + " | " + t.protoName()), t.sql() + " maps to " + t.protoName());
      }
    }
  }
}
