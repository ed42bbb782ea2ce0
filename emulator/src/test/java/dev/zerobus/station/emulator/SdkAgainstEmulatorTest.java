package dev.zerobus.station.emulator;

import static dev.zerobus.station.emulator.TestSdk.assertReadings;
import static dev.zerobus.station.emulator.TestSdk.reading;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.NonRetriableException;
import com.databricks.zerobus.ZerobusException;
import com.databricks.zerobus.ZerobusJsonStream;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.zerobus.station.emulator.testing.AllTypes;
import dev.zerobus.station.emulator.testing.LedgerEntry;
import dev.zerobus.station.emulator.testing.Reading;
import dev.zerobus.station.emulator.testing.ReadingPlus;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real SDK against the emulator, without faults: what goes in lands, row by row. */
class SdkAgainstEmulatorTest {
  private static final int N = 100_000;
  private static ZerobusEmulator emulator;
  private static ZerobusSdk sdk;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder()
        .table("main.declared.readings", "device_name STRING NOT NULL, temp INT, humidity BIGINT")
        .table("main.declared.narrow", "device_name STRING, temp TINYINT, humidity BIGINT")
        .table("main.declared.ledger", "id STRING NOT NULL, amount DECIMAL(10,2), note STRING")
        .start();
    sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl());
  }

  @AfterAll
  static void stop() {
    if (sdk != null) {
      sdk.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  @Test
  void singleRecordsLandInOrderWithOneOffsetEach() throws Exception {
    String table = "main.test.single_records";
    ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, table, Reading.getDescriptor(), TestSdk.patient());
    long last = -1;
    for (int i = 0; i < N; i++) {
      last = stream.ingestRecordOffset(reading(i));
    }
    stream.flush();
    stream.close();

    assertEquals(N - 1, last, "one Zerobus offset per single-record call");
    List<JsonNode> rows = emulator.rows(table);
    assertEquals(N, rows.size());
    assertEquals(0, assertReadings(rows, N), "duplicates");
    for (int i = 0; i < N; i++) {
      assertEquals("sensor-" + i, rows.get(i).get("row").get("device_name").asText(), "order");
      assertEquals(i, rows.get(i).get("offset").asLong());
      assertEquals(0, rows.get(i).get("index").asInt());
    }
  }

  @Test
  void batchesTakeOneOffsetPerCall() throws Exception {
    String table = "main.test.batches";
    ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, table, Reading.getDescriptor(), TestSdk.patient());
    List<Long> offsets = new ArrayList<>();
    for (int b = 0; b < N / 1000; b++) {
      List<byte[]> batch = new ArrayList<>();
      for (int i = b * 1000; i < (b + 1) * 1000; i++) {
        batch.add(reading(i).toByteArray());
      }
      Optional<Long> offset = stream.ingestRecordsOffset(batch);
      offsets.add(offset.orElseThrow());
    }
    stream.flush();
    stream.close();

    assertEquals(N / 1000 - 1, offsets.get(offsets.size() - 1), "one Zerobus offset per batch call");
    List<JsonNode> rows = emulator.rows(table);
    assertEquals(N, rows.size());
    assertEquals(0, assertReadings(rows, N));
    JsonNode lastRow = rows.get(N - 1);
    assertEquals(N / 1000 - 1, lastRow.get("offset").asLong());
    assertEquals(999, lastRow.get("index").asInt());
    assertEquals("main.test.batches", emulator.tables().stream().filter(table::equals).findFirst().orElseThrow());
    assertEquals("device_name STRING, temp INT, humidity BIGINT", emulator.columns(table));
  }

  @Test
  void jsonStreamsLandTheObjects() throws Exception {
    String table = "main.test.json_rows";
    ZerobusJsonStream stream = TestSdk.jsonStream(sdk, emulator, table, TestSdk.patient());
    List<String> batch = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      String json = "{\"device_name\":\"sensor-" + i + "\",\"temp\":" + (i % 50 - 10) + ",\"humidity\":" + (1_000_000_000L * i) + "}";
      if (i < 2500) {
        stream.ingestRecordOffset(json);
      } else {
        batch.add(json);
      }
    }
    stream.ingestRecordsOffset(batch);
    stream.flush();
    stream.close();
    assertEquals(0, assertReadings(emulator.rows(table), 5000));
  }

  @Test
  void everyColumnTypeRoundTrips() throws Exception {
    String table = "main.test.all_types";
    AllTypes record = AllTypes.newBuilder()
        .setName("ünïcødé ✓").setSmall(-2_147_483_648).setBig(9_223_372_036_854_775_807L)
        .setRatio(0.25f).setScore(-1.5e300).setActive(true)
        .setPayload(ByteString.copyFrom(new byte[] {0, 1, (byte) 0xff}))
        .addTags("a").addTags("b")
        .putCounters("x", 1).putCounters("y", -2)
        .setLocation(AllTypes.Location.newBuilder().setLat(52.5).setLon(13.4).setLabel("Berlin"))
        .addStops(AllTypes.Location.newBuilder().setLabel("one"))
        .addStops(AllTypes.Location.newBuilder().setLabel("two"))
        .setDay(20_000).setAtMicros(1_700_000_000_000_000L).setDelta(-5)
        .build();
    ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, table, AllTypes.getDescriptor(), TestSdk.patient());
    stream.ingestRecordOffset(record);
    stream.ingestRecordOffset(AllTypes.newBuilder().setName("sparse").build());
    stream.flush();
    stream.close();

    List<JsonNode> rows = emulator.rowValues(table);
    JsonNode expected = new ObjectMapper().readTree("{\"name\":\"ünïcødé ✓\",\"small\":-2147483648,"
        + "\"big\":9223372036854775807,\"ratio\":0.25,\"score\":-1.5E300,\"active\":true,"
        + "\"payload\":\"" + Base64.getEncoder().encodeToString(new byte[] {0, 1, (byte) 0xff}) + "\","
        + "\"tags\":[\"a\",\"b\"],\"counters\":{\"x\":1,\"y\":-2},"
        + "\"location\":{\"lat\":52.5,\"lon\":13.4,\"label\":\"Berlin\"},"
        + "\"stops\":[{\"label\":\"one\"},{\"label\":\"two\"}],\"day\":20000,\"at_micros\":1700000000000000,\"delta\":-5}");
    assertEquals(expected, rows.get(0));
    assertEquals(new ObjectMapper().readTree("{\"name\":\"sparse\"}"), rows.get(1), "unset fields stay absent (null)");
    assertEquals("name STRING, small INT, big BIGINT, ratio FLOAT, score DOUBLE, active BOOLEAN, payload BINARY, "
        + "tags ARRAY<STRING>, counters MAP<STRING, BIGINT>, location STRUCT<lat: DOUBLE, lon: DOUBLE, label: STRING>, "
        + "stops ARRAY<STRUCT<lat: DOUBLE, lon: DOUBLE, label: STRING>>, day INT, at_micros BIGINT, delta BIGINT",
        emulator.columns(table));
  }

  @Test
  void aDeclaredTableAcceptsAFittingDescriptor() throws Exception {
    ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, "main.declared.readings", Reading.getDescriptor(),
        TestSdk.patient());
    stream.ingestRecordOffset(reading(7));
    stream.flush();
    stream.close();
    assertEquals("sensor-7", emulator.rowValues("main.declared.readings").get(0).get("device_name").asText());
  }

  @Test
  void aDescriptorThatDoesNotFitTheTableIsRefusedNamingTheField() {
    Exception e = assertThrows(Exception.class, () -> TestSdk.protoStream(sdk, emulator, "main.declared.readings",
        ReadingPlus.getDescriptor(), TestSdk.patient()));
    assertInstanceOf(NonRetriableException.class, e, e.toString());
    assertTrue(e.getMessage().contains("descriptor field 'extra' is not a column"), e.getMessage());
    assertTrue(e.getMessage().contains("main.declared.readings"), e.getMessage());
  }

  /**
   * The emulator fails the stream only after "ok" is durable and acked, so when flush() throws,
   * "ok" has landed and the SDK has seen its ack; "too hot" never lands.
   */
  @Test
  void aValueOutOfRangeForANarrowColumnFailsTheStreamNamingTheField() throws Exception {
    TestSdk.Acks acks = new TestSdk.Acks();
    ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, "main.declared.narrow", Reading.getDescriptor(),
        TestSdk.patient(acks));
    stream.ingestRecordOffset(Reading.newBuilder().setDeviceName("ok").setTemp(100).build());
    stream.ingestRecordOffset(Reading.newBuilder().setDeviceName("too hot").setTemp(300).build());
    ZerobusException e = assertThrows(ZerobusException.class, stream::flush);
    assertInstanceOf(NonRetriableException.class, e, e.toString());
    String reason = "table main.declared.narrow, record 0 at offset 1: field 'temp' value 300 is out of range for TINYINT";
    assertTrue(e.getMessage().contains(reason), e.getMessage());
    assertTrue(acks.awaitError(1).contains(reason), acks.errors().toString());
    assertEquals(0, acks.ackedUpTo(), "the record before the refused one was acknowledged");
    assertEquals(List.of("ok"), emulator.rowValues("main.declared.narrow").stream().map(r -> r.get("device_name").asText()).toList());
    try {
      stream.close();
    } catch (ZerobusException alreadyFailed) {
      // close reports the same failure
    }
  }

  @Test
  void decimalTextLandsExactlyAndAValueThatWouldNeedRoundingFailsTheStream() throws Exception {
    String table = "main.declared.ledger";
    TestSdk.Acks acks = new TestSdk.Acks();
    ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, table, LedgerEntry.getDescriptor(),
        TestSdk.patient(acks));
    stream.ingestRecordOffset(LedgerEntry.newBuilder().setId("a").setAmount("12345678.91").build());
    stream.ingestRecordOffset(LedgerEntry.newBuilder().setId("b").setAmount("12.345").build());
    ZerobusException e = assertThrows(ZerobusException.class, stream::flush);
    assertInstanceOf(NonRetriableException.class, e, e.toString());
    String reason = "table main.declared.ledger, record 0 at offset 1: field 'amount' value \"12.345\" does not fit"
        + " DECIMAL(10,2): it needs 3 digits after the point, DECIMAL(10,2) keeps 2";
    assertTrue(e.getMessage().contains(reason), e.getMessage());
    // The SDK's callbacks come after flush() returns, in order: the ack of record 0, then the error.
    assertTrue(acks.awaitError(1).contains(reason), acks.errors().toString());
    assertEquals(0, acks.ackedUpTo(), "the record before the refused one was acknowledged");
    List<JsonNode> rows = emulator.rowValues(table);
    assertEquals(1, rows.size(), rows.toString());
    assertEquals("{\"id\":\"a\",\"amount\":\"12345678.91\"}", rows.get(0).toString());
    try {
      stream.close();
    } catch (ZerobusException alreadyFailed) {
      // close reports the same failure
    }
  }

  @Test
  void wrongCredentialsFailWithTheCause() {
    Exception e = assertThrows(Exception.class, () -> TestSdk.unwrap(() -> sdk.createProtoStream("main.test.denied",
        Reading.getDescriptor().toProto(), emulator.clientId(), "not-the-secret", TestSdk.patient()).get()));
    assertInstanceOf(NonRetriableException.class, e, e.toString());
    assertTrue(e.getMessage().contains("401") && e.getMessage().contains("invalid client credentials"), e.getMessage());
    assertTrue(!e.getMessage().contains("not-the-secret"), "the secret is not echoed");
  }
}
