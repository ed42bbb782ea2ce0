package dev.zerobus.station.bridge;

import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.DatabricksSettings;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.Settings;
import dev.zerobus.station.core.config.StartupChecks;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.sdk.SdkZerobusClient;
import dev.zerobus.station.core.table.SchemaRefresh;
import dev.zerobus.station.core.table.TableRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar zerobus-station.jar [--local] [--config config.json] [--port 8000] ...}, and
 * {@code java -jar zerobus-station.jar tables pull catalog.schema.table [--key name]}.
 */
@Command(name = "zerobus-station", mixinStandardHelpOptions = true, sortOptions = false,
    modelTransformer = SettingOptions.class,
    versionProvider = BridgeMain.Version.class, subcommands = TablesCommand.class,
    description = "REST bridge into Databricks tables through Zerobus: POST /ingest/{table}, GET /health,"
        + " POST /flush/{table}, GET /ready, /metrics, /docs.")
public final class BridgeMain implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  static final Path LOCAL_CONFIG = Path.of("config", "config.local.json");
  /** Bearer tokens from the environment only: on the command line they would show in the process list. */
  static final String TOKENS_ENV = "ZEROBUS_BRIDGE_TOKENS";
  /** Beyond the shutdown timeout, what the last answers and closing the emulator may take before the process is halted. */
  static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(15);
  static final Path LOCAL_EMULATOR_TABLES = Path.of("config", "emulator-tables.json");

  @Option(names = "--config", defaultValue = "${env:ZEROBUS_CONFIG}",
      description = "config.json listing the tables (env ZEROBUS_CONFIG; default config.json, or with --local "
          + "config/config.local.json when config.json does not exist).")
  Path config;

  @Option(names = "--env-file", defaultValue = "${env:ZEROBUS_ENV_FILE:-.env}",
      description = "Credentials and overrides as KEY=VALUE lines; the environment wins (default ${DEFAULT-VALUE}).")
  Path envFile;

  @Option(names = "--host", defaultValue = "${env:ZEROBUS_BRIDGE_HOST:-127.0.0.1}",
      description = "Address to listen on; 0.0.0.0 for all (env ZEROBUS_BRIDGE_HOST; default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "${env:ZEROBUS_BRIDGE_PORT:-8000}",
      description = "Port to listen on (env ZEROBUS_BRIDGE_PORT; default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--local", defaultValue = "${env:ZEROBUS_LOCAL:-false}",
      description = "Start the Zerobus emulator alongside and use it instead of Databricks (env ZEROBUS_LOCAL).")
  boolean local;

  @Option(names = "--emulator-jar", defaultValue = "${env:ZEROBUS_EMULATOR_JAR:-emulator/target/zerobus-emulator.jar}",
      description = "The emulator for --local (default ${DEFAULT-VALUE}).")
  Path emulatorJar;

  @Option(names = "--emulator-data-dir", defaultValue = "${env:ZEROBUS_EMULATOR_DATA_DIR:-zerobus-emulator-data}",
      description = "Where --local lands tables (default ${DEFAULT-VALUE}).")
  Path emulatorDataDir;

  @Option(names = "--ack-timeout-seconds", defaultValue = "${env:ZEROBUS_BRIDGE_ACK_TIMEOUT_SECONDS:-30}",
      description = "How long a request waits for Zerobus before 504 (default ${DEFAULT-VALUE}).")
  int ackTimeoutSeconds;

  @Option(names = "--max-body-bytes", defaultValue = "${env:ZEROBUS_BRIDGE_MAX_BODY_BYTES:-10485760}",
      description = "Larger request bodies get 413 (default ${DEFAULT-VALUE}).")
  long maxBodyBytes;

  @Option(names = "--max-inflight-body-bytes", defaultValue = "${env:ZEROBUS_BRIDGE_MAX_INFLIGHT_BODY_BYTES:-0}",
      description = "Request bodies being read or held, all requests together, at most this many bytes; past it a"
          + " request gets 503 with Retry-After before more is read (env ZEROBUS_BRIDGE_MAX_INFLIGHT_BODY_BYTES;"
          + " default 0: a quarter of the heap).")
  long maxInflightBodyBytes;

  @Option(names = "--body-read-timeout-seconds", defaultValue = "${env:ZEROBUS_BRIDGE_BODY_READ_TIMEOUT_SECONDS:-60}",
      description = "A request's whole body must arrive within this, however it trickles in; else 408 and the"
          + " connection is closed (env ZEROBUS_BRIDGE_BODY_READ_TIMEOUT_SECONDS; default ${DEFAULT-VALUE}).")
  int bodyReadTimeoutSeconds;

  @Option(names = "--accept-partial-batches", defaultValue = "${env:ZEROBUS_BRIDGE_ACCEPT_PARTIAL_BATCHES:-false}",
      description = "Ingest the valid records of a batch with invalid ones (default: refuse the whole batch).")
  boolean acceptPartialBatches;

  @Option(names = "--auth-tokens-file", defaultValue = "${env:ZEROBUS_BRIDGE_TOKENS_FILE}",
      description = "Bearer tokens and their tables, one '<token> <table>[,<table>...]' per line ('*': all tables),"
          + " or JSON {\"tokens\": [{\"token\": \"...\", \"tables\": [\"station_one\"]}]}."
          + " Or set ZEROBUS_BRIDGE_TOKENS=token=table1,table2;token2=*. Without either, no auth.")
  Path authTokensFile;

  @Option(names = "--allow-unauthenticated", defaultValue = "${env:ZEROBUS_BRIDGE_ALLOW_UNAUTHENTICATED:-false}",
      description = "Listen on a non-loopback address without bearer tokens (refused otherwise: anyone who reaches"
          + " the port could write every table); logged at WARN (env ZEROBUS_BRIDGE_ALLOW_UNAUTHENTICATED).")
  boolean allowUnauthenticated;

  @Option(names = "--tls-keystore", defaultValue = "${env:ZEROBUS_BRIDGE_TLS_KEYSTORE}",
      description = "Serve HTTPS with this PKCS#12 (or .jks) keystore; password in ZEROBUS_BRIDGE_TLS_KEYSTORE_PASSWORD.")
  Path tlsKeystore;

  @Option(names = "--tls-cert", defaultValue = "${env:ZEROBUS_BRIDGE_TLS_CERT}",
      description = "Serve HTTPS with this PEM certificate chain (with --tls-key).")
  Path tlsCert;

  @Option(names = "--tls-key", defaultValue = "${env:ZEROBUS_BRIDGE_TLS_KEY}",
      description = "The PEM PKCS#8 private key for --tls-cert.")
  Path tlsKey;

  @Option(names = "--tls-reload-seconds", defaultValue = "${env:ZEROBUS_BRIDGE_TLS_RELOAD_SECONDS:-60}",
      description = "How often the TLS files are checked for a rotated certificate; 0: never (default ${DEFAULT-VALUE}).")
  int tlsReloadSeconds;

  @Option(names = "--lazy-streams", defaultValue = "${env:ZEROBUS_LAZY_STREAMS:-false}",
      description = "Open Zerobus streams on first use instead of at start (by default the bridge authenticates and"
          + " opens one stream per table before it listens, and exits naming the cause if it cannot).")
  boolean lazyStreams;

  @Option(names = "--start-timeout-seconds", defaultValue = "${env:ZEROBUS_START_TIMEOUT_SECONDS:-30}",
      description = "How long start-up waits for every table's stream while Zerobus is unreachable (default"
          + " ${DEFAULT-VALUE}); a non-retryable failure (credentials, permission, schema) exits at once.")
  int startTimeoutSeconds;

  @Option(names = "--shutdown-timeout-seconds", defaultValue = "${env:ZEROBUS_SHUTDOWN_TIMEOUT_SECONDS:-30}",
      description = "How long shutdown waits for in-flight requests and acks (default ${DEFAULT-VALUE}).")
  int shutdownTimeoutSeconds;

  @Option(names = "--max-header-bytes", defaultValue = "${env:ZEROBUS_BRIDGE_MAX_HEADER_BYTES:-16384}",
      description = "Request line and headers above this get 431 (default ${DEFAULT-VALUE}).")
  int maxHeaderBytes;

  @Option(names = "--request-parse-timeout-seconds",
      defaultValue = "${env:ZEROBUS_BRIDGE_REQUEST_PARSE_TIMEOUT_SECONDS:-10}",
      description = "A request's line and headers must arrive within this, or the connection is closed"
          + " (default ${DEFAULT-VALUE}).")
  int requestParseTimeoutSeconds;

  @Option(names = "--read-idle-timeout-seconds", defaultValue = "${env:ZEROBUS_BRIDGE_READ_IDLE_TIMEOUT_SECONDS:-30}",
      description = "A connection that sends nothing for this long while the bridge reads from it (headers, body,"
          + " next request) is closed (default ${DEFAULT-VALUE}).")
  int readIdleTimeoutSeconds;

  @Option(names = "--idle-connection-timeout-seconds",
      defaultValue = "${env:ZEROBUS_BRIDGE_IDLE_CONNECTION_TIMEOUT_SECONDS:-20}",
      description = "A keep-alive connection with no request for this long is closed (default ${DEFAULT-VALUE}).")
  int idleConnectionTimeoutSeconds;

  @Option(names = "--max-connections", defaultValue = "${env:ZEROBUS_BRIDGE_MAX_CONNECTIONS:-1000}",
      description = "Open connections beyond this wait in the listen backlog (default ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--access-log", defaultValue = "${env:ZEROBUS_BRIDGE_ACCESS_LOG:-combined}",
      description = "Access log format, to the logger dev.zerobus.station.access at INFO: combined, common or off"
          + " (default ${DEFAULT-VALUE}).")
  String accessLog;

  @Option(names = "--log-format", defaultValue = "${env:ZEROBUS_LOG_FORMAT:-text}",
      description = "Log lines as text or json, one line per event (default ${DEFAULT-VALUE}).")
  String logFormat;

  @Option(names = "--cors-origins", defaultValue = "${env:ZEROBUS_BRIDGE_CORS_ORIGINS}", split = ",",
      description = "Origins browsers may call the bridge from, comma-separated, or * for any (default: none, no CORS).")
  List<String> corsOrigins;

  @Option(names = "--request-id-column", defaultValue = "${env:ZEROBUS_BRIDGE_REQUEST_ID_COLUMN:-_request_id}",
      description = "Tables with this column get the request id in it (Idempotency-Key, X-Request-Id or a new"
          + " UUID); empty: never (default ${DEFAULT-VALUE}).")
  String requestIdColumn;

  @Option(names = "--record-index-column", defaultValue = "${env:ZEROBUS_BRIDGE_RECORD_INDEX_COLUMN:-_record_index}",
      description = "Tables with this column get the record's index in its request (default ${DEFAULT-VALUE}).")
  String recordIndexColumn;

  public static void main(String[] args) {
    // Undertow and XNIO log through jboss-logging: send that to SLF4J like the rest.
    System.setProperty("org.jboss.logging.provider", "slf4j");
    int code = command().execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** The command line, with its one-line answer to a failed start (exit 2 for a setting at fault). */
  static CommandLine command() {
    return new CommandLine(new BridgeMain())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("zerobus-station: " + e.getMessage());
          return e instanceof ConfigException || e instanceof IllegalArgumentException ? 2 : 1;
        });
  }

  @Override
  public Integer call() throws Exception {
    // Read by logback.xml when logging starts, which is after this.
    System.setProperty("zerobus.log.format", switch (logFormat.toLowerCase(Locale.ROOT)) {
      case "text", "json" -> logFormat.toLowerCase(Locale.ROOT);
      default -> throw new IllegalArgumentException("--log-format must be text or json, got " + logFormat);
    });
    Path configFile = configFile();
    Env env = Env.load(List.of(envFile, configFile.toAbsolutePath().getParent().resolve(".env")));
    refuseUnauthenticatedExposure(env);
    Settings shared = SettingOptions.settings(spec);
    LocalEmulator emulator = null;
    if (local) {
      emulator = LocalEmulator.start(emulatorJar, emulatorArguments());
      env = env.with(emulator.clientSettings());
    }
    try {
      StationConfig stationConfig = StationConfig.load(configFile, env);
      TableRegistry registry = TableRegistry.load(stationConfig, shared.encoderOptions(), env);
      Credentials credentials = Credentials.from(env);
      BridgeSettings settings = bridgeSettings(env, registry);
      if (!local) {
        StartupChecks.noPlaceholders(stationConfig, credentials);
        DatabricksSettings db = stationConfig.databricks();
        StartupChecks.resolves("the Zerobus endpoint (databricks.server_endpoint)", db.serverEndpoint(),
            StartupChecks.Resolver.SYSTEM);
        StartupChecks.resolves("the workspace URL (databricks.workspace_url)", db.workspaceUrl(),
            StartupChecks.Resolver.SYSTEM);
      }
      StreamManager manager = SdkZerobusClient.streamManager(registry, credentials, shared.streams());
      if (!lazyStreams) {
        try {
          StreamsAtStartup.openAll(manager, Duration.ofSeconds(startTimeoutSeconds));
        } catch (RuntimeException e) {
          manager.close(Duration.ZERO);
          throw e;
        }
      }
      BridgeServer server = new BridgeServer(registry, manager, settings,
          SchemaRefresh.start(registry, shared.catalogRefresh())).start();
      CountDownLatch stopped = new CountDownLatch(1);
      LocalEmulator localEmulator = emulator;
      ShutdownWatchdog watchdog = new ShutdownWatchdog(settings.shutdownTimeout().plus(SHUTDOWN_GRACE));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        watchdog.shutdownBegan();
        server.shutdown();
        if (localEmulator != null) {
          localEmulator.close();
        }
        stopped.countDown();
        // Last, so the shutdown's own lines and the access log's last block are written (logback's own
        // shutdown hook would run beside this one and drop them).
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.core.spi.LifeCycle logging) {
          logging.stop();
        }
      }, "zerobus-station-shutdown"));
      System.out.println(banner(server, registry, emulator));
      System.out.flush();
      stopped.await();
      return 0;
    } catch (RuntimeException e) {
      if (emulator != null) {
        emulator.close();
      }
      throw e;
    }
  }

  private Path configFile() {
    if (config != null) {
      return config;
    }
    Path standard = Path.of("config.json");
    if (local && !Files.exists(standard)) {
      return LOCAL_CONFIG;
    }
    if (!Files.exists(standard)) {
      throw new ConfigException("config.json not found: copy config/config.example.json to config.json and edit it,"
          + " point --config at yours, or run with --local to try it against the emulator");
    }
    return standard;
  }

  private List<String> emulatorArguments() {
    List<String> args = new ArrayList<>(List.of("--data-dir", emulatorDataDir.toString()));
    if (Files.exists(LOCAL_EMULATOR_TABLES) && (config == null || config.equals(LOCAL_CONFIG))) {
      args.addAll(List.of("--config", LOCAL_EMULATOR_TABLES.toString()));
    }
    return args;
  }

  /**
   * A bridge others can reach must have tokens: anyone who reaches the port could otherwise write
   * every table. Checked first, before anything is read or opened.
   */
  private void refuseUnauthenticatedExposure(Env env) {
    boolean tokens = authTokensFile != null || env.get(TOKENS_ENV).isPresent();
    if (tokens || BridgeServer.loopback(host)) {
      return;
    }
    if (!allowUnauthenticated) {
      throw new IllegalArgumentException("--host " + host + " is reachable from other machines and no bearer tokens"
          + " are set, so anyone who reaches port " + port + " could write every table: set --auth-tokens-file"
          + " (or ZEROBUS_BRIDGE_TOKENS), listen on 127.0.0.1, or say --allow-unauthenticated if a proxy in front"
          + " authenticates");
    }
    LoggerFactory.getLogger(BridgeMain.class).warn("listening on {} without bearer tokens"
        + " (--allow-unauthenticated): anyone who reaches port {} can write every table", host, port);
  }

  private BridgeSettings bridgeSettings(Env env, TableRegistry registry) throws Exception {
    BridgeSettings settings = BridgeSettings.defaults(host, port)
        .withLimits(Duration.ofSeconds(ackTimeoutSeconds), maxBodyBytes, acceptPartialBatches)
        .withShutdownTimeout(Duration.ofSeconds(shutdownTimeoutSeconds))
        .withEdge(edgeSettings());
    if (authTokensFile != null) {
      settings = settings.withAuth(BearerAuth.load(authTokensFile).requireTables(registry.keys()));
    } else if (env.get(TOKENS_ENV).isPresent()) {
      settings = settings.withAuth(BearerAuth.parse(env.get(TOKENS_ENV).get())
          .requireTables(registry.keys()));
    }
    if (tlsKeystore != null) {
      char[] password = env.get("ZEROBUS_BRIDGE_TLS_KEYSTORE_PASSWORD").orElse("").toCharArray();
      settings = settings.withTls(Tls.fromKeystore(tlsKeystore, password, Duration.ofSeconds(tlsReloadSeconds)));
    } else if (tlsCert != null || tlsKey != null) {
      if (tlsCert == null || tlsKey == null) {
        throw new IllegalArgumentException("--tls-cert and --tls-key go together");
      }
      settings = settings.withTls(Tls.fromPem(tlsCert, tlsKey, Duration.ofSeconds(tlsReloadSeconds)));
    }
    return settings;
  }

  private EdgeSettings edgeSettings() {
    EdgeSettings.AccessLog format;
    try {
      format = EdgeSettings.AccessLog.valueOf(accessLog.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--access-log must be combined, common or off, got " + accessLog);
    }
    List<String> origins = corsOrigins == null ? List.of()
        : corsOrigins.stream().map(String::trim).filter(o -> !o.isEmpty()).toList();
    return EdgeSettings.DEFAULTS
        .withConnections(maxHeaderBytes, maxConnections)
        .withTimeouts(Duration.ofSeconds(requestParseTimeoutSeconds), Duration.ofSeconds(readIdleTimeoutSeconds),
            Duration.ofSeconds(idleConnectionTimeoutSeconds))
        .withAccessLog(format)
        .withCors(origins)
        .withIdempotencyColumns(requestIdColumn.trim(), recordIndexColumn.trim())
        .withBodyLimits(Duration.ofSeconds(bodyReadTimeoutSeconds),
            maxInflightBodyBytes > 0 ? maxInflightBodyBytes : BodyBudget.defaultLimit());
  }

  private static String banner(BridgeServer server, TableRegistry registry, LocalEmulator emulator) {
    StringBuilder out = new StringBuilder();
    out.append("Zerobus Station ").append(BridgeServer.version()).append(" on ").append(server.url()).append('\n');
    out.append("  Zerobus: ").append(registry.config().databricks().serverEndpoint()).append(emulator != null ? " (local emulator)" : "")
        .append('\n');
    for (String key : registry.keys()) {
      out.append("  POST ").append(server.url()).append("/ingest/").append(key).append("  ->  ")
          .append(registry.find(key).orElseThrow().tableName()).append('\n');
    }
    out.append("  API docs: ").append(server.url()).append("/docs   metrics: ").append(server.url()).append("/metrics");
    if (emulator != null && emulator.adminUrl() != null) {
      String first = registry.tables().iterator().next().tableName().toLowerCase();
      out.append("\n  Landed rows: curl ").append(emulator.adminUrl()).append("/tables/").append(first).append("/rows");
    }
    return out.toString();
  }

  /** The jar's version for --version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"zerobus-station " + BridgeServer.version()};
    }
  }
}
