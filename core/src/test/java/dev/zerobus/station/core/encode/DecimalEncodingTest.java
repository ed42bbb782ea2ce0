package dev.zerobus.station.core.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DynamicMessage;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.schema.DecimalType;
import dev.zerobus.station.core.schema.DeltaType;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.testing.Fixtures;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DECIMAL(p,s) fields: the forms taken, the one text written for each value, and what is refused and how fast. */
class DecimalEncodingTest {
  @TempDir
  static Path dir;
  static TableDefinition ledger;

  @BeforeAll
  static void load() {
    String fields = """
        [{"name": "id", "type": "string", "proto_type": "required string", "field_num": 1},
         {"name": "amount", "type": "decimal(10,2)", "field_num": 2},
         {"name": "whole", "type": "DECIMAL(38)", "field_num": 3},
         {"name": "fraction", "type": "decimal(38,38)", "field_num": 4},
         {"name": "plain", "type": "decimal", "field_num": 5}]
        """;
    ledger = Fixtures.registry(dir, Fixtures.config("http://127.0.0.1:1", "http://127.0.0.1:2",
        "{\"ledger\": " + Fixtures.table("main.test.ledger", "ledger", "Ledger", fields) + "}"), Map.of(),
        EncoderOptions.STRICT).find("ledger").orElseThrow();
  }

  @Test
  void theFieldIsAStringWithTheColumnsPrecisionAndScale() {
    var amount = ledger.descriptor().findFieldByName("amount");
    assertEquals(com.google.protobuf.Descriptors.FieldDescriptor.Type.STRING, amount.getType());
    assertEquals(DeltaType.DECIMAL, ledger.columnType(amount));
    assertEquals(new DecimalType(10, 2), ledger.decimal(amount));
    assertEquals(new DecimalType(38, 0), ledger.decimal(ledger.descriptor().findFieldByName("whole")));
    assertEquals(DecimalType.DEFAULT, ledger.decimal(ledger.descriptor().findFieldByName("plain")));
  }

  @Test
  void jsonNumbersAndStringsAreWrittenAsTextWithExactlyTheScalesDecimals() throws Exception {
    String[][] cases = {
        {"\"12.34\"", "12.34"}, {"12.3", "12.30"}, {"-0.5", "-0.50"}, {"1e3", "1000.00"}, {"\"1E+3\"", "1000.00"},
        {"\"12.300\"", "12.30"}, {"0", "0.00"}, {"\"-0.000\"", "0.00"}, {"\"+7\"", "7.00"}, {"\".5\"", "0.50"},
        {"\"5.\"", "5.00"}, {"\"0012.5\"", "12.50"}, {"99999999.99", "99999999.99"}, {"-99999999.99", "-99999999.99"},
        {"1234e-2", "12.34"}, {"0.0001e4", "1.00"}, {"\"12345678.91\"", "12345678.91"}, {"1e-2", "0.01"},
        {"0e999999999999", "0.00"}, {"\"1" + "0".repeat(100_000) + "e-100000\"", "1.00"}};
    for (String[] c : cases) {
      assertEquals(c[1], amount(c[0]), c[0]);
    }
    assertEquals("12345678901234567890123456789012345678", field("whole", "\"12345678901234567890123456789012345678\""));
    assertEquals("1" + "0".repeat(37), field("whole", "1e37"));
    assertEquals("100", field("whole", "\"100.000\""));
    assertEquals("0.12345678901234567890123456789012345678",
        field("fraction", "\"0.12345678901234567890123456789012345678\""));
    assertEquals("-0.5" + "0".repeat(37), field("fraction", "-0.5"));
    assertEquals("42", field("plain", "42.0"));
  }

  @Test
  void aValueThatWouldNeedRoundingIsRefusedNamingTheFieldPrecisionAndScale() {
    assertEquals("table ledger, field 'amount': 12.345 needs 3 digits after the point, DECIMAL(10,2) keeps 2"
        + " (a value is never rounded)", refused("amount", "12.345").getMessage());
    assertEquals("123456789 needs 9 digits before the point, DECIMAL(10,2) keeps 8 (a value is never rounded)",
        refused("amount", "123456789").reason());
    assertTrue(refused("amount", "\"123456789.1\"").reason().contains("needs 9 digits before the point"));
    assertTrue(refused("fraction", "1").reason().contains("needs 1 digits before the point, DECIMAL(38,38) keeps 0"));
    assertTrue(refused("whole", "0.5").reason().contains("needs 1 digits after the point, DECIMAL(38,0) keeps 0"));
    assertTrue(refused("whole", "\"1" + "0".repeat(38) + "\"").reason().contains("needs 39 digits before the point"));
    for (String notANumber : new String[] {"\"abc\"", "\"\"", "\"1e\"", "\"1.2.3\"", "\" 1\"", "\"NaN\"", "\"0x10\"",
        "\"1_000\"", "\"-\"", "\".\"", "\"1e+\"", "true", "{}", "[1]"}) {
      EncodeException e = refused("amount", notANumber);
      assertEquals("amount", e.field(), notANumber);
      assertTrue(e.reason().startsWith("expected a DECIMAL(10,2) number (a JSON number, or a string such as \"12.34\"), got"),
          e.reason());
    }
  }

