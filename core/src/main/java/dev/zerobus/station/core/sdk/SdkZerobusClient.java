package dev.zerobus.station.core.sdk;

import com.databricks.zerobus.AckCallback;
import com.databricks.zerobus.NonRetriableException;
import com.databricks.zerobus.StreamConfigurationOptions;
import com.databricks.zerobus.ZerobusException;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.DatabricksSettings;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.delivery.ZerobusClient;
import dev.zerobus.station.core.delivery.ZerobusFailure;
import dev.zerobus.station.core.delivery.ZerobusFailure.Kind;
import dev.zerobus.station.core.errors.Text;
import dev.zerobus.station.core.table.TableRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
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
  /**
   * Streams opened at once: each open waits on a token request and the SDK's answer, not the CPU,
   * and the SDK gives every creation in flight a thread of its own runtime's blocking pool.
   */
  private static final int OPENING_AT_ONCE = 8;

  private final ZerobusSdk sdk;
  private final DatabricksSettings databricks;
  private final Credentials credentials;
  private final StreamSettings settings;
  private final Reachability reachability;
  private final boolean echoWorkspaceAnswers;
  /** Where opening and closing streams wait (token probes, the SDK's close), so no lane's thread does. */
  private final ThreadPoolExecutor calls;
  private final Semaphore creating = new Semaphore(OPENING_AT_ONCE);

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
    AtomicInteger count = new AtomicInteger();
    this.calls = new ThreadPoolExecutor(OPENING_AT_ONCE, OPENING_AT_ONCE, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "zerobus-sdk-calls-" + count.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    calls.allowCoreThreadTimeOut(true);
  }

  /**
   * Opens a stream without blocking the caller. What may block (SDK 1.0.1's workarounds below, and
   * handing back the SDK's answer) runs on this client's own few threads, never on a lane's.
   */
  @Override
  public CompletableFuture<Stream> open(String tableName, DescriptorProto descriptor, StreamEvents events) {
    CompletableFuture<Stream> result = new CompletableFuture<>();
    try {
      calls.execute(() -> create(tableName, descriptor, events, result));
    } catch (RejectedExecutionException closed) {
      result.completeExceptionally(new ZerobusFailure(Kind.UNAVAILABLE, "the Zerobus client is closed"));
    }
    return result;
  }

  private void create(String tableName, DescriptorProto descriptor, StreamEvents events,
      CompletableFuture<Stream> result) {
    try {
      checkBeforeCreating(tableName);
    } catch (ZerobusFailure f) {
      result.completeExceptionally(f);
      return;
    }
    creating.acquireUninterruptibly(); // on this client's own thread, never a lane's
    CompletableFuture<ZerobusProtoStream> opening;
    try {
      opening = sdk.createProtoStream(tableName, descriptor, credentials.clientId(), credentials.clientSecret(),
          options(events));
    } catch (RuntimeException | LinkageError e) {
      creating.release();
      result.completeExceptionally(new ZerobusFailure(Kind.UNAVAILABLE, "the SDK could not start a stream: " + e));
      return;
    }
    opening.whenComplete((stream, error) -> creating.release());
    // SDK 1.0.1 workaround: one attempt's time and a little more. Under a plugin class loader the SDK
    // cannot report a failed creation at all (see Reachability), so waiting out all its retries would
    // stall the lane; the lane tries again itself, and a stream that opens late is closed.
    long limit = settings.recoveryTimeout().toMillis() + 2_000;
    opening.copy().orTimeout(limit, TimeUnit.MILLISECONDS).whenCompleteAsync((stream, error) -> {
      if (error == null) {
        result.complete(new SdkStream(stream));
        return;
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (cause instanceof TimeoutException) {
        abandon(opening);
        result.completeExceptionally(new ZerobusFailure(Kind.UNAVAILABLE, "opening a stream timed out after "
            + Duration.ofMillis(limit).toSeconds() + " s (Zerobus endpoint " + databricks.serverEndpoint() + ")"));
      } else {
        result.completeExceptionally(classify(String.valueOf(cause.getMessage()),
            cause instanceof NonRetriableException, true, databricks));
      }
    }, calls);
  }

  /**
   * SDK 1.0.1 workarounds, asked before a stream is created: a creation that fails is reported on a
   * native thread, which cannot do so under a plugin class loader (see Reachability), so the SDK is
   * not asked while the servers refuse connections, nor when the workspace refuses the credentials
   * or the table's privileges. Asked here, as the SDK asks, the refusal is a table failure with the
   * workspace's answer. With an SDK that caches its classes at load (1.1.0 and later) both can go.
   */
  private void checkBeforeCreating(String tableName) throws ZerobusFailure {
    String down = reachability.firstDown();
    if (down != null) {
      throw new ZerobusFailure(Kind.UNAVAILABLE, down + " does not accept connections (Zerobus endpoint "
          + databricks.serverEndpoint() + ", workspace " + databricks.workspaceUrl() + ")", true);
    }
    if (reachability.checksDirectly()) {
      TokenProbe.Problem token = TokenProbe.fetch(databricks.workspaceUrl(), databricks.workspaceId(),
          tableName, credentials, echoWorkspaceAnswers);
      if (token != null) {
        throw new ZerobusFailure(token.refused() ? Kind.TABLE : Kind.UNAVAILABLE, token.message()
            + (token.refused() ? " (check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, and the table's grants)"
            : ""),
            !token.refused());
      }
    }
  }

  private StreamConfigurationOptions options(StreamEvents events) {
    return StreamConfigurationOptions.builder()
        .setMaxInflightRecords(Math.max(settings.maxInflightRecords(), 1000))
        .setRecovery(true)
        .setRecoveryRetries(settings.recoveryRetries())
        .setRecoveryBackoffMs((int) settings.recoveryBackoff().toMillis())
        .setRecoveryTimeoutMs((int) settings.recoveryTimeout().toMillis())
        .setServerLackOfAckTimeoutMs((int) settings.serverAckTimeout().toMillis())
        // We never call the SDK's flush; this bounds how long close() of a stream with pending acks may block.
        .setFlushTimeoutMs(2_000)
        .setAckCallback(new AckCallback() {
          // SDK 1.0.1 workaround: it calls every stream's callbacks from a few native threads of its own and
          // leaves a Java exception thrown there pending on that thread, after which every callback it runs
          // there, any stream's in the whole process, is silently lost (SdkCallbackIsolationTest). So nothing
          // may leave a callback.
          @Override
          public void onAck(long offset) {
            try {
              events.acked(offset);
            } catch (Throwable t) {
              callbackFailed(t);
            }
          }

          @Override
          public void onError(long offset, String message) {
            try {
              events.failed(classify(message, false, false, databricks));
            } catch (Throwable t) {
              callbackFailed(t);
            }
          }
        })
        .build();
  }

  private static void callbackFailed(Throwable t) {
    log.error("a Zerobus stream callback failed (a bug); the SDK's thread goes on", t);
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
    calls.shutdown();
    try {
      calls.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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

    /** Closing may wait for the SDK's flush timeout: done on the client's threads, not the caller's. */
    @Override
    public void close() {
      try {
        calls.execute(() -> closeQuietly(stream));
      } catch (RejectedExecutionException clientClosed) {
        closeQuietly(stream);
      }
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
