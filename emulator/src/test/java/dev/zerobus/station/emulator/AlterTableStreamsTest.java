package dev.zerobus.station.emulator;

import static dev.zerobus.station.emulator.TestSdk.reading;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.NonRetriableException;
import com.databricks.zerobus.ZerobusJsonStream;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.emulator.testing.Reading;
import dev.zerobus.station.emulator.testing.ReadingPlus;
import io.grpc.Status;
import io.grpc.StatusException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams across a change of their table's columns, through the real SDK: a stream keeps the
 * columns it was checked against at CreateStream, a stream opened after the change gets the new ones.
 */
class AlterTableStreamsTest {
  private static final String TABLE = "main.alter.streams";
  private static final String COLUMNS = "device_name STRING, temp INT, humidity BIGINT";

  private ZerobusEmulator emulator;
  private ZerobusSdk sdk;

  @BeforeEach
  void start() throws Exception {
    emulator = ZerobusEmulator.builder().table(TABLE, COLUMNS).start();
    sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl());
  }

  @AfterEach
  void stop() {
    sdk.close();
    emulator.close();
  }

  @Test
  void aStreamOpenedBeforeTheChangeKeepsWritingAndOneOpenedAfterItStoresTheNewColumn() throws Exception {
    Exception before = assertThrows(Exception.class, () -> open(ReadingPlus.getDescriptor()));
    assertTrue(before.getMessage().contains("descriptor field 'extra' is not a column"), before.getMessage());
    ZerobusProtoStream old = open(Reading.getDescriptor());
    for (int i = 0; i < 10; i++) {
      old.ingestRecordOffset(reading(i));
    }
    old.flush();

    assertEquals(200, AlterTableTest.alter(emulator, TABLE, "{\"add\": \"extra STRING\"}").statusCode());

    for (int i = 10; i < 20; i++) {
      old.ingestRecordOffset(reading(i));
    }
    old.flush();
    old.close();
    ZerobusProtoStream plus = open(ReadingPlus.getDescriptor());
    for (int i = 20; i < 30; i++) {
      plus.ingestRecordOffset(plus(i));
    }
    plus.flush();
    plus.close();
    // A descriptor that leaves the new (nullable) column out is still accepted.
    ZerobusProtoStream without = open(Reading.getDescriptor());
    without.ingestRecordOffset(reading(30));
    without.flush();
    without.close();
    ZerobusJsonStream json = TestSdk.jsonStream(sdk, emulator, TABLE, TestSdk.patient());
    json.ingestRecordOffset("{\"device_name\": \"sensor-31\", \"temp\": 21, \"humidity\": 31000000000, \"extra\": \"j\"}");
    json.flush();
    json.close();

    List<JsonNode> rows = emulator.rows(TABLE);
    assertEquals(0, TestSdk.assertReadings(rows, 32), "duplicates");
    for (int i = 0; i < 32; i++) {
      JsonNode row = rows.get(i).get("row");
      assertEquals("sensor-" + i, row.get("device_name").asText(), "order");
      if (i >= 20 && i < 30) {
        assertEquals("x-" + i, row.get("extra").asText(), row.toString());
      } else if (i == 31) {
        assertEquals("j", row.get("extra").asText(), row.toString());
      } else {
        assertFalse(row.has("extra"), "a row written without the new column lacks it: " + row);
      }
    }
  }

  @Test
  void aDroppedColumnRefusesNewStreamsThatStillWriteItWhileOldOnesKeepTheirs() throws Exception {
    ZerobusProtoStream old = open(Reading.getDescriptor());
    old.ingestRecordOffset(reading(0));
    old.flush();

    assertEquals(200, AlterTableTest.alter(emulator, TABLE, "{\"drop\": \"humidity\"}").statusCode());

    Exception refused = assertThrows(Exception.class, () -> open(Reading.getDescriptor()));
    assertInstanceOf(NonRetriableException.class, refused, refused.toString());
    assertTrue(refused.getMessage().contains("table main.alter.streams: descriptor field 'humidity' is not a column"
        + " (columns: device_name, temp)"), refused.getMessage());
    old.ingestRecordOffset(reading(1));
    old.flush();
    old.close();
    assertEquals(0, TestSdk.assertReadings(emulator.rows(TABLE), 2), "the old stream wrote what it was opened with");
  }

  /**
   * Streams ingest on the SDK's and the server's threads while the table is altered again and
   * again: they keep going until the last change is made, and every record they sent lands once.
   */
  @Test
  void changesWhileStreamsIngestOnOtherThreadsLoseNothing() throws Exception {
    AtomicBoolean changesDone = new AtomicBoolean();
    ExecutorService senders = Executors.newFixedThreadPool(2);
    try {
      List<Future<Integer>> sent = new ArrayList<>();
      for (int s = 0; s < 2; s++) {
        int sender = s;
        sent.add(senders.submit(() -> {
          ZerobusProtoStream stream = open(Reading.getDescriptor());
          int n = 0;
          while (!changesDone.get() || n < 200) {
            List<byte[]> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++, n++) {
              batch.add(Reading.newBuilder().setDeviceName(sender + "-" + n).setTemp(n).build().toByteArray());
            }
            long offset = stream.ingestRecordsOffset(batch).orElseThrow();
            // At most 8 batches in flight: the senders keep going for as long as the changes take, at the pace of acks.
            if (offset >= 8) {
              stream.waitForOffset(offset - 8);
            }
          }
          stream.flush();
          stream.close();
          return n;
        }));
      }
      TestSdk.awaitRows(emulator, TABLE, 100);
      assertEquals(200, AlterTableTest.alter(emulator, TABLE, "{\"add\": \"extra STRING\"}").statusCode());
      ZerobusProtoStream plus = open(ReadingPlus.getDescriptor());
      for (int c = 0; c < 20; c++) {
        HttpResponse<String> r = AlterTableTest.alter(emulator, TABLE, "{\"add\": \"c" + c + " BIGINT\"}");
        assertEquals(200, r.statusCode(), r.body());
        plus.ingestRecordOffset(ReadingPlus.newBuilder().setDeviceName("plus-" + c).setExtra("x").build());
      }
      changesDone.set(true);
      plus.flush();
      plus.close();

      int total = 20;
      for (Future<Integer> f : sent) {
        total += f.get(120, TimeUnit.SECONDS);
      }
      List<JsonNode> rows = emulator.rowValues(TABLE);
      Set<String> names = new HashSet<>();
      rows.forEach(r -> names.add(r.get("device_name").asText()));
      assertEquals(total, rows.size(), "every record landed, once");
      assertEquals(total, names.size(), "every record landed, once");
      assertEquals(COLUMNS + ", extra STRING, " + IntStream.range(0, 20).mapToObj(c -> "c" + c + " BIGINT")
          .collect(Collectors.joining(", ")), emulator.columns(TABLE));
    } finally {
      changesDone.set(true);
      senders.shutdownNow();
    }
  }

  /**
   * Opening a stream and changing the columns race on two threads: a stream that is accepted has
   * the columns it was checked against (never a later table's), and one that is refused was
   * checked against columns without the field.
   */
  @Test
  void aStreamKeepsTheColumnsItWasCheckedAgainst(@TempDir Path dataDir) throws Exception {
    try (TableCatalog catalog = new TableCatalog(dataDir, Map.of(TABLE, TableSchema.parse(COLUMNS)), false, false, 10)) {
      Queue<String> failures = new ConcurrentLinkedQueue<>();
      CountDownLatch changesDone = new CountDownLatch(1);
      Thread changer = new Thread(() -> {
        try {
          for (int i = 0; i < 150; i++) {
            catalog.alter(TABLE, ColumnChange.add("extra STRING"));
            catalog.alter(TABLE, ColumnChange.drop("extra"));
          }
        } catch (Exception e) {
          failures.add("alter: " + e);
        } finally {
          changesDone.countDown();
        }
      });
      changer.start();
      int accepted = 0;
      int refused = 0;
      while (changesDone.getCount() > 0) {
        try {
          TableCatalog.Opened opened = catalog.open(TABLE, ReadingPlus.getDescriptor());
          accepted++;
          if (opened.columns().column("extra") == null) {
            failures.add("accepted with columns " + opened.columns());
          }
        } catch (StatusException e) {
          refused++;
          if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT || !e.getMessage().contains("'extra'")) {
            failures.add("refused with " + e);
          }
        }
      }
      changer.join();
      assertEquals(List.of(), List.copyOf(failures), accepted + " accepted, " + refused + " refused");
      assertNotNull(catalog.table(TABLE));
      assertEquals(COLUMNS, catalog.table(TABLE).schema().sql());
    }
  }

  private ZerobusProtoStream open(com.google.protobuf.Descriptors.Descriptor descriptor) throws Exception {
    return TestSdk.protoStream(sdk, emulator, TABLE, descriptor, TestSdk.patient());
  }

  private static ReadingPlus plus(int i) {
    Reading r = reading(i);
    return ReadingPlus.newBuilder().setDeviceName(r.getDeviceName()).setTemp(r.getTemp()).setHumidity(r.getHumidity())
        .setExtra("x-" + i).build();
  }
}
