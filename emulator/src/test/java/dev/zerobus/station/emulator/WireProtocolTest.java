package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.emulator.testing.Reading;
import dev.zerobus.station.emulator.wire.CreateIngestStreamRequest;
import dev.zerobus.station.emulator.wire.EphemeralStreamRequest;
import dev.zerobus.station.emulator.wire.EphemeralStreamResponse;
import dev.zerobus.station.emulator.wire.IngestRecordBatchRequest;
import dev.zerobus.station.emulator.wire.IngestRecordRequest;
import dev.zerobus.station.emulator.wire.ProtoEncodedRecordBatch;
import dev.zerobus.station.emulator.wire.RecordType;
import dev.zerobus.station.emulator.wire.ZerobusGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The emulator's side of the protocol, spoken by a plain gRPC client: every refusal has its status. */
class WireProtocolTest {
  private static final String TABLE = "main.wire.readings";
  private static ZerobusEmulator emulator;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    emulator = ZerobusEmulator.builder().start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", emulator.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    emulator.close();
  }

  @Test
  void responseHeadersArriveBeforeTheClientSendsAnything() throws Exception {
    ClientCall<EphemeralStreamRequest, EphemeralStreamResponse> call = withToken(TABLE)
        .newCall(ZerobusGrpc.getEphemeralStreamMethod(), CallOptions.DEFAULT);
    CountDownLatch headers = new CountDownLatch(1);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onHeaders(Metadata h) {
        headers.countDown();
      }
    }, new Metadata());
    assertTrue(headers.await(5, TimeUnit.SECONDS), "headers were sent at call start");
    call.cancel("done", null);
  }

  @Test
  void acksAreCumulativeOverRequestOffsets() throws Exception {
    Exchange ex = open(TABLE, token(TABLE));
    ex.send(create(TABLE));
    ex.send(single(0));
    ex.send(batch(1, 10));
    ex.send(single(2));
    ex.requests.onCompleted();
    List<EphemeralStreamResponse> answers = ex.done.get(10, TimeUnit.SECONDS);
    assertTrue(answers.get(0).hasCreateStreamResponse());
    assertTrue(answers.get(0).getCreateStreamResponse().getStreamId().length() > 10);
    EphemeralStreamResponse last = answers.get(answers.size() - 1);
    assertEquals(2, last.getIngestRecordResponse().getDurabilityAckUpToOffset());
    assertEquals(12, emulator.rowCount(TABLE));
  }

  @Test
  void callsWithoutAValidTokenAreUnauthenticated() throws Exception {
    Exchange none = open(TABLE, null);
    none.send(create(TABLE));
    assertStatus(none, Status.Code.UNAUTHENTICATED, "no 'authorization: Bearer <token>' header");

    Exchange forged = open(TABLE, "emu-forged");
    forged.send(create(TABLE));
    assertStatus(forged, Status.Code.UNAUTHENTICATED, "unknown or expired");
  }

  @Test
  void aTokenOnlyOpensTheTableItWasIssuedFor() throws Exception {
    Exchange ex = open("main.wire.other", token(TABLE));
    ex.send(create("main.wire.other"));
    assertStatus(ex, Status.Code.PERMISSION_DENIED, "issued for table main.wire.readings, not main.wire.other");
  }

  @Test
  void recordsBeforeCreateStreamAreRefused() throws Exception {
    Exchange ex = open(TABLE, token(TABLE));
    ex.send(single(0));
    assertStatus(ex, Status.Code.INVALID_ARGUMENT, "first message of a stream must be CreateIngestStreamRequest");
  }

  @Test
  void anOffsetGapIsRefused() throws Exception {
    Exchange ex = open(TABLE, token(TABLE));
    ex.send(create(TABLE));
    ex.send(single(0));
    ex.send(single(5));
    assertStatus(ex, Status.Code.INVALID_ARGUMENT, "expected offset_id 1, got 5");
  }

  @Test
  void aJsonRecordOnAProtoStreamIsRefused() throws Exception {
    Exchange ex = open(TABLE, token(TABLE));
    ex.send(create(TABLE));
    ex.send(EphemeralStreamRequest.newBuilder()
        .setIngestRecord(IngestRecordRequest.newBuilder().setOffsetId(0).setJsonRecord("{}")).build());
    assertStatus(ex, Status.Code.INVALID_ARGUMENT, "a PROTO stream got a JSON record");
  }

  @Test
  void tableNamesMustHaveThreeParts() throws Exception {
    Exchange ex = open("main.readings", token("main.readings"));
    ex.send(create("main.readings"));
    assertStatus(ex, Status.Code.INVALID_ARGUMENT, "is not catalog.schema.table");
  }

  @Test
  void strictModeRefusesUndeclaredTables() throws Exception {
    try (ZerobusEmulator strict = ZerobusEmulator.builder().strict(true).table("main.s.known", "a STRING").start()) {
      ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", strict.grpcPort()).usePlaintext().build();
      try {
        Exchange ex = open(ch, "main.s.unknown", token(strict, "main.s.unknown"));
        ex.send(create("main.s.unknown"));
        assertStatus(ex, Status.Code.NOT_FOUND, "table main.s.unknown does not exist");
      } finally {
        ch.shutdownNow();
      }
    }
  }

  @Test
  void aRefusedRecordEndsTheCallOnlyAfterEverythingBeforeItIsAcked() throws Exception {
    String table = "main.wire.refused";
    emulator.faults().rejectRecords(table, "device_name", "sensor-2");
    try {
      Exchange ex = open(table, token(table));
      ex.send(create(table));
      ex.send(single(0));
      ex.send(single(1));
      ex.send(single(2));
      ex.send(single(3));
      assertStatus(ex, Status.Code.INVALID_ARGUMENT,
          "table " + table + ", record 0 at offset 2: field 'device_name' value \"sensor-2\" refused by fault injection");
      long acked = -1;
      synchronized (ex) {
        for (EphemeralStreamResponse r : ex.answers) {
          if (r.hasIngestRecordResponse()) {
            acked = Math.max(acked, r.getIngestRecordResponse().getDurabilityAckUpToOffset());
          }
        }
      }
      assertEquals(1, acked, "offsets 0 and 1 were acknowledged before the refusal");
      assertEquals(2, emulator.rowCount(table), "nothing from the refused offset or after it landed");
    } finally {
      emulator.faults().clear();
    }
  }

  /**
   * A message over the limit fails in grpc-java's deframer: it logs RESOURCE_EXHAUSTED, but the
   * response headers are already out, so the client gets RST_STREAM(CANCEL), not that status.
   */
  @Test
  void aMessageOverTheLimitResetsTheCall() throws Exception {
    int limit = 4096;
    try (ZerobusEmulator small = ZerobusEmulator.builder().maxMessageBytes(limit).start()) {
      ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", small.grpcPort()).usePlaintext().build();
      try {
        Exchange ex = open(ch, TABLE, token(small, TABLE));
        ex.send(create(TABLE));
        ex.send(batch(0, 10));
        EphemeralStreamRequest big = batch(1, 200);
        assertTrue(big.getSerializedSize() > limit);
        ex.send(big);
        try {
          ex.done.get(10, TimeUnit.SECONDS);
          throw new AssertionError("the call succeeded");
        } catch (java.util.concurrent.ExecutionException e) {
          Status status = Status.fromThrowable(e.getCause());
          assertEquals(Status.Code.CANCELLED, status.getCode(), String.valueOf(status));
          assertTrue(String.valueOf(status.getDescription()).contains("RST_STREAM"), String.valueOf(status));
        }
      } finally {
        ch.shutdownNow();
      }
    }
  }

  // ---- plumbing

  private static EphemeralStreamRequest create(String table) {
    return EphemeralStreamRequest.newBuilder().setCreateStream(CreateIngestStreamRequest.newBuilder()
        .setTableName(table).setRecordType(RecordType.PROTO)
        .setDescriptorProto(Reading.getDescriptor().toProto().toByteString())).build();
  }

  private static EphemeralStreamRequest single(long offset) {
    return EphemeralStreamRequest.newBuilder().setIngestRecord(IngestRecordRequest.newBuilder()
        .setOffsetId(offset).setProtoEncodedRecord(TestSdk.reading((int) offset).toByteString())).build();
  }

  private static EphemeralStreamRequest batch(long offset, int size) {
    ProtoEncodedRecordBatch.Builder records = ProtoEncodedRecordBatch.newBuilder();
    for (int i = 0; i < size; i++) {
      records.addRecords(TestSdk.reading(1000 + i).toByteString());
    }
    return EphemeralStreamRequest.newBuilder().setIngestRecordBatch(IngestRecordBatchRequest.newBuilder()
        .setOffsetId(offset).setProtoEncodedBatch(records)).build();
  }

  private static void assertStatus(Exchange ex, Status.Code code, String text) throws Exception {
    try {
      ex.done.get(10, TimeUnit.SECONDS);
      throw new AssertionError("the call succeeded; expected " + code);
    } catch (java.util.concurrent.ExecutionException e) {
      Status status = Status.fromThrowable(e.getCause());
      assertEquals(code, status.getCode(), String.valueOf(status));
      assertNotNull(status.getDescription());
      assertTrue(status.getDescription().contains(text), status.getDescription());
    }
  }

  private static Channel withToken(String table) throws Exception {
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers(table, token(table))));
  }

  private static Metadata headers(String table, String token) {
    Metadata headers = new Metadata();
    if (token != null) {
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    }
    headers.put(Metadata.Key.of("x-databricks-zerobus-table-name", Metadata.ASCII_STRING_MARSHALLER), table);
    return headers;
  }

  private static String token(String table) throws Exception {
    return token(emulator, table);
  }

  static String token(ZerobusEmulator emu, String table) throws Exception {
    String details = "[{\"type\":\"unity_catalog_privileges\",\"privileges\":[\"SELECT\",\"MODIFY\"],"
        + "\"object_type\":\"TABLE\",\"object_full_path\":\"" + table + "\"}]";
    String form = "grant_type=client_credentials&scope=all-apis&authorization_details="
        + URLEncoder.encode(details, StandardCharsets.UTF_8);
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(emu.workspaceUrl() + "/oidc/v1/token"))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
            (emu.clientId() + ":" + emu.clientSecret()).getBytes(StandardCharsets.UTF_8)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return new ObjectMapper().readTree(response.body()).get("access_token").asText();
  }

  private static Exchange open(String table, String token) {
    return open(channel, table, token);
  }

  private static Exchange open(ManagedChannel ch, String table, String token) {
    ZerobusGrpc.ZerobusStub stub = ZerobusGrpc.newStub(ch)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(table, token)));
    Exchange ex = new Exchange();
    ex.requests = stub.ephemeralStream(ex);
    return ex;
  }

  /** One call: what we send, and everything the server answered. */
  private static final class Exchange implements StreamObserver<EphemeralStreamResponse> {
    final CompletableFuture<List<EphemeralStreamResponse>> done = new CompletableFuture<>();
    final List<EphemeralStreamResponse> answers = new ArrayList<>();
    StreamObserver<EphemeralStreamRequest> requests;

    void send(EphemeralStreamRequest r) {
      try {
        requests.onNext(r);
      } catch (StatusRuntimeException | IllegalStateException alreadyClosed) {
        // the server ended the call; done holds why
      }
    }

    @Override
    public synchronized void onNext(EphemeralStreamResponse value) {
      answers.add(value);
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
    }

    @Override
    public synchronized void onCompleted() {
      done.complete(answers);
    }
  }
}
