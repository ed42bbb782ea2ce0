package dev.zerobus.station.core.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.table.SchemaRefresh;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.FakeCatalog;
import dev.zerobus.station.core.testing.Fixtures;
import dev.zerobus.station.core.testing.ScriptedZerobus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Columns added while running: records encoded for the new columns go only on a stream opened with
 * them, the lane moves there without losing, repeating or reordering what it held, and records
 * encoded for the old columns still land.
 */
class LaneSchemaTest {
  @TempDir
  Path dir;
  FakeCatalog catalog = new FakeCatalog().set("main.s.evo", "id STRING", "v INT");
  ScriptedZerobus zerobus = new ScriptedZerobus();
  TableRegistry registry;
  StreamManager manager;
  SchemaRefresh refresh;

  @BeforeEach
  void setUp() {
    Path config = Fixtures.write(dir, Fixtures.config("http://127.0.0.1:1", "http://127.0.0.1:1",
        "{\"evo\": " + Fixtures.table("main.s.evo", "p", "Evo", null) + "}"), Map.of());
    registry = TableRegistry.build(StationConfig.load(config, Env.of(Map.of())), EncoderOptions.STRICT, catalog);
    manager = new StreamManager(registry, zerobus, FailureModelTest.QUICK);
    refresh = SchemaRefresh.start(registry, Duration.ZERO);
  }

  @AfterEach
  void tearDown() {
    refresh.close();
    manager.close(Duration.ofSeconds(5));
    assertEquals(0, Lane.illegalMoves(), "a lane moved outside Lane.TRANSITIONS (see the log)");
  }

  /** Records sent, in order, and their tickets. */
  final List<byte[]> sent = new ArrayList<>();
  final List<IngestTicket> tickets = new ArrayList<>();

  /** Submits {@code n} records encoded by {@code def}, one per ticket; with a note when its columns have one. */
  private void submit(TableDefinition def, String prefix, int n) throws Exception {
    boolean note = def.descriptor().findFieldByName("note") != null;
    for (int i = 0; i < n; i++) {
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("id", prefix + i);
      record.put("v", i);
      if (note) {
        record.put("note", "n" + i);
      }
      byte[] r = def.encoder().encodeValue(record);
      sent.add(r);
      tickets.add(manager.ingest("evo", List.of(r)));
    }
  }

  private TableDefinition addNote() throws Exception {
    catalog.set("main.s.evo", "id STRING", "v INT", "note STRING");
    TableDefinition v2 = refresh.unknownField("evo").get(10, TimeUnit.SECONDS);
    assertEquals(2, v2.schemaVersion());
    return v2;
  }

  @Test
  void recordsWithAddedColumnsWaitForAStreamThatHasThemAndNothingIsLostRepeatedOrReordered() throws Exception {
    TableDefinition v1 = registry.find("evo").orElseThrow();
    zerobus.holdAcks(true);
    submit(v1, "old", 10);
    TableDefinition v2 = addNote();
    submit(v2, "new", 10);
    submit(v1, "late", 5); // encoded for the old columns, submitted after the change
    zerobus.holdAcks(false);
    for (IngestTicket t : tickets) {
      t.durable().get(30, TimeUnit.SECONDS);
    }
    assertLandedOnceInOrderEachOnAStreamThatKnowsItsFields();
    assertEquals(2, zerobus.opens.get(), "one stream per schema version");
    assertEquals(2, manager.health("evo").schemaVersion());
  }

  @Test
  void aStreamLostWhileTheLaneWaitsToMoveIsReplacedWithTheNewColumnsAndItsCallsReplayedOnce() throws Exception {
    TableDefinition v1 = registry.find("evo").orElseThrow();
    zerobus.holdAcks(true);
    submit(v1, "old", 10);
    TableDefinition v2 = addNote();
    submit(v2, "new", 10);
    FailureModelTest.await("the old records on the stream", () -> zerobus.callSizes().stream()
        .mapToInt(Integer::intValue).sum() >= 10);
    zerobus.loseStream("UNAVAILABLE: lost while the lane waited to move");
    FailureModelTest.await("a second stream", () -> zerobus.opens.get() >= 2);
    zerobus.holdAcks(false);
    for (IngestTicket t : tickets) {
      t.durable().get(30, TimeUnit.SECONDS);
    }
    assertLandedOnceInOrderEachOnAStreamThatKnowsItsFields();
  }

  /** Every record landed exactly once, in the order sent, and parses under its stream's descriptor with no field left over. */
  private void assertLandedOnceInOrderEachOnAStreamThatKnowsItsFields() throws Exception {
    List<byte[]> landed = zerobus.landed();
    List<DescriptorProto> on = zerobus.landedOn();
    assertEquals(sent.size(), landed.size(), "records landed");
    for (int i = 0; i < sent.size(); i++) {
      assertTrue(java.util.Arrays.equals(sent.get(i), landed.get(i)), "record " + i + " landed in its place");
      DynamicMessage m = DynamicMessage.parseFrom(descriptor(on.get(i)), landed.get(i));
      assertTrue(m.getUnknownFields().asMap().isEmpty(),
          "record " + i + " carries a field its stream's descriptor lacks: " + m);
    }
  }

  private static Descriptor descriptor(DescriptorProto proto) throws Exception {
    FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("t.proto").addMessageType(proto).build();
    return FileDescriptor.buildFrom(file, new FileDescriptor[0]).findMessageTypeByName(proto.getName());
  }
}
