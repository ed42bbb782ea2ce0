package dev.zerobus.station.emulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Reads the tables a JSON config file declares ({@link ZerobusEmulator.Builder#config}). Every
 * error names the file, and the table when there is one: the file is the user's to fix.
 */
final class TablesConfig {
  private TablesConfig() {}

  /**
   * Hands each table of {@code {"tables": {"cat.sch.tbl": "a INT, b STRING"}}} (a value may also be
   * {@code {"columns": "..."}}) to {@code declare} as its name and column list, in the file's order.
   */
  static void read(Path file, BiConsumer<String, String> declare) throws IOException {
    JsonNode root;
    try {
      root = HttpJson.MAPPER.readTree(file.toFile());
    } catch (JsonProcessingException notJson) {
      throw new IllegalArgumentException(file + ": not JSON: " + notJson.getOriginalMessage(), notJson);
    }
    JsonNode tables = root.path("tables");
    if (!tables.isObject()) {
      throw new IllegalArgumentException(file + ": expected {\"tables\": {\"catalog.schema.table\": \"col TYPE, ...\"}}");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = tables.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      try {
        TableCatalog.checkedName(e.getKey());
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(file + ": " + bad.getMessage(), bad);
      }
      JsonNode v = e.getValue();
      String columns = v.isTextual() ? v.asText() : v.path("columns").asText(null);
      if (columns == null) {
        throw new IllegalArgumentException(file + ": table " + e.getKey() + " needs a column list");
      }
      try {
        declare.accept(e.getKey(), columns);
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(file + ": table " + e.getKey() + ": " + bad.getMessage(), bad);
      }
    }
  }
}
