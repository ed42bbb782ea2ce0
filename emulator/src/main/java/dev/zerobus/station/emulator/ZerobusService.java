package dev.zerobus.station.emulator;

import dev.zerobus.station.emulator.wire.EphemeralStreamRequest;
import dev.zerobus.station.emulator.wire.EphemeralStreamResponse;
import dev.zerobus.station.emulator.wire.ZerobusGrpc;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;

/** The Zerobus gRPC service, and the registry of its open streams. */
final class ZerobusService extends ZerobusGrpc.ZerobusImplBase {
  private final TableCatalog catalog;
  private final Faults faults;
  private final ScheduledExecutorService scheduler;
  private final boolean discard;
  private final Map<String, IngestStream> streams = new ConcurrentHashMap<>();

  ZerobusService(TableCatalog catalog, Faults faults, ScheduledExecutorService scheduler, boolean discard) {
    this.catalog = catalog;
    this.faults = faults;
    this.scheduler = scheduler;
    this.discard = discard;
  }

  /** Whether ingested messages are acknowledged without being decoded or written (a benchmark's ceiling). */
  boolean discard() {
    return discard;
  }

  @Override
  public StreamObserver<EphemeralStreamRequest> ephemeralStream(StreamObserver<EphemeralStreamResponse> responses) {
    return new IngestStream(this, (ServerCallStreamObserver<EphemeralStreamResponse>) responses,
        CallGate.GRANT.get(), CallGate.TABLE_HEADER.get());
  }

  TableCatalog catalog() {
    return catalog;
  }

  Faults faults() {
    return faults;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  void register(IngestStream stream) {
    streams.put(stream.id(), stream);
  }

  void unregister(IngestStream stream) {
    streams.remove(stream.id());
  }

  /** Open streams on a table ({@link Faults#ANY_TABLE} or null: all). */
  List<IngestStream> streams(String table) {
    List<IngestStream> out = new ArrayList<>();
    for (IngestStream s : streams.values()) {
      if (table == null || Faults.ANY_TABLE.equals(table) || TableCatalog.normalize(table).equals(s.tableName())) {
        out.add(s);
      }
    }
    return out;
  }

  void releaseAcks(String table) {
    streams(table).forEach(IngestStream::releaseAcks);
  }

  int sendCloseSignal(String table, Duration after) {
    List<IngestStream> targets = streams(table);
    targets.forEach(s -> s.closeSignal(after));
    return targets.size();
  }

  void abortAll(Status status) {
    streams(null).forEach(s -> s.abort(status));
  }
}
