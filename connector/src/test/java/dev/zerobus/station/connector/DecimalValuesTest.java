package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerobus.station.emulator.ZerobusEmulator;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Connect's Decimal values into a DECIMAL column the task knows only from the catalog (the emulator's). */
class DecimalValuesTest {
  static final TopicPartition TP = ZerobusSinkTaskTest.TP;
  static final String LEDGER = "main.default.ledger";

  @TempDir
  Path dir;

  @Test
  void aConnectDecimalLandsAsExactTextAndOneThatWouldNeedRoundingIsRefusedNamingTheField() throws Exception {
    try (ZerobusEmulator emulator = ZerobusEmulator.builder().grpcPort(0).workspacePort(0).adminPort(-1)
        .dataDir(dir.resolve("landed")).table(LEDGER, "id STRING NOT NULL, amount DECIMAL(10,2), note STRING").start()) {
      ZerobusSinkTask task = start(emulator);
      try {
        task.put(List.of(record(0, Decimal.schema(2), "a", new BigDecimal("12345678.91"))));
        Map<TopicPartition, OffsetAndMetadata> committed = task.preCommit(Map.of(TP, new OffsetAndMetadata(1)));
        assertEquals(1, committed.get(TP).offset(), "the record is durable");
        List<String> rows = emulator.rowValues(LEDGER).stream().map(JsonNode::toString).toList();
        assertEquals(List.of("{\"id\":\"a\",\"amount\":\"12345678.91\"}"), rows);

        ConnectException e = assertThrows(ConnectException.class,
            () -> task.put(List.of(record(1, Decimal.schema(3), "b", new BigDecimal("12.345")))));
        assertTrue(e.getMessage().contains("field 'amount': 12.345 needs 3 digits after the point, DECIMAL(10,2) keeps 2"),
            e.getMessage());
        assertEquals(1, emulator.rowValues(LEDGER).size(), "nothing of the refused record landed");
      } finally {
        task.stop();
      }
    }
  }

  private ZerobusSinkTask start(ZerobusEmulator emulator) throws Exception {
    Path config = Files.writeString(dir.resolve("config.json"), """
        {"databricks": {"server_endpoint": "%s", "workspace_id": "1", "workspace_url": "%s"},
         "tables": {"ledger": {"table_name": "%s"}}}
        """.formatted(emulator.zerobusEndpoint(), emulator.workspaceUrl(), LEDGER));
    Map<String, String> p = new HashMap<>();
    p.put("topics", TP.topic());
    p.put(ZerobusSinkConfig.TOPIC_TABLES, TP.topic() + ":ledger");
    p.put(ZerobusSinkConfig.CONFIG_FILE, config.toString());
    p.put(ZerobusSinkConfig.CLIENT_ID, emulator.clientId());
    p.put(ZerobusSinkConfig.CLIENT_SECRET, emulator.clientSecret());
    ZerobusSinkTask task = new ZerobusSinkTask();
    task.initialize(new RecordingContext());
    task.start(p);
    task.open(List.of(TP));
    return task;
  }

  private static SinkRecord record(long offset, Schema amount, String id, BigDecimal value) {
    Schema schema = SchemaBuilder.struct().name("Ledger").field("id", Schema.STRING_SCHEMA).field("amount", amount)
        .field("note", Schema.OPTIONAL_STRING_SCHEMA).build();
    Struct struct = new Struct(schema).put("id", id).put("amount", value);
    return new SinkRecord(TP.topic(), TP.partition(), null, null, schema, struct, offset);
  }
}
