package dev.zerobus.station.connector;

import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.DatabricksSettings;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.errors.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Decides, before anything is sent, whether a connector config may use the worker's credentials
 * and the URLs it names. Connect's REST API has no authentication by default, so whoever can reach
 * it can submit a config; without this check such a config could name its own workspace URL and
 * receive the worker's client secret.
 *
 * <p>The rule: the worker's client secret ({@code DATABRICKS_CLIENT_SECRET} in the worker's
 * environment, whether taken from there or handed back by value through a config provider) goes only
 * to the worker's own {@code DATABRICKS_WORKSPACE_URL} or to a URL in the worker's
 * {@code ZEROBUS_ALLOWED_WORKSPACE_URLS}. A workspace URL or Zerobus endpoint the worker does not
 * name must be https unless it is a loopback address. Only a trusted workspace's answers are
 * repeated in error messages. URLs are compared by scheme, host (any case) and port.
 */
final class CredentialScope {
  /** Comma-separated workspace URLs, besides DATABRICKS_WORKSPACE_URL, that may get the worker's credentials. */
  static final String ALLOWED_WORKSPACE_URLS_ENV = "ZEROBUS_ALLOWED_WORKSPACE_URLS";
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

  /** A broken rule, on the connector setting to fix. */
  record Problem(String setting, String message) {}

  private final boolean workspaceTrusted;
  private final List<Problem> problems;

  private CredentialScope(boolean workspaceTrusted, List<Problem> problems) {
    this.workspaceTrusted = workspaceTrusted;
    this.problems = List.copyOf(problems);
  }

  /**
   * @param workerEnvironment the worker process's own environment, which no connector config can change
   * @param effective that environment with the connector's settings over it
   * @param databricks the endpoint and workspace URL the connector would use
   */
  static CredentialScope check(ZerobusSinkConfig config, Map<String, String> workerEnvironment, Env effective,
      DatabricksSettings databricks) {
    Env worker = Env.of(workerEnvironment);
    Set<String> trustedWorkspaces = new HashSet<>();
    worker.get(DatabricksSettings.WORKSPACE_URL_ENV).map(CredentialScope::origin).ifPresent(trustedWorkspaces::add);
    for (String allowed : worker.get(ALLOWED_WORKSPACE_URLS_ENV).orElse("").split(",")) {
      String origin = origin(allowed);
      if (origin != null) {
        trustedWorkspaces.add(origin);
      }
    }
    String workspaceOrigin = origin(databricks.workspaceUrl());
    boolean workspaceTrusted = workspaceOrigin != null && trustedWorkspaces.contains(workspaceOrigin);
    String workspaceSource = config.getString(ZerobusSinkConfig.WORKSPACE_URL).isBlank()
        ? "databricks.workspace_url of " + (config.getString(ZerobusSinkConfig.CONFIG_FILE).isBlank()
            ? ZerobusSinkConfig.CONFIG_JSON : ZerobusSinkConfig.CONFIG_FILE)
        : ZerobusSinkConfig.WORKSPACE_URL;

    List<Problem> problems = new ArrayList<>();
    if (!workspaceTrusted && sameSecret(effective.get(Credentials.CLIENT_SECRET).orElse(null),
        worker.get(Credentials.CLIENT_SECRET).orElse(null))) {
      problems.add(new Problem(ZerobusSinkConfig.WORKSPACE_URL, "the worker's client secret (its "
          + Credentials.CLIENT_SECRET + ") is only sent to the worker's own workspace, and " + databricks.workspaceUrl()
          + " (from " + workspaceSource + ") is neither the worker's " + DatabricksSettings.WORKSPACE_URL_ENV
          + " nor in its " + ALLOWED_WORKSPACE_URLS_ENV + "; nothing was sent. Fix: set "
          + DatabricksSettings.WORKSPACE_URL_ENV + " on every worker to this URL or add it to "
          + ALLOWED_WORKSPACE_URLS_ENV + " there, or give the connector its own " + ZerobusSinkConfig.CLIENT_ID
          + " and " + ZerobusSinkConfig.CLIENT_SECRET + " for this workspace"));
    }
    if (!workspaceTrusted && !secureOrLocal(databricks.workspaceUrl())) {
      problems.add(new Problem(ZerobusSinkConfig.WORKSPACE_URL, databricks.workspaceUrl() + " (from " + workspaceSource
          + ") must be an https URL: the client secret is sent there, so plain http is only taken for a loopback"
          + " address or for a URL the worker names (" + DatabricksSettings.WORKSPACE_URL_ENV + ", "
          + ALLOWED_WORKSPACE_URLS_ENV + ")"));
    }
    String endpointOrigin = origin(databricks.serverEndpoint());
    boolean endpointTrusted = endpointOrigin != null && endpointOrigin.equals(
        worker.get(DatabricksSettings.SERVER_ENDPOINT_ENV).map(CredentialScope::origin).orElse(null));
    if (!endpointTrusted && !secureOrLocal(databricks.serverEndpoint())) {
      problems.add(new Problem(ZerobusSinkConfig.SERVER_ENDPOINT, databricks.serverEndpoint() + " must be an https URL"
          + " (or a host name, which means https): OAuth tokens are sent there, so plain http is only taken for a"
          + " loopback address or for the worker's own " + DatabricksSettings.SERVER_ENDPOINT_ENV));
    }
    return new CredentialScope(workspaceTrusted, problems);
  }

  /** Whether the workspace URL is one the worker names, so its answers may be repeated in messages. */
  boolean workspaceTrusted() {
    return workspaceTrusted;
  }

  List<Problem> problems() {
    return problems;
  }

  /** @throws ConfigException naming every broken rule and how to fix it */
  void requireAllowed() {
    if (!problems.isEmpty()) {
      throw new ConfigException(problems.stream().map(p -> p.setting() + ": " + p.message())
          .collect(Collectors.joining("; ")));
    }
  }

  /**
   * scheme://host:port of a plain URL (a bare host name means https), or null for anything else:
   * user info, a query or a fragment make a URL that different parsers may read differently.
   */
  static String origin(String url) {
    if (url == null || url.isBlank()) {
      return null;
    }
    String trimmed = url.trim();
    URI uri;
    try {
      uri = new URI(trimmed.contains("://") ? trimmed : "https://" + trimmed);
    } catch (URISyntaxException e) {
      return null;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if ((!scheme.equals("https") && !scheme.equals("http")) || uri.getHost() == null || uri.getRawUserInfo() != null
        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      return null;
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
  }

  /** https, or http to this machine's loopback (a literal address or localhost; no name is looked up). */
  private static boolean secureOrLocal(String url) {
    String origin = origin(url);
    if (origin == null) {
      return false;
    }
    if (origin.startsWith("https://")) {
      return true;
    }
    String host = origin.substring("http://".length(), origin.lastIndexOf(':'));
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    Matcher v4 = IPV4.matcher(host);
    return host.equals("localhost") || host.equals("::1") || host.equals("0:0:0:0:0:0:0:1")
        || v4.matches() && v4.group(1).equals("127");
  }

  /** Compared in constant time, so a validate call cannot learn the worker's secret from timings. */
  private static boolean sameSecret(String secret, String workerSecret) {
    return secret != null && workerSecret != null && MessageDigest.isEqual(
        secret.getBytes(StandardCharsets.UTF_8), workerSecret.getBytes(StandardCharsets.UTF_8));
  }
}
