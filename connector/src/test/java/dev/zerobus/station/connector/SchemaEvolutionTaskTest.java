package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A running task and ALTER TABLE in the catalog (the emulator's): columns added are taken, a breaking change stops it. */
class SchemaEvolutionTaskTest {
  static final TopicPartition TP = ZerobusSinkTaskTest.TP;
  static final String EVO = "main.default.evo";

  @TempDir
  Path dir;

  @Test
  void aColumnAddedWhileTheTaskRunsIsWrittenWithoutARestart() throws Exception {
    try (ZerobusEmulator emulator = ZerobusEmulator.builder().grpcPort(0).workspacePort(0).adminPort(0)
        .dataDir(dir.resolve("landed")).table(EVO, "id STRING, v INT").start()) {
      ZerobusSinkTask task = start(emulator, "0", Map.of());
      try {
        task.put(List.of(record(0, "a", 1, null)));
        alter(emulator, "{\"add\": \"note STRING\"}");
        task.put(List.of(record(1, "b", 2, "x")));
        // The put may have asked Connect for a commit (commit.request.ms): that one takes what is durable
        // now; the commits after it wait for acks. Either way the commit point reaches both records.
        ConnectHarness.await(Duration.ofSeconds(30), "both records durable", () -> {
          Map<TopicPartition, OffsetAndMetadata> c = task.preCommit(Map.of(TP, new OffsetAndMetadata(2)));
          return c.containsKey(TP) && c.get(TP).offset() == 2;
        });
        List<String> rows = emulator.rowValues(EVO).stream().map(JsonNode::toString).toList();
        assertEquals(List.of("{\"id\":\"a\",\"v\":1}", "{\"id\":\"b\",\"v\":2,\"note\":\"x\"}"), rows);
      } finally {
        task.stop();
      }
    }
  }

  @Test
  void aColumnDroppedUnderSchemaDriftFailStopsTheTaskNamingTheChange() throws Exception {
    try (ZerobusEmulator emulator = ZerobusEmulator.builder().grpcPort(0).workspacePort(0).adminPort(0)
        .dataDir(dir.resolve("landed")).table(EVO, "id STRING, v INT, gone STRING").start()) {
      ZerobusSinkTask task = start(emulator, "0", Map.of("errors.tolerance", "all"));
      try {
        task.put(List.of(record(0, "a", 1, null)));
        alter(emulator, "{\"drop\": \"gone\"}");
        // A record with a field the table lacks prompts the read that finds the change (and goes to the
        // dead-letter queue itself); the next record meets the refusal.
        task.put(List.of(record(1, "b", 2, "x")));
        ConnectException e = assertThrows(ConnectException.class, () -> task.put(List.of(record(2, "c", 3, null))));
        assertTrue(e.getMessage().contains("column gone dropped or renamed"), e.getMessage());
        assertTrue(e.getMessage().contains("Restart the task"), e.getMessage());
      } finally {
        task.stop();
      }
    }
  }

  private static void alter(ZerobusEmulator emulator, String body) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(emulator.adminUrl()
        + "/tables/" + EVO + "/columns")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  /** A task on table evo (schema from the catalog, schema_drift fail), reading its columns every {@code refreshSeconds}. */
  private ZerobusSinkTask start(ZerobusEmulator emulator, String refreshSeconds, Map<String, String> more)
      throws Exception {
    Path config = Files.writeString(dir.resolve("config.json"), """
        {"databricks": {"server_endpoint": "%s", "workspace_id": "1", "workspace_url": "%s"},
         "tables": {"evo": {"table_name": "%s", "schema_drift": "fail"}}}
        """.formatted(emulator.zerobusEndpoint(), emulator.workspaceUrl(), EVO));
    Map<String, String> p = new HashMap<>();
    p.put("topics", TP.topic());
    p.put(ZerobusSinkConfig.TOPIC_TABLES, TP.topic() + ":evo");
    p.put(ZerobusSinkConfig.CONFIG_FILE, config.toString());
    p.put(ZerobusSinkConfig.CLIENT_ID, emulator.clientId());
    p.put(ZerobusSinkConfig.CLIENT_SECRET, emulator.clientSecret());
    p.put("catalog.refresh.seconds", refreshSeconds);
    p.putAll(more);
    ZerobusSinkTask task = new ZerobusSinkTask();
    task.initialize(new RecordingContext());
    task.start(p);
    task.open(List.of(TP));
    return task;
  }

  /** A Struct with id, v and, when given, note. */
  private static SinkRecord record(long offset, String id, int v, String note) {
    SchemaBuilder b = SchemaBuilder.struct().name("Evo").field("id", Schema.STRING_SCHEMA)
        .field("v", Schema.INT32_SCHEMA);
    if (note != null) {
      b.field("note", Schema.STRING_SCHEMA);
    }
    Schema schema = b.build();
    Struct struct = new Struct(schema).put("id", id).put("v", v);
    if (note != null) {
      struct.put("note", note);
    }
    return new SinkRecord(TP.topic(), TP.partition(), null, null, schema, struct, offset);
  }
}
