package dev.zerobus.station.connector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The station config the connector tests use: an events table with Kafka metadata columns, and a table of every type. */
final class TestTables {
  private TestTables() {}

  static final String TYPED_PROTO = """
      syntax = "proto2";
      package typed;
      message Typed {
        optional string id = 1;
        optional int64 ts = 2;
        optional int32 day = 3;
        optional double price = 4;
        optional string amount = 5;
        optional bool flag = 6;
        repeated string tags = 7;
        optional bytes payload = 8;
        optional Point location = 9;
        map<string, int64> counters = 10;
        optional int32 minute_of_day = 11;
        message Point {
          optional double lat = 1;
          optional double lon = 2;
        }
      }
      """;

  static String config(String endpoint, String workspaceUrl) {
    return """
        {"databricks": {"server_endpoint": "%s", "workspace_id": "1", "workspace_url": "%s"},
         "tables": {
           "events": {"table_name": "main.default.events", "proto_package": "events", "message_name": "Event",
             "fields": [
               {"name": "device_name", "type": "string", "proto_type": "optional string", "field_num": 1},
               {"name": "temp", "type": "int32", "proto_type": "optional int32", "field_num": 2},
               {"name": "humidity", "type": "int64", "proto_type": "optional int64", "field_num": 3},
               {"name": "_kafka_topic", "type": "string", "proto_type": "optional string", "field_num": 4},
               {"name": "_kafka_partition", "type": "int32", "proto_type": "optional int32", "field_num": 5},
               {"name": "_kafka_offset", "type": "int64", "proto_type": "optional int64", "field_num": 6}]},
           "typed": {"table_name": "main.default.typed", "proto_package": "typed", "message_name": "Typed",
             "fields": [
               {"name": "ts", "type": "timestamp", "proto_type": "optional int64", "field_num": 2},
               {"name": "day", "type": "date", "proto_type": "optional int32", "field_num": 3}]}
         }}
        """.formatted(endpoint, workspaceUrl);
  }

  /** Writes config.json and tables/typed/schema.proto under dir; returns the config file. */
  static Path write(Path dir, String endpoint, String workspaceUrl) {
    return write(dir, config(endpoint, workspaceUrl));
  }

  /**
   * The same tables for a task over a scripted Zerobus: nothing listens at the endpoints, and with
   * schema_drift off the start asks no catalog.
   */
  static Path writeWithoutServers(Path dir) {
    String tables = config("http://127.0.0.1:9", "http://127.0.0.1:9").strip();
    return write(dir, "{\"schema_drift\": \"off\", " + tables.substring(1));
  }

  private static Path write(Path dir, String configJson) {
    try {
      Path proto = dir.resolve("tables/typed/schema.proto");
      Files.createDirectories(proto.getParent());
      Files.writeString(proto, TYPED_PROTO);
      Path config = dir.resolve("config.json");
      Files.writeString(config, configJson);
      return config;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
