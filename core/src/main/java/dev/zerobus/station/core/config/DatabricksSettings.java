package dev.zerobus.station.core.config;

/**
 * Where Zerobus is: the {@code databricks} block of config.json, after environment overrides
 * ({@code ZEROBUS_SERVER_ENDPOINT}, {@code DATABRICKS_WORKSPACE_URL}, {@code DATABRICKS_WORKSPACE_ID}).
 *
 * @param serverEndpoint the Zerobus endpoint, e.g. {@code <workspace-id>.zerobus.<region>.cloud.databricks.com}
 *     or {@code http://127.0.0.1:50051} for the emulator
 * @param workspaceUrl the workspace URL the SDK fetches OAuth tokens from
 */
public record DatabricksSettings(String serverEndpoint, String workspaceId, String workspaceUrl) {
  public static final String SERVER_ENDPOINT_ENV = "ZEROBUS_SERVER_ENDPOINT";
  public static final String WORKSPACE_URL_ENV = "DATABRICKS_WORKSPACE_URL";
  public static final String WORKSPACE_ID_ENV = "DATABRICKS_WORKSPACE_ID";

  public DatabricksSettings withOverrides(Env env) {
    return new DatabricksSettings(
        env.get(SERVER_ENDPOINT_ENV).orElse(serverEndpoint),
        env.get(WORKSPACE_ID_ENV).orElse(workspaceId),
        env.get(WORKSPACE_URL_ENV).orElse(workspaceUrl));
  }
}
