package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.NonRetriableException;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import dev.zerobus.station.emulator.testing.Reading;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each table costs a file and a landing thread, so there are at most --max-tables of them, declared ones included. */
class TableLimitTest {
  private static final String COLUMNS = "device_name STRING, temp INT, humidity BIGINT";

  @TempDir
  Path dataDir;

  @Test
  void aStreamThatWouldCreateOneTableTooManyIsRefusedNamingTheLimit() throws Exception {
    try (ZerobusEmulator emulator = ZerobusEmulator.builder().dataDir(dataDir).maxTables(3)
            .table("main.limit.declared", COLUMNS).start();
        ZerobusSdk sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl())) {
      write(sdk, emulator, "main.limit.declared", 10);
      write(sdk, emulator, "main.limit.first", 10);
      write(sdk, emulator, "main.limit.second", 10);

      Exception refused = assertThrows(Exception.class, () -> TestSdk.protoStream(sdk, emulator, "main.limit.third",
          Reading.getDescriptor(), TestSdk.patient()));
      assertInstanceOf(NonRetriableException.class, refused, String.valueOf(refused));
      assertTrue(refused.getMessage().contains("NotFound") && refused.getMessage().contains(
          "table main.limit.third does not exist and cannot be created: the emulator holds its limit of 3 tables"),
          refused.getMessage());
      assertEquals(List.of("main.limit.declared", "main.limit.first", "main.limit.second"), emulator.tables());
      assertFalse(Files.exists(dataDir.resolve("main.limit.third.jsonl")));

      // The tables that exist still take rows.
      write(sdk, emulator, "main.limit.declared", 10);
      write(sdk, emulator, "main.limit.second", 10);
      assertEquals(20, emulator.rowCount("main.limit.declared"));
      assertEquals(20, emulator.rowCount("main.limit.second"));

      // A reset forgets the created tables, which makes room again.
      emulator.reset();
      write(sdk, emulator, "main.limit.third", 10);
      assertEquals(List.of("main.limit.declared", "main.limit.third"), emulator.tables());
    }
  }

  @Test
  void declaringMoreTablesThanTheLimitRefusesTheStart() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> ZerobusEmulator.builder()
        .dataDir(dataDir).maxTables(1).table("main.limit.one", COLUMNS).table("main.limit.two", COLUMNS).start().close());
    assertTrue(refused.getMessage().contains("2 declared tables and 0 more in the data directory " + dataDir
        + " exceed the limit of 1 tables (--max-tables / ZEROBUS_EMULATOR_MAX_TABLES)"), refused.getMessage());
  }

  @Test
  void tablesAnEarlierRunLeftCountToo() throws Exception {
    Files.writeString(dataDir.resolve("main.left.one.jsonl"), "");
    Files.writeString(dataDir.resolve("main.left.two.jsonl"), "");
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> ZerobusEmulator.builder()
        .dataDir(dataDir).maxTables(2).table("main.limit.declared", COLUMNS).start().close());
    assertTrue(refused.getMessage().contains("1 declared tables and 2 more"), refused.getMessage());
  }

  /** Unity Catalog's table info and the admin API read tables; asking about one does not make it. */
  @Test
  void readingATableThatDoesNotExistCreatesNothing() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    try (ZerobusEmulator emulator = ZerobusEmulator.builder().dataDir(dataDir).maxTables(1)
        .table("main.limit.declared", COLUMNS).start()) {
      String table = "main.limit.asked_about";
      HttpResponse<String> info = http.send(HttpRequest.newBuilder(URI.create(emulator.workspaceUrl()
              + "/api/2.1/unity-catalog/tables/" + table))
          .header("Authorization", "Bearer " + WireProtocolTest.token(emulator, table)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, info.statusCode(), info.body());
      assertTrue(info.body().contains("TABLE_DOES_NOT_EXIST"), info.body());
      HttpResponse<String> rows = http.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + "/tables/" + table
          + "/rows")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(404, rows.statusCode(), rows.body());
      assertEquals(List.of("main.limit.declared"), emulator.tables());
      assertFalse(Files.exists(dataDir.resolve(table + ".jsonl")));
    }
  }

  private static void write(ZerobusSdk sdk, ZerobusEmulator emulator, String table, int records) throws Exception {
    ZerobusProtoStream stream = TestSdk.protoStream(sdk, emulator, table, Reading.getDescriptor(), TestSdk.patient());
    for (int i = 0; i < records; i++) {
      stream.ingestRecordOffset(TestSdk.reading(i));
    }
    stream.flush();
    stream.close();
  }
}
