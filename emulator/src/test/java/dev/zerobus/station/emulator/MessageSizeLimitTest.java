package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.databricks.zerobus.NonRetriableException;
import com.databricks.zerobus.StreamConfigurationOptions;
import com.databricks.zerobus.ZerobusException;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.zerobus.station.emulator.testing.Reading;
import dev.zerobus.station.emulator.wire.EphemeralStreamRequest;
import dev.zerobus.station.emulator.wire.IngestRecordBatchRequest;
import dev.zerobus.station.emulator.wire.ProtoEncodedRecordBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The per-message limit: a serialized EphemeralStreamRequest of up to 10 MiB lands, one byte more
 * is refused by the gRPC layer (RESOURCE_EXHAUSTED, as the service's limit answers), and what the
 * SDK 1.0.1 then reports, which is not that status.
 */
class MessageSizeLimitTest {
  private static final int LIMIT = 10 * 1024 * 1024;
  private static final int RECORDS = 10;
  private static ZerobusEmulator emulator;
  private static ZerobusSdk sdk;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder().start();
    sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl());
  }

  @AfterAll
  static void stop() {
    sdk.close();
    emulator.close();
  }

  @Test
  void theLimitDefaultsToTheServices10MiBAndIsSettable() throws Exception {
    assertEquals(LIMIT, ZerobusEmulator.DEFAULT_MAX_MESSAGE_BYTES);
    assertEquals(LIMIT, emulator.maxMessageBytes());
    EmulatorMain main = new EmulatorMain();
    new CommandLine(main).parseArgs("--max-message-bytes", "65536");
    assertEquals(65536, main.maxMessageBytes);
    EmulatorMain defaults = new EmulatorMain();
    new CommandLine(defaults).parseArgs();
    assertEquals(LIMIT, defaults.maxMessageBytes);
    assertThrows(IllegalArgumentException.class, () -> ZerobusEmulator.builder().maxMessageBytes(10));
  }

  @Test
  void aBatchOfExactlyTheLimitLands() throws Exception {
    String table = "main.size.under";
    ZerobusProtoStream stream = open(table, TestSdk.patient(new TestSdk.Acks()));
    stream.ingestRecordsOffset(batchOfSize(LIMIT, 0, "under"));
    stream.flush();
    stream.close();
    assertEquals(names("under"), distinctNames(table), "every record of the batch landed");
  }

  /**
   * One byte over, with recovery on (as Zerobus Station runs the SDK): the server resets the call,
   * the SDK sees the stream end "without errors", reconnects and sends the same message again,
   * until flush() gives up. The status never reaches the caller and onError is not called.
   */
  @Test
  void aBatchOneByteOverIsRefusedAndTheSdkRetriesItUntilFlushTimesOut() throws Exception {
    String table = "main.size.over_recovering";
    TestSdk.Acks acks = new TestSdk.Acks();
    ZerobusProtoStream stream = open(table, TestSdk.options(120_000).setFlushTimeoutMs(3_000).setAckCallback(acks).build());
    stream.ingestRecordsOffset(batchOfSize(LIMIT + 1, 0, "over"));
    ZerobusException e = assertThrows(ZerobusException.class, stream::flush);
    assertFalse(e instanceof NonRetriableException, e.toString());
    assertTrue(e.getMessage().contains("Flush timed out"), e.getMessage());
    report("message 1 byte over 10 MiB, recovery on", e, acks);
    close(stream);
    assertEquals(0, emulator.rowCount(table), "nothing of the oversize message landed");
  }

  /** One byte over, without recovery: the call is reset and the SDK fails the offset as a clean close. */
  @Test
  void aBatchOneByteOverWithoutRecoveryFailsTheOffset() throws Exception {
    String table = "main.size.over";
    TestSdk.Acks acks = new TestSdk.Acks();
    ZerobusProtoStream stream = open(table, TestSdk.options(120_000).setRecovery(false).setAckCallback(acks).build());
    stream.ingestRecordsOffset(batchOfSize(LIMIT, 0, "fits"));
    stream.flush();
    stream.ingestRecordsOffset(batchOfSize(LIMIT + 1, 1, "over"));
    ZerobusException e = assertThrows(ZerobusException.class, stream::flush);
    assertFalse(e instanceof NonRetriableException, e.toString());
    assertTrue(e.getMessage().contains("Stream closed by server without errors"), e.getMessage());
    assertEquals(e.getMessage(), acks.awaitError(1));
    assertEquals(0, acks.ackedUpTo());
    report("message 1 byte over 10 MiB, recovery off", e, acks);
    close(stream);
    assertEquals(names("fits"), distinctNames(table), "only the batch that fitted landed");
  }

  @Test
  void theLimitIsSettable() throws Exception {
    int limit = 64 * 1024;
    try (ZerobusEmulator small = ZerobusEmulator.builder().maxMessageBytes(limit).start();
        ZerobusSdk smallSdk = new ZerobusSdk(small.zerobusEndpoint(), small.workspaceUrl())) {
      TestSdk.Acks acks = new TestSdk.Acks();
      ZerobusProtoStream stream = TestSdk.protoStream(smallSdk, small, "main.size.small", Reading.getDescriptor(),
          TestSdk.options(120_000).setRecovery(false).setAckCallback(acks).build());
      stream.ingestRecordsOffset(batchOfSize(limit, 0, "fits"));
      stream.flush();
      stream.ingestRecordsOffset(batchOfSize(limit + 1, 1, "over"));
      assertThrows(ZerobusException.class, stream::flush);
      acks.awaitError(1);
      close(stream);
      assertEquals(RECORDS, small.rowCount("main.size.small"));
    }
  }

  /**
   * Ten records whose EphemeralStreamRequest, as the SDK frames it under {@code offset}, is
   * exactly {@code size} bytes: the last record's padding takes up the difference.
   */
  static List<byte[]> batchOfSize(int size, long offset, String prefix) {
    int each = size / RECORDS;
    int last = each;
    for (int attempt = 0; attempt < 5; attempt++) {
      List<byte[]> records = new ArrayList<>();
      for (int i = 0; i < RECORDS; i++) {
        String name = prefix + "-" + i + "-";
        int pad = Math.max(0, (i == RECORDS - 1 ? last : each) - name.length() - 16);
        records.add(Reading.newBuilder().setDeviceName(name + "x".repeat(pad)).setTemp(i).build().toByteArray());
      }
      int actual = serializedSize(records, offset);
      if (actual == size) {
        return records;
      }
      last += size - actual;
    }
    throw new AssertionError("could not build a batch of exactly " + size + " bytes");
  }

  private static int serializedSize(List<byte[]> records, long offset) {
    ProtoEncodedRecordBatch.Builder batch = ProtoEncodedRecordBatch.newBuilder();
    records.forEach(r -> batch.addRecords(ByteString.copyFrom(r)));
    return EphemeralStreamRequest.newBuilder()
        .setIngestRecordBatch(IngestRecordBatchRequest.newBuilder().setOffsetId(offset).setProtoEncodedBatch(batch))
        .build().getSerializedSize();
  }

  private static ZerobusProtoStream open(String table, StreamConfigurationOptions options) throws Exception {
    return TestSdk.protoStream(sdk, emulator, table, Reading.getDescriptor(), options);
  }

  private static Set<String> names(String prefix) {
    Set<String> out = new TreeSet<>();
    for (int i = 0; i < RECORDS; i++) {
      out.add(prefix + "-" + i);
    }
    return out;
  }

  /** The distinct records landed, by their name without padding. */
  private static Set<String> distinctNames(String table) {
    Set<String> out = new TreeSet<>();
    for (JsonNode row : emulator.rowValues(table)) {
      String name = row.get("device_name").asText();
      out.add(name.substring(0, name.lastIndexOf('-')));
    }
    return out;
  }

  private static void close(AutoCloseable stream) {
    try {
      stream.close();
    } catch (Exception expected) {
      // the stream already failed
    }
  }

  private static void report(String fault, Exception e, TestSdk.Acks acks) {
    System.out.printf("FAULT-RESULT | %s | %s: %s | onError %s%n", fault, e.getClass().getName(), e.getMessage(),
        acks.errors());
  }
}
