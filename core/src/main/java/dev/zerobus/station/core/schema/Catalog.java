package dev.zerobus.station.core.schema;

import dev.zerobus.station.core.errors.CatalogException;

/** Where table schemas come from at start-up: Unity Catalog, or a fake in tests. */
public interface Catalog {
  /** For messages: the catalog's address. */
  String where();

  /**
   * The table's columns.
   *
   * @throws CatalogException when the catalog cannot be asked, refuses, or has no such table
   * @throws ConfigException when the table has a column type Zerobus cannot write
   */
  CatalogTable table(String fullName) throws CatalogException;
}
