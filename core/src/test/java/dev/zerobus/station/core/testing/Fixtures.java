package dev.zerobus.station.core.testing;

import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.table.TableRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes config.json and tables/<key>/schema.proto files for tests. */
public final class Fixtures {
  private Fixtures() {}

  /** A .proto exercising every column type Zerobus takes. */
  public static final String ALL_TYPES_PROTO = """
      syntax = "proto2";
      package all_types;
      message AllTypes {
        optional string name = 1;
        optional int32 small = 2;
        optional int64 big = 3;
        optional float ratio = 4;
        optional double score = 5;
        optional bool active = 6;
        optional bytes payload = 7;
        repeated string tags = 8;
        map<string, int64> counters = 9;
        optional Location location = 10;
        repeated Location stops = 11;
        optional int32 day = 12;
        optional int64 at = 13;
        optional sint64 delta = 14;
        optional uint32 flags = 15;
        optional uint64 huge = 16;
        repeated int32 readings = 17 [packed = true];
        map<int32, string> labels = 18;
        required string id = 19;
        message Location {
          optional double lat = 1;
          optional double lon = 2;
          optional string label = 3;
        }
      }
      """;

  public static final String ALL_TYPES_CONFIG_FIELDS = """
      [{"name": "day", "type": "date", "proto_type": "optional int32", "field_num": 12},
       {"name": "at", "type": "timestamp", "proto_type": "optional int64", "field_num": 13}]
      """;

  public static Path write(Path dir, String configJson, Map<String, String> protos) {
    try {
      Files.createDirectories(dir);
      Path config = dir.resolve("config.json");
      Files.writeString(config, configJson);
      for (Map.Entry<String, String> e : protos.entrySet()) {
        Path proto = dir.resolve("tables").resolve(e.getKey()).resolve("schema.proto");
        Files.createDirectories(proto.getParent());
        Files.writeString(proto, e.getValue());
      }
      Files.createDirectories(dir.resolve("tables"));
      return config;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A config.json with the given tables block, pointing at the given endpoints. */
  public static String config(String serverEndpoint, String workspaceUrl, String tablesJson) {
    return "{\"databricks\": {\"server_endpoint\": \"" + serverEndpoint + "\", \"workspace_id\": \"1\","
        + " \"workspace_url\": \"" + workspaceUrl + "\"}, \"tables\": " + tablesJson + "}";
  }

  public static String table(String tableName, String protoPackage, String message, String fieldsJson) {
    return "{\"table_name\": \"" + tableName + "\", \"proto_package\": \"" + protoPackage + "\", \"message_name\": \""
        + message + "\"" + (fieldsJson == null ? "" : ", \"fields\": " + fieldsJson) + "}";
  }

  public static TableRegistry registry(Path dir, String configJson, Map<String, String> protos, EncoderOptions options) {
    Path config = write(dir, configJson, protos);
    return TableRegistry.build(StationConfig.load(config, Env.of(Map.of())), options);
  }

  /** The all_types table and the seed's two stations, in one registry. */
  public static TableRegistry standard(Path dir, String serverEndpoint, String workspaceUrl, EncoderOptions options) {
    String stationFields = """
        [{"name": "device_name", "type": "string", "proto_type": "optional string", "field_num": 1},
         {"name": "temp", "type": "int32", "proto_type": "optional int32", "field_num": 2},
         {"name": "humidity", "type": "int64", "proto_type": "optional int64", "field_num": 3}]
        """;
    String tables = "{\"station_one\": " + table("main.test.station_one", "station_one", "StationOne", stationFields)
        + ", \"station_two\": " + table("main.test.station_two", "station_two", "StationTwo", null)
        + ", \"all_types\": " + table("main.test.all_types", "all_types", "AllTypes", ALL_TYPES_CONFIG_FIELDS)
        + "}";
    return registry(dir, config(serverEndpoint, workspaceUrl, tables), Map.of(
        "station_two", """
            syntax = "proto2";
            package station_two;
            message StationTwo {
                optional string device_name = 1;
                optional int32 temp = 2;
                optional int64 humidity = 3;
                optional string description = 4;
            }
            """,
        "all_types", ALL_TYPES_PROTO), options);
  }
}
