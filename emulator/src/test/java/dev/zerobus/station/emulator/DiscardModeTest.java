package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.NonRetriableException;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.emulator.testing.Reading;
import dev.zerobus.station.emulator.testing.ReadingPlus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** --discard: the real SDK gets every ack, nothing lands, and the admin API counts what was discarded. */
class DiscardModeTest {
  private static final String TABLE = "main.discard.readings";
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static ZerobusEmulator emulator;
  private static ZerobusSdk sdk;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder().discard(true)
        .table(TABLE, "device_name STRING NOT NULL, temp INT, humidity BIGINT")
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
  void everyOffsetIsAckedAndCountedButNoRowLands() throws Exception {
    TestSdk.Acks acks = new TestSdk.Acks();
    ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, TABLE, Reading.getDescriptor(), TestSdk.patient(acks));
    long last = -1;
    for (int i = 0; i < 2_000; i++) {
      last = stream.ingestRecordOffset(TestSdk.reading(i));
    }
    List<Reading> batch = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      batch.add(TestSdk.reading(i));
    }
    for (int b = 0; b < 20; b++) {
      last = stream.ingestRecordsOffset(batch).orElseThrow();
    }
    stream.flush();
    long lastOffset = last;
    TestSdk.await("ack of offset " + lastOffset, java.time.Duration.ofSeconds(60),
        () -> acks.ackedUpTo() == lastOffset ? true : null);
    stream.close();

    assertEquals(2_019, lastOffset, "2,000 single records and 20 batches: one offset each");
    assertEquals(List.of(), List.copyOf(acks.errors().keySet()), "no offset failed");
    assertEquals(12_000, emulator.discardedCount(TABLE));
    assertEquals(0, emulator.rowCount(TABLE));
    assertEquals(List.of(), emulator.rows(TABLE));

    JsonNode table = get("/tables/" + TABLE);
    assertEquals(12_000, table.path("discarded_records").asLong());
    assertEquals(0, table.path("rows").asLong());
    assertTrue(get("/").path("discard").asBoolean());
  }

  @Test
  void tablesAreStillChecked() throws Exception {
    // A descriptor with a field the declared table lacks is refused at CreateStream, discard or not.
    Exception e = assertThrows(Exception.class, () -> TestSdk.protoStream(sdk, emulator, TABLE,
        ReadingPlus.getDescriptor(), TestSdk.patient()));
    assertInstanceOf(NonRetriableException.class, e, e.toString());
    assertTrue(e.getMessage().contains("descriptor field 'extra' is not a column"), e.getMessage());
  }

  @Test
  void rejectRecordsIsRefusedBecauseNothingIsDecoded() throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + "/faults/reject-records"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"table\":\"" + TABLE + "\",\"every\":2}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains("--discard"), r.body());
  }

  private static JsonNode get(String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new ObjectMapper().readTree(r.body());
  }
}
