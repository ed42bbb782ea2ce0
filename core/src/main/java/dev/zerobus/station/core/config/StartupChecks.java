package dev.zerobus.station.core.config;

import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.errors.Text;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Checks that need no stream: values left from the example files, and host names that do not resolve. */
public final class StartupChecks {
  /** Values from config/config.example.json and config/.env.example that mean "not filled in yet". */
  private static final List<String> PLACEHOLDERS = List.of("workspace-id", "workspace-url", "your_catalog",
      "your_schema", "your-service-principal-id", "your-service-principal-secret", "region.cloud.databricks.com");

  private StartupChecks() {}

  /** @throws ConfigException naming every value that is still a placeholder, and where it is */
  public static void noPlaceholders(StationConfig config, Credentials credentials) {
    List<String> found = new ArrayList<>();
    DatabricksSettings db = config.databricks();
    check(found, "databricks.server_endpoint (or ZEROBUS_SERVER_ENDPOINT)", db.serverEndpoint());
    check(found, "databricks.workspace_url (or DATABRICKS_WORKSPACE_URL)", db.workspaceUrl());
    check(found, "databricks.workspace_id (or DATABRICKS_WORKSPACE_ID)", db.workspaceId());
    config.tables().forEach((key, table) -> check(found, "tables." + key + ".table_name", table.tableName()));
    if (credentials != null) {
      check(found, Credentials.CLIENT_ID, credentials.clientId());
      check(found, Credentials.CLIENT_SECRET, credentials.clientSecret(), false);
    }
    if (!found.isEmpty()) {
      throw new ConfigException("still the example file's placeholder values, fill them in: " + String.join("; ", found));
    }
  }

  private static void check(List<String> found, String where, String value) {
    check(found, where, value, true);
  }

  private static void check(List<String> found, String where, String value, boolean show) {
    if (value == null) {
      return;
    }
    String v = value.toLowerCase(Locale.ROOT);
    for (String p : PLACEHOLDERS) {
      if (v.contains(p)) {
        found.add(where + (show ? " = '" + Text.clip(value) + "'" : " is the example's value"));
        return;
      }
    }
  }

  /**
   * Resolves the host of an endpoint ({@code host[:port]} or a URL).
   *
   * @throws ConfigException "DNS name not found" naming the setting and the host
   */
  public static void resolves(String setting, String endpoint, Resolver resolver) {
    String host = host(endpoint);
    if (host == null || host.isBlank()) {
      throw new ConfigException(setting + " '" + Text.clip(endpoint) + "' has no host name");
    }
    try {
      resolver.resolve(host);
    } catch (UnknownHostException e) {
      throw new ConfigException(setting + ": DNS name not found: " + host);
    }
  }

  static String host(String endpoint) {
    String e = endpoint.strip();
    if (!e.contains("://")) {
      e = "https://" + e;
    }
    try {
      return URI.create(e).getHost();
    } catch (IllegalArgumentException bad) {
      return null;
    }
  }

  /** Looks a host name up (the system resolver, or a stand-in in tests). */
  public interface Resolver {
    Resolver SYSTEM = InetAddress::getAllByName;

    Object resolve(String host) throws UnknownHostException;
  }
}
