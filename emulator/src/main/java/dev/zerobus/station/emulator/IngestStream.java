package dev.zerobus.station.emulator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import dev.zerobus.station.emulator.wire.CloseStreamSignal;
import dev.zerobus.station.emulator.wire.CreateIngestStreamRequest;
import dev.zerobus.station.emulator.wire.CreateIngestStreamResponse;
import dev.zerobus.station.emulator.wire.EphemeralStreamRequest;
import dev.zerobus.station.emulator.wire.EphemeralStreamResponse;
import dev.zerobus.station.emulator.wire.IngestRecordBatchRequest;
import dev.zerobus.station.emulator.wire.IngestRecordRequest;
import dev.zerobus.station.emulator.wire.IngestRecordResponse;
import dev.zerobus.station.emulator.wire.RecordType;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One EphemeralStream call. The first message creates the stream on a table; each later one
 * carries one record or a batch under the next offset. Rows are decoded here (on the gRPC
 * thread), written by the table's writer, and acknowledged cumulatively once durable; in discard
 * mode they are only counted and acknowledged at once.
 */
final class IngestStream implements StreamObserver<EphemeralStreamRequest> {
  private static final Logger log = LoggerFactory.getLogger(IngestStream.class);
  private static final JsonFactory JSON = new JsonFactoryBuilder().rootValueSeparator("\n").build();

  private final ZerobusService service;
  private final ServerCallStreamObserver<EphemeralStreamResponse> responses;
  private final TokenIssuer.Grant grant;
  private final String tableHeader;
  private final String id = UUID.randomUUID().toString();
  private final Instant openedAt = Instant.now();
  private final AtomicLong recordsReceived = new AtomicLong();
  private final LandedTable.Durable onDurable = this::durable;

  // Set by CreateStream; after that only the gRPC thread (serial per call) touches them.
  private volatile LandedTable table;
  private volatile String requestedTable;
  private RowDecoder decoder;
  private RecordType recordType;
  private long nextOffset;

  // Guarded by this: what is durable, what the client was told, whether the call is over.
  private long durableOffset = -1;
  private long ackedOffset = -1;
  private boolean finished;
  /** An ingest was refused: later messages are ignored while earlier rows land, then the call fails. */
  private volatile boolean refused;

  IngestStream(ZerobusService service, ServerCallStreamObserver<EphemeralStreamResponse> responses,
      TokenIssuer.Grant grant, String tableHeader) {
    this.service = service;
    this.responses = responses;
    this.grant = grant;
    this.tableHeader = tableHeader;
  }

  String id() {
    return id;
  }

  /** The table's name, or null before CreateStream. */
  String tableName() {
    LandedTable t = table;
    return t == null ? null : t.name();
  }

  @Override
  public void onNext(EphemeralStreamRequest request) {
    if (refused) {
      return;
    }
    try {
      switch (request.getPayloadCase()) {
        case CREATE_STREAM:
          create(request.getCreateStream());
          break;
        case INGEST_RECORD:
          IngestRecordRequest one = request.getIngestRecord();
          ingest(one.getOffsetId(), List.of(one.hasJsonRecord() ? one.getJsonRecordBytes() : one.getProtoEncodedRecord()),
              one.hasJsonRecord() ? RecordType.JSON : RecordType.PROTO, one.hasOffsetId());
          break;
        case INGEST_RECORD_BATCH:
          IngestRecordBatchRequest batch = request.getIngestRecordBatch();
          boolean json = batch.hasJsonBatch();
          ingest(batch.getOffsetId(),
              json ? batch.getJsonBatch().getRecordsList().asByteStringList() : batch.getProtoEncodedBatch().getRecordsList(),
              json ? RecordType.JSON : RecordType.PROTO, batch.hasOffsetId());
          break;
        default:
          throw invalid("request has no payload");
      }
    } catch (StatusException e) {
      failAfterEarlierRows(e.getStatus());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort(Status.UNAVAILABLE.withDescription("emulator is shutting down"));
    } catch (RuntimeException e) {
      log.error("stream {} on {}: failed handling a message", id, requestedTable, e);
      abort(Status.INTERNAL.withDescription("emulator error: " + e));
    }
  }