  @Test
  void numberBombsAreAnsweredAtOnceWithAShortReason() {
    String[][] bombs = {
        {"1e1000000000", "needs 1000000001 digits before the point"},
        {"1e-999999999", "needs 999999999 digits after the point"},
        {"9e999999999999999999", "needs over 1000000000000 digits before the point"},
        {"-1e-999999999999999999", "digits after the point"},
        {"\"1" + "0".repeat(2_000_000) + "\"", "needs 2000001 digits before the point"},
        {"\"0." + "0".repeat(2_000_000) + "1\"", "needs 2000001 digits after the point"},
        {"\"" + "7".repeat(2_000_000) + ".5\"", "digits before the point"}};
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      for (String[] b : bombs) {
        EncodeException e = refused("amount", b[0]);
        assertTrue(e.reason().contains(b[1]), e.reason());
        assertTrue(e.getMessage().length() < 200, "the reason echoes at most a few dozen characters: " + e.getMessage());
      }
    });
  }

  @Test
  void connectValuesBigDecimalIntegersStringsAndDoubles() throws Exception {
    assertEquals("12.34", value("amount", new BigDecimal("12.340")));
    assertEquals("1000.00", value("amount", new BigDecimal("1E+3")));
    assertEquals("-0.05", value("amount", new BigDecimal("-0.05")));
    assertEquals("42.00", value("amount", 42));
    assertEquals("-7.00", value("amount", -7L));
    assertEquals("12345678.00", value("amount", BigInteger.valueOf(12_345_678)));
    assertEquals("-0.50", value("amount", "-0.5"));
    assertEquals("12.50", value("amount", 12.5d));
    assertEquals("0.10", value("amount", 0.1f));
    assertTrue(refusedValue("amount", new BigDecimal("12.345")).reason()
        .contains("12.345 needs 3 digits after the point, DECIMAL(10,2) keeps 2"));
    assertTrue(refusedValue("amount", 0.1 + 0.2).reason().contains("needs 17 digits after the point"),
        "a double's binary error is refused, not rounded");
    assertTrue(refusedValue("amount", new BigDecimal("1E+1000000000")).reason()
        .contains("needs 1000000001 digits before the point"));
    assertTrue(refusedValue("amount", new BigDecimal(BigInteger.TEN.pow(5_000), 4_990)).reason()
        .contains("over a thousand digits"));
    assertTrue(refusedValue("amount", Double.NaN).reason().startsWith("expected a DECIMAL(10,2) number"));
    assertTrue(refusedValue("amount", new byte[] {1}).reason().startsWith("expected a DECIMAL(10,2) number"));
  }

  private static String amount(String json) throws Exception {
    return field("amount", json);
  }

  private static String field(String name, String json) throws Exception {
    byte[] bytes = ledger.encoder().encode(("{\"id\": \"x\", \"" + name + "\": " + json + "}")
        .getBytes(StandardCharsets.UTF_8));
    DynamicMessage m = DynamicMessage.parseFrom(ledger.descriptor(), bytes);
    return (String) m.getField(ledger.descriptor().findFieldByName(name));
  }

  private static EncodeException refused(String name, String json) {
    return assertThrows(EncodeException.class, () -> ledger.encoder().encode(("{\"id\": \"x\", \"" + name + "\": "
        + json + "}").getBytes(StandardCharsets.UTF_8)), json.length() > 40 ? json.substring(0, 40) : json);
  }

  private static String value(String name, Object v) throws Exception {
    byte[] bytes = ledger.encoder().encodeValue(record(name, v));
    DynamicMessage m = DynamicMessage.parseFrom(ledger.descriptor(), bytes);
    return (String) m.getField(ledger.descriptor().findFieldByName(name));
  }

  private static EncodeException refusedValue(String name, Object v) {
    EncodeException e = assertThrows(EncodeException.class, () -> ledger.encoder().encodeValue(record(name, v)));
    assertEquals(name, e.field());
    return e;
  }

  private static Map<String, Object> record(String name, Object v) {
    Map<String, Object> record = new HashMap<>();
    record.put("id", "x");
    record.put(name, v);
    return record;
  }
}
