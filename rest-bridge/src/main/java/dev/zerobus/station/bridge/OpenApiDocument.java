package dev.zerobus.station.bridge;

import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;

/**
 * {@code /openapi.json}, made once and again only when a table's columns change (columns added
 * while running), so it always shows the records the bridge takes now. With tokens on, a caller
 * without one gets the routes without the tables' names and columns.
 */
final class OpenApiDocument {
  private final TableRegistry registry;
  private final String version;
  private final boolean auth;
  private final byte[] routesOnly;
  private volatile Made made;

  /** The document and the schema version of each table it was made from. */
  private record Made(List<Integer> versions, byte[] bytes) {}

  OpenApiDocument(TableRegistry registry, String version, boolean auth) {
    this.registry = registry;
    this.version = version;
    this.auth = auth;
    this.routesOnly = auth ? render(List.of(), strictFields(registry.tables())) : null;
  }

  byte[] bytes(boolean withTables) {
    if (auth && !withTables) {
      return routesOnly;
    }
    Collection<TableDefinition> tables = registry.tables();
    List<Integer> versions = tables.stream().map(TableDefinition::schemaVersion).toList();
    Made current = made;
    if (current == null || !current.versions().equals(versions)) {
      current = new Made(versions, render(tables, strictFields(tables)));
      made = current;
    }
    return current.bytes();
  }

  private byte[] render(Collection<TableDefinition> tables, boolean strictFields) {
    try {
      return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(
          OpenApi.document(tables, version, auth, strictFields));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean strictFields(Collection<TableDefinition> tables) {
    return tables.stream().noneMatch(t -> t.encoder().options().ignoreUnknownFields());
  }
}
