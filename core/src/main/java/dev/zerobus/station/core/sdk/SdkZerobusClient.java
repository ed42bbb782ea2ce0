package dev.zerobus.station.core.sdk;

import com.databricks.zerobus.AckCallback;
import com.databricks.zerobus.NonRetriableException;
import com.databricks.zerobus.StreamConfigurationOptions;
import com.databricks.zerobus.ZerobusException;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.DatabricksSettings;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.delivery.ZerobusClient;
import dev.zerobus.station.core.delivery.ZerobusFailure;
import dev.zerobus.station.core.delivery.ZerobusFailure.Kind;
import dev.zerobus.station.core.errors.Text;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ZerobusClient} over the official SDK: the one class that calls it. */
public final class SdkZerobusClient implements ZerobusClient {
  private static final Logger log = LoggerFactory.getLogger(SdkZerobusClient.class);
  /** How the SDK renders a gRPC status inside its messages. */
  private static final Pattern GRPC_STATUS = Pattern.compile("status: (\\w+), message: \"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern HTTP_STATUS = Pattern.compile("\\((\\d{3})\\)");

  private final ZerobusSdk sdk;
  private final DatabricksSettings databricks;
  private final Credentials credentials;
  private final StreamSettings settings;
  private final Reachability reachability;
  private final boolean echoWorkspaceAnswers;

  /** The stream manager of a bridge or connector: these tables, over the official SDK, at the config's endpoints. */
  public static StreamManager streamManager(TableRegistry registry, Credentials credentials, StreamSettings settings) {
    return streamManager(registry, credentials, settings, true);
  }

  /** @param echoWorkspaceAnswers whether a refused token may repeat the workspace's answer (see {@link TokenProbe}) */
  public static StreamManager streamManager(TableRegistry registry, Credentials credentials, StreamSettings settings,
      boolean echoWorkspaceAnswers) {
    DatabricksSettings db = registry.config().databricks();
    log.info("Zerobus endpoint {}, workspace {}, {} tables, {} stream(s) per table, client {}", db.serverEndpoint(),
        db.workspaceUrl(), registry.keys().size(), settings.streamsPerTable(), credentials.clientId());
    return new StreamManager(registry, new SdkZerobusClient(db, credentials, settings, echoWorkspaceAnswers), settings);
  }

  public SdkZerobusClient(DatabricksSettings databricks, Credentials credentials, StreamSettings settings) {
    this(databricks, credentials, settings, true);
  }

  /** @param echoWorkspaceAnswers whether a refused token may repeat the workspace's answer (see {@link TokenProbe}) */
  public SdkZerobusClient(DatabricksSettings databricks, Credentials credentials, StreamSettings settings,
      boolean echoWorkspaceAnswers) {
    this.echoWorkspaceAnswers = echoWorkspaceAnswers;
    this.sdk = new ZerobusSdk(databricks.serverEndpoint(), databricks.workspaceUrl());
    this.databricks = databricks;
    this.credentials = credentials;
    this.settings = settings;
    this.reachability = Reachability.of(databricks);
  }

  @Override
  public Stream open(TableDefinition table, StreamEvents events) throws ZerobusFailure, InterruptedException {
    // A creation that fails is reported on a native thread, which cannot do so under a plugin class
    // loader (see Reachability): do not ask while the servers refuse connections.
    String down = reachability.firstDown();
    if (down != null) {
      throw new ZerobusFailure(Kind.UNAVAILABLE, down + " does not accept connections (Zerobus endpoint "
          + databricks.serverEndpoint() + ", workspace " + databricks.workspaceUrl() + ")", true);
    }
    // Nor when the workspace refuses the credentials or the table's privileges: the SDK would fail
    // that creation on its native thread as well. Asked here, as the SDK asks, the refusal is a
    // table failure with the workspace's answer.
    if (reachability.checksDirectly()) {
      TokenProbe.Problem token = TokenProbe.fetch(databricks.workspaceUrl(), databricks.workspaceId(),
          table.tableName(), credentials, echoWorkspaceAnswers);
      if (token != null) {
        throw new ZerobusFailure(token.refused() ? Kind.TABLE : Kind.UNAVAILABLE, token.message()
            + (token.refused() ? " (check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, and the table's grants)"
            : ""),
            !token.refused());
      }
    }
    StreamConfigurationOptions options = StreamConfigurationOptions.builder()
        .setMaxInflightRecords(Math.max(settings.maxInflightRecords(), 1000))
        .setRecovery(true)
        .setRecoveryRetries(settings.recoveryRetries())
        .setRecoveryBackoffMs((int) settings.recoveryBackoff().toMillis())
        .setRecoveryTimeoutMs((int) settings.recoveryTimeout().toMillis())
        .setServerLackOfAckTimeoutMs((int) settings.serverAckTimeout().toMillis())
        // We never call the SDK's flush; this bounds how long close() of a stream with pending acks may block.
        .setFlushTimeoutMs(2_000)
        .setAckCallback(new AckCallback() {
          @Override
          public void onAck(long offset) {
            events.acked(offset);
          }

          @Override
          public void onError(long offset, String message) {
            events.failed(classify(message, false, false, databricks));
          }
        })
        .build();
    CompletableFuture<ZerobusProtoStream> opening = sdk.createProtoStream(table.tableName(), table.descriptorProto(),
        credentials.clientId(), credentials.clientSecret(), options);
    // One attempt's time and a little more: under a plugin class loader the SDK cannot report a failed
    // creation at all (see Reachability), so waiting out all its retries would stall the lane; the lane
    // tries again itself, and a stream that opens late is closed.
    long limit = settings.recoveryTimeout().toMillis() + 2_000;
    try {
      return new SdkStream(opening.get(limit, TimeUnit.MILLISECONDS));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw classify(String.valueOf(cause.getMessage()), cause instanceof NonRetriableException, true, databricks);
    } catch (TimeoutException e) {
      abandon(opening);
      throw new ZerobusFailure(Kind.UNAVAILABLE, "opening a stream timed out after "
          + Duration.ofMillis(limit).toSeconds() + " s (Zerobus endpoint " + databricks.serverEndpoint() + ")");
    } catch (InterruptedException e) {
      abandon(opening);
      throw e;
    }
  }

  /** A stream that opens after we stopped waiting for it is closed, not leaked. */
  private static void abandon(CompletableFuture<ZerobusProtoStream> opening) {
    opening.whenComplete((late, error) -> {
      if (late != null) {
        SdkStream.closeQuietly(late);
      }
    });
  }

  @Override
  public void close() {
    sdk.close();
  }

  private final class SdkStream implements Stream {
    private final ZerobusProtoStream stream;

    SdkStream(ZerobusProtoStream stream) {
      this.stream = stream;
    }

    @Override
    public long send(List<byte[]> records) throws ZerobusFailure {
      try {
        return stream.ingestRecordsOffset(records).orElseThrow();
      } catch (ZerobusException e) {
        throw classify(String.valueOf(e.getMessage()), false, false, databricks);
      }
    }

    @Override
    public void close() {
      closeQuietly(stream);
    }

    static void closeQuietly(ZerobusProtoStream s) {
      try {
        s.close();
      } catch (Exception | LinkageError e) {
        // A lost stream's close repeats why it was lost, which was reported already.
      }
    }
  }

  /**
   * Classifies an SDK message and rewrites it as a plain sentence that keeps the service's reason.
   *
   * @param nonRetriable whether the SDK said it will not retry
   * @param opening whether it happened while opening a stream (an invalid argument then is the schema)
   */
  static ZerobusFailure classify(String sdkMessage, boolean nonRetriable, boolean opening, DatabricksSettings db) {
    String message = Text.oneLine(sdkMessage);
    if (message.startsWith("Invalid argument:")) {
      return new ZerobusFailure(Kind.RECORD, "INVALID_ARGUMENT: " + trimDot(message.substring(17).strip()));
    }
    Matcher grpc = GRPC_STATUS.matcher(message);
    if (grpc.find()) {
      String code = snake(grpc.group(1));
      String reason = grpc.group(2).replace("\\\"", "\"");
      String said = code + ": " + reason;
      switch (code) {
        case "INVALID_ARGUMENT":
          return new ZerobusFailure(opening ? Kind.TABLE : Kind.RECORD, said);
        case "NOT_FOUND":
        case "PERMISSION_DENIED":
        case "UNAUTHENTICATED":
        case "FAILED_PRECONDITION":
        case "UNIMPLEMENTED":
          return new ZerobusFailure(Kind.TABLE, said);
        case "RESOURCE_EXHAUSTED":
          return new ZerobusFailure(!opening && tooLarge(reason) ? Kind.RECORD : Kind.UNAVAILABLE, said);
        default:
          if (reason.contains("tcp connect error") || reason.contains("dns error")) {
            return new ZerobusFailure(Kind.UNAVAILABLE, "cannot connect to the Zerobus endpoint "
                + db.serverEndpoint() + " (" + said + ")");
          }
          return new ZerobusFailure(nonRetriable && opening ? Kind.TABLE : Kind.UNAVAILABLE, said);
      }
    }
    String tokenUrl = db.workspaceUrl() + "/oidc/v1/token";
    if (message.contains("Network error")) {
      return new ZerobusFailure(Kind.UNAVAILABLE, "cannot reach the workspace's OAuth token endpoint " + tokenUrl
          + " (" + trimDot(message.substring(message.indexOf("Network error"))) + ")");
    }
    Matcher http = HTTP_STATUS.matcher(message);
    if ((message.contains("Client error") || message.contains("server error") || message.contains("Token"))
        && http.find()) {
      int status = Integer.parseInt(http.group(1));
      String body = Text.clip(message.substring(http.end()).replaceFirst("^:\\s*", ""));
      String said = "the workspace's OAuth token endpoint " + tokenUrl + " answered HTTP " + status
          + (body.isBlank() ? "" : ": " + body);
      if (status == 401 || status == 403 || status == 400) {
        return new ZerobusFailure(Kind.TABLE, said + " (check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)");
      }
      return new ZerobusFailure(status >= 500 || status == 429 ? Kind.UNAVAILABLE : Kind.TABLE, said);
    }
    if (tooLarge(message) && !opening) {
      return new ZerobusFailure(Kind.RECORD, trimDot(message));
    }
    return new ZerobusFailure(nonRetriable && opening ? Kind.TABLE : Kind.UNAVAILABLE, trimDot(message));
  }

  private static boolean tooLarge(String reason) {
    String r = reason.toLowerCase(Locale.ROOT);
    return r.contains("larger than") || r.contains("exceeds maximum") || r.contains("too large");
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  private static String trimDot(String s) {
    String t = s.strip();
    return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
  }
}
