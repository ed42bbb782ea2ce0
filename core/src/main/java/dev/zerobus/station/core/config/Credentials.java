package dev.zerobus.station.core.config;

import dev.zerobus.station.core.errors.ConfigException;
import java.util.Optional;

/**
 * The service principal's OAuth client credentials. The secret never appears in toString(), logs
 * or error messages.
 */
public final class Credentials {
  public static final String CLIENT_ID = "DATABRICKS_CLIENT_ID";
  public static final String CLIENT_SECRET = "DATABRICKS_CLIENT_SECRET";

  private final String clientId;
  private final String clientSecret;

  public Credentials(String clientId, String clientSecret) {
    if (clientId == null || clientId.isBlank() || clientSecret == null || clientSecret.isBlank()) {
      throw new ConfigException("client id and secret must both be set");
    }
    this.clientId = clientId;
    this.clientSecret = clientSecret;
  }

  /** From DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET; refuses to go on without them, as the seed did. */
  public static Credentials from(Env env) {
    Optional<String> id = env.get(CLIENT_ID);
    Optional<String> secret = env.get(CLIENT_SECRET);
    if (id.isEmpty() || secret.isEmpty()) {
      throw new ConfigException(CLIENT_ID + " and " + CLIENT_SECRET
          + " must be set, in the environment or in .env (missing: "
          + (id.isEmpty() ? CLIENT_ID : "") + (id.isEmpty() && secret.isEmpty() ? ", " : "")
          + (secret.isEmpty() ? CLIENT_SECRET : "") + ")");
    }
    return new Credentials(id.get(), secret.get());
  }

  public String clientId() {
    return clientId;
  }

  /** Only for handing to the SDK. */
  public String clientSecret() {
    return clientSecret;
  }

  @Override
  public String toString() {
    return "Credentials[clientId=" + clientId + ", clientSecret=****]";
  }
}
