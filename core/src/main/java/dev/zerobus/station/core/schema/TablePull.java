package dev.zerobus.station.core.schema;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.errors.CatalogException;
import dev.zerobus.station.core.errors.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code tables pull}: reads a table's columns from Unity Catalog, writes {@code tables/<key>/schema.proto}
 * as the SDK's generator would, and adds the table to config.json (or updates its entry): the
 * manual "add a table" steps in one.
 */
public final class TablePull {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]+");

  /** What was written. */
  public record Result(String key, Path protoFile, Path configFile, int columns, boolean added) {}

  private TablePull() {}

  /**
   * @param key the table's key in config.json; null for the table part of the name
   * @throws ConfigException when config.json or the name is unusable, or the table has a type Zerobus cannot write
   * @throws CatalogException when the catalog cannot give the table
   */
  public static Result pull(StationConfig config, Catalog catalog, String tableName, String key)
      throws CatalogException, IOException {
    String[] parts = tableName.split("\\.");
    if (parts.length != 3) {
      throw new ConfigException("table name must be catalog.schema.table, got '" + tableName + "'");
    }
    String k = key != null ? key : parts[2].toLowerCase(Locale.ROOT);
    if (!KEY.matcher(k).matches()) {
      throw new ConfigException("--key must be letters, digits, '_' or '-' (it is a URL path segment), got '" + k + "'");
    }
    StationConfig.TableSpec existing = config.tables().get(k);
    if (existing != null && !existing.tableName().equalsIgnoreCase(tableName)) {
      throw new ConfigException(config.file() + ": table key '" + k + "' is already " + existing.tableName()
          + "; choose another with --key");
    }
    String protoPackage = existing != null && existing.protoPackage() != null ? existing.protoPackage()
        : k.replace('-', '_');
    String message = existing != null && existing.messageName() != null ? existing.messageName()
        : CatalogTable.pascal(k);
    CatalogTable columns = catalog.table(tableName);
    String proto = columns.protoText(protoPackage, message);

    Path protoFile = config.tablesDir().resolve(k).resolve("schema.proto");
    Files.createDirectories(protoFile.getParent());
    Files.writeString(protoFile, proto);

    ObjectNode root = (ObjectNode) MAPPER.readTree(Files.readString(config.file()));
    ObjectNode tables = root.withObjectProperty("tables");
    JsonNode old = tables.get(k);
    ObjectNode entry = old instanceof ObjectNode o ? o : MAPPER.createObjectNode();
    entry.put("table_name", tableName).put("proto_package", protoPackage).put("message_name", message);
    // The proto now says everything; fields left beside it would have to agree with it.
    entry.remove("fields");
    tables.set(k, entry);
    DefaultPrettyPrinter pretty = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
    Files.writeString(config.file(), MAPPER.writer(pretty).writeValueAsString(root) + "\n");
    return new Result(k, protoFile, config.file(), columns.columns().size(), old == null);
  }
}
