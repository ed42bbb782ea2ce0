package dev.zerobus.station.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerobus.station.core.errors.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The seed service's config.json, read unchanged:
 *
 * <pre>{@code
 * {"databricks": {"server_endpoint": "...", "workspace_id": "...", "workspace_url": "https://..."},
 *  "tables": {"station_one": {"table_name": "catalog.schema.station_one", "proto_package": "station_one",
 *             "message_name": "StationOne",
 *             "fields": [{"name": "temp", "type": "int32", "proto_type": "optional int32", "field_num": 2}]}}}
 * }</pre>
 *
 * Every problem names the file, the table and the field.
 */
public final class StationConfig {
  /** The environment variable naming the folder of {@code <table key>/schema.proto} files. */
  public static final String TABLES_DIR_ENV = "ZEROBUS_TABLES_DIR";

  private static final Pattern TABLE_KEY = Pattern.compile("[A-Za-z0-9_-]+");
  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z0-9_]+\\.[A-Za-z0-9_]+\\.[A-Za-z0-9_]+");
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** Protobuf's largest field number, 2^29 - 1. */
  public static final int MAX_FIELD_NUMBER = 536_870_911;
  /** Field numbers protobuf keeps for itself. */
  public static final int RESERVED_FIRST = 19_000;
  public static final int RESERVED_LAST = 19_999;

  /** One entry of a table's {@code fields}. */
  public record FieldSpec(String name, String type, String protoType, int fieldNum) {}

  /**
   * One entry of {@code tables}. {@code fields} may be empty when a schema.proto describes the
   * table, or when neither does and the schema comes from Unity Catalog at start-up.
   *
   * @param schemaDrift what to do when the local schema and the catalog differ (this table's
   *     {@code schema_drift}, else the file's, else FAIL)
   */
  public record TableSpec(String key, String tableName, String protoPackage, String messageName, List<FieldSpec> fields,
      SchemaDrift schemaDrift) {}

  /** config.json's {@code schema_drift} (env ZEROBUS_SCHEMA_DRIFT overrides the file's). */
  public enum SchemaDrift {
    /** A difference from Unity Catalog fails start-up with the diff. */
    FAIL,
    /** A difference is logged (WARN, with the diff) and the local schema is used. */
    WARN,
    /** Tables with a local schema are not compared with the catalog. */
    OFF
  }

  public static final String SCHEMA_DRIFT_ENV = "ZEROBUS_SCHEMA_DRIFT";

  private final Path file;
  private final Path tablesDir;
  private final DatabricksSettings databricks;
  private final Map<String, TableSpec> tables;

  private StationConfig(Path file, Path tablesDir, DatabricksSettings databricks, Map<String, TableSpec> tables) {
    this.file = file;
    this.tablesDir = tablesDir;
    this.databricks = databricks;
    this.tables = Collections.unmodifiableMap(tables);
  }

  /**
   * Reads config.json. Schema files are looked for in {@code ZEROBUS_TABLES_DIR}, else in
   * {@code tables/} beside the config file, else in {@code ./tables}.
   */
  public static StationConfig load(Path file, Env env) {
    String json;
    try {
      json = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    Path tablesDir = env.get(TABLES_DIR_ENV).map(Path::of).orElseGet(() -> {
      Path beside = file.toAbsolutePath().getParent().resolve("tables");
      return Files.isDirectory(beside) ? beside : Path.of("tables");
    });
    return parse(json, file, tablesDir, env);
  }

  public static StationConfig parse(String json, Path file, Path tablesDir, Env env) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ConfigException(file + " is not valid JSON: " + e.getOriginalMessage()
          + " (line " + e.getLocation().getLineNr() + ")");
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException(file + ": expected a JSON object with \"databricks\" and \"tables\"");
    }
    JsonNode db = root.path("databricks");
    DatabricksSettings settings = new DatabricksSettings(
        text(db, "server_endpoint"), text(db, "workspace_id"), text(db, "workspace_url")).withOverrides(env);
    if (settings.serverEndpoint() == null) {
      throw new ConfigException(file + ": databricks.server_endpoint is missing (or set "
          + DatabricksSettings.SERVER_ENDPOINT_ENV + ")");
    }
    if (settings.workspaceUrl() == null) {
      throw new ConfigException(file + ": databricks.workspace_url is missing (or set "
          + DatabricksSettings.WORKSPACE_URL_ENV + ")");
    }
    JsonNode tablesNode = root.path("tables");
    if (!tablesNode.isObject() || tablesNode.isEmpty()) {
      throw new ConfigException(file + ": \"tables\" must be an object with at least one table");
    }
    SchemaDrift drift = env.get(SCHEMA_DRIFT_ENV).isPresent()
        ? drift(file + ": " + SCHEMA_DRIFT_ENV, env.get(SCHEMA_DRIFT_ENV).get())
        : drift(file + ": schema_drift", text(root, "schema_drift"));
    Map<String, TableSpec> tables = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = tablesNode.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      tables.put(e.getKey(), table(file, e.getKey(), e.getValue(), drift));
    }
    return new StationConfig(file, tablesDir, settings, tables);
  }

  private static SchemaDrift drift(String where, String value) {
    if (value == null) {
      return SchemaDrift.FAIL;
    }
    try {
      return SchemaDrift.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + " must be fail, warn or off, got '" + value + "'");
    }
  }

  private static TableSpec table(Path file, String key, JsonNode t, SchemaDrift fileDrift) {
    String where = file + ": table " + key;
    if (!TABLE_KEY.matcher(key).matches()) {
      throw new ConfigException(where + ": the table key must be letters, digits, '_' or '-' (it is a URL path segment)");
    }
    if (!t.isObject()) {
      throw new ConfigException(where + ": expected an object");
    }
    String tableName = text(t, "table_name");
    if (tableName == null || !TABLE_NAME.matcher(tableName).matches()) {
      throw new ConfigException(where + ": table_name must be catalog.schema.table (ASCII letters, digits, '_'), got "
          + (tableName == null ? "nothing" : "'" + tableName + "'"));
    }
    List<FieldSpec> fields = new ArrayList<>();
    JsonNode fieldsNode = t.path("fields");
    if (!fieldsNode.isMissingNode() && !fieldsNode.isArray()) {
      throw new ConfigException(where + ": fields must be a list");
    }
    for (int i = 0; i < fieldsNode.size(); i++) {
      JsonNode f = fieldsNode.get(i);
      String name = text(f, "name");
      if (name == null) {
        throw new ConfigException(where + ": fields[" + i + "] has no name");
      }
      String type = text(f, "type");
      String protoType = text(f, "proto_type");
      if (type == null && protoType == null) {
        throw new ConfigException(where + " field '" + name + "': needs a type or a proto_type");
      }
      JsonNode num = f.path("field_num");
      if (!num.canConvertToInt() || num.asInt() < 1 || num.asInt() > MAX_FIELD_NUMBER) {
        throw new ConfigException(where + " field '" + name + "': field_num must be a protobuf field number, 1 to "
            + MAX_FIELD_NUMBER + ", got " + num);
      }
      if (num.asInt() >= RESERVED_FIRST && num.asInt() <= RESERVED_LAST) {
        throw new ConfigException(where + " field '" + name + "': field_num " + num.asInt() + " is in protobuf's"
            + " reserved range " + RESERVED_FIRST + "-" + RESERVED_LAST);
      }
      fields.add(new FieldSpec(name, type, protoType, num.asInt()));
    }
    SchemaDrift drift = text(t, "schema_drift") == null ? fileDrift : drift(where + ": schema_drift", text(t, "schema_drift"));
    return new TableSpec(key, tableName, text(t, "proto_package"), text(t, "message_name"), List.copyOf(fields), drift);
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    return v.isTextual() && !v.asText().isBlank() ? v.asText().trim() : null;
  }

  public Path file() {
    return file;
  }

  public Path tablesDir() {
    return tablesDir;
  }

  public DatabricksSettings databricks() {
    return databricks;
  }

  /** Tables by key, in file order. */
  public Map<String, TableSpec> tables() {
    return tables;
  }
}
