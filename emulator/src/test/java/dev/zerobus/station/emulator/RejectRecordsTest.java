package dev.zerobus.station.emulator;

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
import dev.zerobus.station.emulator.testing.Reading;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reject-records fault through the real SDK: a matching record fails its stream with
 * INVALID_ARGUMENT naming the record, nothing of its message lands, and what came before does.
 */
class RejectRecordsTest {
  private static final String COLUMNS = "device_name STRING, temp INT, humidity BIGINT";
  private static ZerobusEmulator emulator;
  private static ZerobusSdk sdk;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder()
        .table("main.reject.by_value", COLUMNS)
        .table("main.reject.json", COLUMNS)
        .table("main.reject.every", COLUMNS)
        .start();
    sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl());
  }

  @AfterAll
  static void stop() {
    sdk.close();
    emulator.close();
  }

  @AfterEach
  void clearFaults() {
    emulator.faults().clear();
  }

  @Test
  void aMatchingRecordFailsTheStreamNamingRecordOffsetFieldAndValue() throws Exception {
    String table = "main.reject.by_value";
    emulator.faults().rejectRecords(table, "temp", "1000");
    TestSdk.Acks acks = new TestSdk.Acks();
    ZerobusProtoStream stream = open(table, acks);
    stream.ingestRecordOffset(reading("ok", 1));
    stream.ingestRecordsOffset(List.of(bytes("a", 2), bytes("b", 3), bytes("c", 4), bytes("hot", 1000), bytes("d", 5)));
    stream.ingestRecordOffset(reading("after", 6));

    String description = "table " + table + ", record 3 at offset 1: field 'temp' value 1000 refused by fault "
        + "injection (reject-records)";
    ZerobusException e = assertThrows(ZerobusException.class, stream::flush);
    assertInstanceOf(NonRetriableException.class, e, e.toString());
    assertEquals("Invalid argument: " + description + ".", e.getMessage());
    assertEquals("Invalid argument: " + description + ".", acks.awaitError(1));
    assertEquals(0, acks.ackedUpTo(), "the message before the refused one was acknowledged");
    // The stream fails only once what came before it is durable; the refused message and later ones never land.
    assertEquals(List.of("ok"), names(table));
    report("reject-records temp=1000 (record 3 of a batch of 5)", e);
    close(stream);

    // The fault stands: a new stream is refused for the next match, and takes what does not match.
    ZerobusProtoStream again = open(table, new TestSdk.Acks());
    again.ingestRecordsOffset(List.of(bytes("e", 7), bytes("f", 8)));
    again.flush();
    again.ingestRecordOffset(reading("hot again", 1000));
    ZerobusException second = assertThrows(ZerobusException.class, again::flush);
    assertTrue(second.getMessage().contains("record 0 at offset 1: field 'temp' value 1000 refused"), second.getMessage());
    assertEquals(List.of("ok", "e", "f"), names(table));
    close(again);

    emulator.faults().clear();
    ZerobusProtoStream cleared = open(table, new TestSdk.Acks());
    cleared.ingestRecordOffset(reading("hot at last", 1000));
    cleared.flush();
    cleared.close();
    assertEquals(List.of("ok", "e", "f", "hot at last"), names(table));
  }

  @Test
  void valuesAreComparedByTheirJsonText() throws Exception {
    String table = "main.reject.json";
    emulator.faults().rejectRecords(table, "device_name", "p");
    emulator.faults().rejectRecords(table, "humidity", "1000");
    ZerobusJsonStream stream = TestSdk.jsonStream(sdk, emulator, table, TestSdk.patient(new TestSdk.Acks()));
    stream.ingestRecordOffset("{\"device_name\":\"pp\",\"temp\":1,\"humidity\":999}");
    stream.flush();
    stream.ingestRecordOffset("{\"device_name\":\"p\",\"temp\":1}");
    ZerobusException e = assertThrows(ZerobusException.class, stream::flush);
    assertTrue(e.getMessage().contains("table " + table + ", record 0 at offset 1: field 'device_name' value \"p\" "
        + "refused by fault injection (reject-records)"), e.getMessage());
    close(stream);

    ZerobusJsonStream number = TestSdk.jsonStream(sdk, emulator, table, TestSdk.patient(new TestSdk.Acks()));
    number.ingestRecordsOffset(List.of("{\"device_name\":\"q\",\"humidity\":999}", "{\"device_name\":\"r\",\"humidity\":1000}"));
    ZerobusException n = assertThrows(ZerobusException.class, number::flush);
    assertTrue(n.getMessage().contains("record 1 at offset 0: field 'humidity' value 1000 refused"), n.getMessage());
    close(number);

    // BIGINT also takes a JSON string of digits; "1000" is then the text compared.
    ZerobusJsonStream text = TestSdk.jsonStream(sdk, emulator, table, TestSdk.patient(new TestSdk.Acks()));
    text.ingestRecordOffset("{\"device_name\":\"s\",\"humidity\":\"1000\"}");
    ZerobusException t = assertThrows(ZerobusException.class, text::flush);
    assertTrue(t.getMessage().contains("record 0 at offset 0: field 'humidity' value \"1000\" refused"), t.getMessage());
    close(text);
    assertEquals(List.of("pp"), names(table), "only the records that matched no rule landed");
  }

  @Test
  void everyNthRecordIsRefusedCountingRecordsAcrossStreams() throws Exception {
    String table = "main.reject.every";
    emulator.faults().rejectEveryNth(table, 4);
    ZerobusProtoStream first = open(table, new TestSdk.Acks());
    first.ingestRecordsOffset(List.of(bytes("r1", 1), bytes("r2", 2), bytes("r3", 3)));
    first.flush();
    first.ingestRecordsOffset(List.of(bytes("r4", 4), bytes("r5", 5)));
    ZerobusException e = assertThrows(ZerobusException.class, first::flush);
    assertTrue(e.getMessage().contains("table " + table + ", record 0 at offset 1: record 4 received on the table "
        + "refused by fault injection (reject-records every 4)"), e.getMessage());
    close(first);

    // The count goes on across streams: r4 was the 4th; r5 (never examined) and the next three are 5..7.
    ZerobusProtoStream second = open(table, new TestSdk.Acks());
    second.ingestRecordsOffset(List.of(bytes("r5", 5), bytes("r6", 6), bytes("r7", 7)));
    second.flush();
    second.ingestRecordOffset(reading("r8", 8));
    ZerobusException e8 = assertThrows(ZerobusException.class, second::flush);
    assertTrue(e8.getMessage().contains("record 0 at offset 1: record 8 received on the table refused"), e8.getMessage());
    close(second);
    assertEquals(List.of("r1", "r2", "r3", "r5", "r6", "r7"), names(table));
    Map<String, Object> faults = emulator.faults().describe();
    assertEquals(Map.of(table, List.of(Map.of("every", 4L, "received", 8L))), faults.get("reject_records"));
  }

  private static ZerobusProtoStream open(String table, TestSdk.Acks acks) throws Exception {
    return TestSdk.protoStream(sdk, emulator, table, Reading.getDescriptor(), TestSdk.patient(acks));
  }

  private static Reading reading(String name, int temp) {
    return Reading.newBuilder().setDeviceName(name).setTemp(temp).build();
  }

  private static byte[] bytes(String name, int temp) {
    return reading(name, temp).toByteArray();
  }

  private static List<String> names(String table) {
    List<String> out = new ArrayList<>();
    for (JsonNode row : emulator.rowValues(table)) {
      out.add(row.get("device_name").asText());
    }
    return out;
  }

  /** A failed stream's close reports the same failure; only that it ends is of interest here. */
  private static void close(AutoCloseable stream) {
    try {
      stream.close();
    } catch (Exception expected) {
      // the stream already failed
    }
  }

  private static void report(String fault, Exception e) {
    System.out.printf("FAULT-RESULT | %s | %s: %s%n", fault, e.getClass().getSimpleName(), e.getMessage());
  }
}
