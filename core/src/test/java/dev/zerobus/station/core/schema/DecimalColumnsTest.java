package dev.zerobus.station.core.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.Fixtures;
import dev.zerobus.station.emulator.TableSchema;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DECIMAL columns from Unity Catalog (the emulator's): the string fields they build, drift, and tables pull's text. */
class DecimalColumnsTest {
  static final String LEDGER = "id STRING NOT NULL, amount DECIMAL(10,2), note STRING, rates ARRAY<DECIMAL(5,4)>,"
      + " by_price MAP<DECIMAL(6,2), STRING>, line STRUCT<total: DECIMAL(12,3)>";
  static final String STRING_PROTO = """
      syntax = "proto2";
      package ledger;
      message Ledger {
        required string id = 1;
        optional %s amount = 2;
        optional string note = 3;
      }
      """;

  @TempDir
  static Path dir;
  static ZerobusEmulator emulator;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder().table("main.uc.ledger", LEDGER).start();
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  @Test
  void aCatalogDecimalColumnBuildsAStringFieldThatKeepsItsPrecisionAndScale() throws Exception {
    TableDefinition t = load("nolocal", "{\"ledger\": {\"table_name\": \"main.uc.ledger\"}}", Map.of());
    Descriptor d = t.descriptor();
    FieldDescriptor amount = d.findFieldByName("amount");
    assertEquals(FieldDescriptor.Type.STRING, amount.getType());
    assertEquals(DeltaType.DECIMAL, t.columnType(amount));
    assertEquals(new DecimalType(10, 2), t.decimal(amount));
    assertEquals(new DecimalType(5, 4), t.decimal(d.findFieldByName("rates")));
    assertEquals(new DecimalType(6, 2), t.decimal(d.findFieldByName("by_price").getMessageType().findFieldByNumber(1)));
    assertEquals(new DecimalType(12, 3), t.decimal(d.findFieldByName("line").getMessageType().findFieldByName("total")));
    assertNull(TableSchema.parse(LEDGER).mismatch("main.uc.ledger", d), "the emulator takes the descriptor");

    Message m = DynamicMessage.parseFrom(d, t.encoder().encode(json("{\"id\": \"a\", \"amount\": 12.3,"
        + " \"rates\": [0.5, \"1\"], \"by_price\": {\"9.5\": \"cheap\"}, \"line\": {\"total\": \"1e2\"}}")));
    assertEquals("12.30", m.getField(amount));
    assertEquals(List.of("0.5000", "1.0000"), m.getField(d.findFieldByName("rates")));
    Message entry = (Message) ((List<?>) m.getField(d.findFieldByName("by_price"))).get(0);
    assertEquals("9.50", entry.getField(entry.getDescriptorForType().findFieldByNumber(1)));
    Message line = (Message) m.getField(d.findFieldByName("line"));
    assertEquals("100.000", line.getField(line.getDescriptorForType().findFieldByName("total")));

    assertTrue(refused(t, "{\"id\": \"b\", \"rates\": [1.23456]}").contains("needs 5 digits after the point,"
        + " DECIMAL(5,4) keeps 4"));
    assertTrue(refused(t, "{\"id\": \"b\", \"by_price\": {\"abc\": \"x\"}}").contains("map key must be a DECIMAL(6,2)"));
    assertTrue(refused(t, "{\"id\": \"b\", \"line\": {\"total\": 1234567890.5}}")
        .contains("needs 10 digits before the point, DECIMAL(12,3) keeps 9"));
  }

  @Test
  void theCatalogAnswerWithoutTypeJsonGivesPrecisionAndScaleToo() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    CatalogTable fromNumbers = CatalogTable.fromTableInfo("c.s.t", mapper.readTree("{\"columns\": [{\"name\": \"v\","
        + " \"type_name\": \"DECIMAL\", \"type_text\": \"decimal(10,2)\", \"type_precision\": 18, \"type_scale\": 4,"
        + " \"position\": 0}]}"));
    assertEquals("v DECIMAL(18,4)", fromNumbers.sql());
    CatalogTable fromText = CatalogTable.fromTableInfo("c.s.t", mapper.readTree("{\"columns\": [{\"name\": \"v\","
        + " \"type_name\": \"DECIMAL\", \"type_text\": \"decimal(7,3)\", \"position\": 0}]}"));
    assertEquals("v DECIMAL(7,3)", fromText.sql());
    ConfigException e = assertThrows(ConfigException.class, () -> CatalogTable.fromTableInfo("c.s.t",
        mapper.readTree("{\"columns\": [{\"name\": \"v\", \"type_json\": \"{\\\"name\\\":\\\"v\\\","
            + "\\\"type\\\":\\\"decimal(40,2)\\\",\\\"nullable\\\":true}\", \"position\": 0}]}")));
    assertTrue(e.getMessage().contains("column 'v'") && e.getMessage().contains("precision must be 1 to 38"),
        e.getMessage());
  }

  @Test
  void aLocalStringFieldMatchesADecimalColumnAndTakesItsPrecisionAndScale() throws Exception {
    TableDefinition proto = load("proto", "{\"ledger\": {\"table_name\": \"main.uc.ledger\", \"proto_package\": \"ledger\"}}",
        Map.of("ledger", STRING_PROTO.formatted("string")));
    FieldDescriptor amount = proto.descriptor().findFieldByName("amount");
    assertEquals(new DecimalType(10, 2), proto.decimal(amount));
    assertTrue(refused(proto, "{\"id\": \"b\", \"amount\": 12.345}").contains("DECIMAL(10,2) keeps 2"));

    // The seed's configs call every text field a string: the column's precision and scale still apply.
    String fields = "[{\"name\": \"id\", \"type\": \"string\", \"proto_type\": \"required string\", \"field_num\": 1},"
        + " {\"name\": \"amount\", \"type\": \"string\", \"proto_type\": \"optional string\", \"field_num\": 2}]";
    TableDefinition seed = load("seed", "{\"ledger\": {\"table_name\": \"main.uc.ledger\", \"fields\": " + fields + "}}",
        Map.of());
    assertEquals(DeltaType.DECIMAL, seed.columnType(seed.descriptor().findFieldByName("amount")));
    assertTrue(refused(seed, "{\"id\": \"b\", \"amount\": \"12.345\"}").contains("DECIMAL(10,2) keeps 2"));
  }

  @Test
  void aDifferentPrecisionOrANonStringFieldIsDrift() {
    String fields = "[{\"name\": \"id\", \"type\": \"string\", \"proto_type\": \"required string\", \"field_num\": 1},"
        + " {\"name\": \"amount\", \"type\": \"decimal(12,2)\", \"field_num\": 2}]";
    ConfigException precision = assertThrows(ConfigException.class, () -> load("precision",
        "{\"ledger\": {\"table_name\": \"main.uc.ledger\", \"fields\": " + fields + "}}", Map.of()));
    assertTrue(precision.getMessage().contains("- precision change: field 'amount' is DECIMAL(12,2) in config.json but"
        + " column amount is DECIMAL(10,2) (written as string)"), precision.getMessage());

    TableDefinition same = load("sameprecision", "{\"ledger\": {\"table_name\": \"main.uc.ledger\", \"fields\": "
        + fields.replace("decimal(12,2)", "decimal(10,2)") + "}}", Map.of());
    assertEquals(new DecimalType(10, 2), same.decimal(same.descriptor().findFieldByName("amount")));

    ConfigException type = assertThrows(ConfigException.class, () -> load("double",
        "{\"ledger\": {\"table_name\": \"main.uc.ledger\", \"proto_package\": \"ledger\"}}",
        Map.of("ledger", STRING_PROTO.formatted("double"))));
    assertTrue(type.getMessage().contains("- type change: field 'amount' is optional double but column amount is"
        + " DECIMAL(10,2) (written as string)"), type.getMessage());
  }

  @Test
  void aDecimalTypeDatabricksDoesNotHaveFailsStartUpNamingTheField() {
    String fields = "[{\"name\": \"amount\", \"type\": \"decimal(39,2)\", \"field_num\": 2}]";
    ConfigException e = assertThrows(ConfigException.class, () -> load("bad",
        "{\"ledger\": {\"table_name\": \"main.uc.ledger\", \"fields\": " + fields + "}}", Map.of()));
    assertTrue(e.getMessage().contains("field 'amount': type DECIMAL(39,2) is not a DECIMAL Databricks has"),
        e.getMessage());
  }

  @Test
  void tablesPullWritesAStringFieldCommentedWithTheDecimal() throws Exception {
    CatalogTable ledger = new UnityCatalog(emulator.workspaceUrl(),
        new Credentials(emulator.clientId(), emulator.clientSecret()), UnityCatalog.REQUEST_TIMEOUT).table("main.uc.ledger");
    String text = ledger.protoText("ledger", "Ledger");
    assertTrue(text.contains("optional string amount = 2; // DECIMAL(10,2)\n"), text);
    assertTrue(text.contains("repeated string rates = 4; // ARRAY<DECIMAL(5,4)>\n"), text);
    assertTrue(text.contains("optional string total = 1; // DECIMAL(12,3)\n"), text);
    TableDefinition pulled = load("pulled", "{\"ledger\": {\"table_name\": \"main.uc.ledger\", \"proto_package\": \"ledger\"}}",
        Map.of("ledger", text));
    assertEquals(new DecimalType(10, 2), pulled.decimal(pulled.descriptor().findFieldByName("amount")),
        "the pulled schema takes the precision and scale from the catalog check");
  }

  private static String refused(TableDefinition t, String json) {
    return assertThrows(EncodeException.class, () -> t.encoder().encode(json(json)), json).getMessage();
  }

  private static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static TableDefinition load(String name, String tablesJson, Map<String, String> protos) {
    Path file = Fixtures.write(dir.resolve(name), Fixtures.config(emulator.zerobusEndpoint(), emulator.workspaceUrl(),
        tablesJson), protos);
    TableRegistry registry = TableRegistry.load(StationConfig.load(file, Env.of(Map.of())), EncoderOptions.STRICT,
        Env.of(Map.of(Credentials.CLIENT_ID, emulator.clientId(), Credentials.CLIENT_SECRET, emulator.clientSecret())));
    return registry.find("ledger").orElseThrow();
  }
}