  /**
   * Fails the call once every message accepted before the refused one is durable and acked, as a
   * server that writes in order does: the client learns exactly which offsets landed, and nothing
   * of the refused message or any later one is written.
   */
  private void failAfterEarlierRows(Status status) {
    LandedTable t = table;
    if (t == null) {
      abort(status);
      return;
    }
    refused = true;
    try {
      t.append(new LandedTable.Append(null, 0, ignored -> {
        if (!service.faults().acksWithheld(t.name())) {
          releaseAcks();
        }
        finish(status);
      }, -1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort(Status.UNAVAILABLE.withDescription("emulator is shutting down"));
    }
  }

  private void create(CreateIngestStreamRequest request) throws StatusException {
    if (table != null) {
      throw invalid("stream " + id + " is already created; CreateIngestStreamRequest comes once, first");
    }
    String name = request.getTableName();
    requestedTable = name;
    if (tableHeader != null && !tableHeader.equalsIgnoreCase(name)) {
      throw invalid("table_name " + name + " differs from the x-databricks-zerobus-table-name header " + tableHeader);
    }
    if (grant.table() != null && !grant.table().equals(TableCatalog.normalize(name))) {
      throw Status.PERMISSION_DENIED
          .withDescription("the token was issued for table " + grant.table() + ", not " + name).asException();
    }
    Status refusal = service.faults().refusal(TableCatalog.normalize(name));
    if (refusal != null) {
      throw refusal.asException();
    }
    RecordType type = request.hasRecordType() ? request.getRecordType() : RecordType.PROTO;
    Descriptor descriptor = null;
    if (type == RecordType.PROTO) {
      if (!request.hasDescriptorProto()) {
        throw invalid("table " + name + ": a PROTO stream needs descriptor_proto");
      }
      try {
        descriptor = RowDecoder.descriptorOf(request.getDescriptorProto());
      } catch (RowDecoder.InvalidDescriptor e) {
        throw invalid("table " + name + ": " + e.getMessage());
      }
    } else if (type != RecordType.JSON) {
      throw invalid("table " + name + ": record_type must be PROTO or JSON, got " + type);
    }
    // The columns the descriptor was checked against: this stream keeps them, whatever ALTER TABLE does later.
    TableCatalog.Opened opened = service.catalog().open(name, descriptor);
    decoder = descriptor != null ? new ProtoRows(descriptor, opened.columns()) : new RowDecoder.Json(opened.columns());
    recordType = type;
    table = opened.table();
    service.register(this);
    send(EphemeralStreamResponse.newBuilder()
        .setCreateStreamResponse(CreateIngestStreamResponse.newBuilder().setStreamId(id))
        .build());
    log.debug("stream {} created on {} ({})", id, opened.table().name(), type);
  }

  private void ingest(long offset, List<ByteString> records, RecordType type, boolean hasOffset)
      throws StatusException, InterruptedException {
    LandedTable t = table;
    if (t == null) {
      throw invalid("the first message of a stream must be CreateIngestStreamRequest");
    }
    if (!hasOffset || offset != nextOffset) {
      throw invalid("table " + t.name() + ": expected offset_id " + nextOffset + ", got "
          + (hasOffset ? String.valueOf(offset) : "none"));
    }
    if (type != recordType) {
      throw invalid("table " + t.name() + ": a " + recordType + " stream got a " + type + " record at offset " + offset);
    }
    if (service.faults().dropBefore(t.name(), records.size())) {
      log.info("stream {} on {}: dropped at offset {} by fault injection", id, t.name(), offset);
      abort(Status.UNAVAILABLE.withDescription("emulator fault injection: stream dropped"));
      return;
    }
    recordsReceived.addAndGet(records.size());
    if (service.discard()) {
      // Counted, not decoded or written; acked at once (honouring ack faults) and in order, as offsets arrive.
      nextOffset++;
      t.discarded(records.size());
      durable(offset);
      return;
    }
    byte[] lines = landingLines(t.name(), offset, records);
    nextOffset++;
    t.append(new LandedTable.Append(lines, records.size(), onDurable, offset));
  }

  /** The landing file lines for one message: {"stream_id","offset","index","row"} per record. */
  private byte[] landingLines(String tableName, long offset, List<ByteString> records) throws StatusException {
    Faults.RecordCheck check = service.faults().recordCheck(tableName);
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 + records.size() * 96);
    int index = 0;
    try (JsonGenerator out = JSON.createGenerator(buffer)) {
      for (; index < records.size(); index++) {
        out.writeStartObject();
        out.writeStringField("stream_id", id);
        out.writeNumberField("offset", offset);
        out.writeNumberField("index", index);
        out.writeFieldName("row");
        if (check == null) {
          decoder.writeRow(out, records.get(index));
        } else {
          writeCheckedRow(out, records.get(index), check);
        }
        out.writeEndObject();
      }
      out.writeRaw('\n');
    } catch (RowDecoder.RecordRejected e) {
      throw invalid("table " + tableName + ", record " + index + " at offset " + offset + ": " + e.getMessage());
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("encoding landed rows: " + e).asException();
    }
    return buffer.toByteArray();
  }

  /** Decodes a row, refusing it when a reject-records fault matches (the row is then not written). */
  private void writeCheckedRow(JsonGenerator out, ByteString record, Faults.RecordCheck check)
      throws RowDecoder.RecordRejected, IOException {
    if (!check.inspectsRows()) {
      decoder.writeRow(out, record);
      refuseIf(check.refusal(null));
      return;
    }
    ByteArrayOutputStream row = new ByteArrayOutputStream(128);
    try (JsonGenerator rowOut = JSON.createGenerator(row)) {
      decoder.writeRow(rowOut, record);
    }
    refuseIf(check.refusal(HttpJson.MAPPER.readTree(row.toByteArray())));
    out.writeRawValue(row.toString(StandardCharsets.UTF_8));
  }

  private static void refuseIf(String reason) throws RowDecoder.RecordRejected {
    if (reason != null) {
      throw new RowDecoder.RecordRejected(reason);
    }
  }

  /** Called by the table's writer once the rows of {@code offset} are on disk. */
  private void durable(long offset) {
    synchronized (this) {
      durableOffset = Math.max(durableOffset, offset);
    }
    String name = tableName();
    if (service.faults().acksWithheld(name)) {
      return;
    }
    long delay = service.faults().ackDelayMillis(name);
    if (delay > 0) {
      service.scheduler().schedule(() -> sendAck(offset), delay, TimeUnit.MILLISECONDS);
    } else {
      sendAck(offset);
    }
  }

  /** Sends the ack that a withheld-acks fault kept back. */
  void releaseAcks() {
    long offset;
    synchronized (this) {
      offset = durableOffset;
    }
    sendAck(offset);
  }

  private synchronized void sendAck(long offset) {
    if (offset <= ackedOffset) {
      return;
    }
    ackedOffset = offset;
    send(EphemeralStreamResponse.newBuilder()
        .setIngestRecordResponse(IngestRecordResponse.newBuilder().setDurabilityAckUpToOffset(offset))
        .build());
  }

  /** Tells the client the server will close this stream after {@code after}, then does. */
  void closeSignal(Duration after) {
    send(EphemeralStreamResponse.newBuilder()
        .setCloseStreamSignal(CloseStreamSignal.newBuilder()
            .setDuration(com.google.protobuf.Duration.newBuilder()
                .setSeconds(after.getSeconds()).setNanos(after.getNano())))
        .build());
    service.scheduler().schedule(() -> finish(null), after.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Ends the call with an error status; the client sees the stream fail. */
  void abort(Status status) {
    finish(status);
  }

  private void finish(Status error) {
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      try {
        if (error == null) {
          responses.onCompleted();
        } else {
          responses.onError(error.asRuntimeException());
        }
      } catch (RuntimeException alreadyGone) {
        // The client cancelled first.
      }
    }
    service.unregister(this);
    if (error != null && error.getCode() != Status.Code.UNAVAILABLE) {
      log.info("stream {} on {} failed: {} {}", id, requestedTable, error.getCode(), error.getDescription());
    }
  }

  private synchronized void send(EphemeralStreamResponse response) {
    if (finished || responses.isCancelled()) {
      return;
    }
    try {
      responses.onNext(response);
    } catch (RuntimeException e) {
      finished = true;
    }
  }

  @Override
  public void onError(Throwable t) {
    synchronized (this) {
      finished = true;
    }
    service.unregister(this);
  }

  @Override
  public void onCompleted() {
    LandedTable t = table;
    if (refused) {
      return;
    }
    if (t == null) {
      finish(null);
      return;
    }
    // The client is done sending: answer once everything it sent is durable (and acked).
    try {
      t.append(new LandedTable.Append(null, 0, ignored -> {
        if (!service.faults().acksWithheld(t.name())) {
          releaseAcks();
        }
        finish(null);
      }, -1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finish(Status.UNAVAILABLE.withDescription("emulator is shutting down"));
    }
  }

  /** What the admin API shows for this stream. */
  synchronized Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("stream_id", id);
    out.put("table", tableName());
    out.put("record_type", String.valueOf(recordType));
    out.put("opened_at", openedAt.toString());
    out.put("records_received", recordsReceived.get());
    out.put("durable_offset", durableOffset);
    out.put("acked_offset", ackedOffset);
    return out;
  }

  private static StatusException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asException();
  }
}
