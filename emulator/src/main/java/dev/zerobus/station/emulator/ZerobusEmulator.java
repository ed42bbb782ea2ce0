package dev.zerobus.station.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local Zerobus: the gRPC ingest service the SDK streams to, the workspace's OAuth token
 * endpoint it authenticates with, and an admin API, each on its own loopback port. Acknowledged
 * rows land in {@code <dataDir>/<catalog.schema.table>.jsonl}. A local emulator, not for
 * production: the admin API has no authentication, the token endpoint knows one client.
 *
 * <pre>{@code
 * try (ZerobusEmulator emulator = ZerobusEmulator.builder().start()) {
 *   ZerobusSdk sdk = new ZerobusSdk(emulator.zerobusEndpoint(), emulator.workspaceUrl());
 *   // create streams with emulator.clientId() / emulator.clientSecret() ...
 *   List<JsonNode> rows = emulator.rows("main.default.events");
 * }
 * }</pre>
 */
public final class ZerobusEmulator implements AutoCloseable {
  public static final String DEFAULT_CLIENT_ID = "emulator-client";
  public static final String DEFAULT_CLIENT_SECRET = "emulator-secret";
  /**
   * The service's limit on one received message (10 MiB, decoded): a batch must fit in one
   * message. A larger one fails the stream with RESOURCE_EXHAUSTED, as any gRPC server with that
   * inbound limit answers.
   */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 10 << 20;
  /**
   * How many tables may exist, declared ones included: each costs a file and a landing thread, and
   * streams create tables by naming them, so without a bound any client could exhaust both.
   */
  public static final int DEFAULT_MAX_TABLES = 1000;
  /** Said by --help, the start banner and the warning for a non-loopback address. */
  public static final String NOT_FOR_PRODUCTION = "local emulator — not for production";

  private static final Logger log = LoggerFactory.getLogger(ZerobusEmulator.class);

  private final Builder settings;
  private final DataDir dataDir;
  private final TokenIssuer tokens;
  private final Faults faults;
  private final TableCatalog catalog;
  private final ScheduledExecutorService scheduler;
  private final ZerobusService service;
  private final EmulatorServers servers;

  private ZerobusEmulator(Builder b) throws IOException {
    this.settings = b;
    this.dataDir = DataDir.of(b.dataDir);
    this.tokens = new TokenIssuer(b.clientId, b.clientSecret, b.tokenTtl, Clock.systemUTC());
    // First: a refused start (too many tables) leaves no thread behind.
    this.catalog = new TableCatalog(dataDir.path(), b.declaredTables, b.strict, b.fsync, b.maxTables);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "emulator-scheduler");
      t.setDaemon(true);
      return t;
    });
    ZerobusService[] serviceRef = new ZerobusService[1];
    this.faults = new Faults(table -> serviceRef[0].releaseAcks(table));
    this.service = new ZerobusService(catalog, faults, scheduler, b.discard);
    serviceRef[0] = service;
    boolean started = false;
    try {
      this.servers = new EmulatorServers(b, service, tokens,
          Map.of("/", new TokenEndpoint(tokens, faults), CatalogApi.PATH, new CatalogApi(tokens, catalog)),
          new AdminApi(this));
      started = true;
    } finally {
      if (!started) {
        close();
      }
    }
    if (reachableBeyondLoopback(b.host)) {
      String adminApi = adminPort() < 0 ? "" : "the admin API (port " + adminPort() + ") has no authentication (anyone"
          + " who reaches it can read and reset tables and inject faults) and ";
      log.warn("listening on {}, beyond loopback: {}the token endpoint (port {}) has none beyond one configured client"
          + " id and secret; {}", b.host, adminApi, workspacePort(), NOT_FOR_PRODUCTION);
    }
  }

  /** Whether a listen address is reachable from other machines (anything but loopback, 0.0.0.0 included). */
  static boolean reachableBeyondLoopback(String host) {
    try {
      return !InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return true;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The Zerobus endpoint to give the SDK ({@code new ZerobusSdk(zerobusEndpoint(), workspaceUrl())}). */
  public String zerobusEndpoint() {
    return "http://" + settings.host + ":" + grpcPort();
  }

  /** The workspace (Unity Catalog) URL the SDK fetches tokens from. */
  public String workspaceUrl() {
    return "http://" + settings.host + ":" + workspacePort();
  }

  /** The admin API's base URL, or null when it is off. */
  public String adminUrl() {
    return adminPort() < 0 ? null : "http://" + settings.host + ":" + adminPort();
  }

  public int grpcPort() {
    return servers.grpcPort();
  }

  public int workspacePort() {
    return servers.workspacePort();
  }

  public int adminPort() {
    return servers.adminPort();
  }

  public String clientId() {
    return settings.clientId;
  }

  public String clientSecret() {
    return settings.clientSecret;
  }

  public Path dataDir() {
    return dataDir.path();
  }

  /** How many tables may exist at once, declared ones included. */
  public int maxTables() {
    return catalog.maxTables();
  }

  /** The largest message (a serialized EphemeralStreamRequest) the gRPC service accepts. */
  public int maxMessageBytes() {
    return settings.maxMessageBytes;
  }

  public Faults faults() {
    return faults;
  }

  /** Names of the tables that exist, declared or created by streams. */
  public List<String> tables() {
    List<String> out = new ArrayList<>();
    catalog.tables().forEach(t -> out.add(t.name()));
    return out;
  }

  /** Whether the emulator acknowledges records without decoding or landing them ({@link Builder#discard}). */
  public boolean discard() {
    return settings.discard;
  }

  /** Records acknowledged unread in discard mode on a table so far (0 for a table that does not exist). */
  public long discardedCount(String table) {
    LandedTable t = catalog.table(table);
    return t == null ? 0 : t.discardedCount();
  }

  /** Rows landed in a table so far (0 for a table that does not exist). */
  public long rowCount(String table) {
    LandedTable t = catalog.table(table);
    return t == null ? 0 : t.rowCount();
  }

  /** The table's columns in CREATE TABLE syntax, or null (no such table, or a schemaless JSON one). */
  public String columns(String table) {
    LandedTable t = catalog.table(table);
    return t == null || t.schema() == null ? null : t.schema().sql();
  }

  /**
   * Every landed row of a table, oldest first: {@code {"stream_id", "offset", "index", "row"}},
   * where offset is the stream's request offset and index the record's place in that request.
   */
  public List<JsonNode> rows(String table) {
    LandedTable t = catalog.table(table);
    if (t == null) {
      return List.of();
    }
    try {
      List<String> lines = t.readLines(0, Integer.MAX_VALUE);
      List<JsonNode> out = new ArrayList<>(lines.size());
      for (String line : lines) {
        out.add(HttpJson.MAPPER.readTree(line));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Just the {@code row} objects of {@link #rows}. */
  public List<JsonNode> rowValues(String table) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : rows(table)) {
      out.add(r.get("row"));
    }
    return out;
  }

  /** Open streams, as the admin API lists them. */
  public List<Map<String, Object>> streams() {
    List<Map<String, Object>> out = new ArrayList<>();
    service.streams(null).forEach(s -> out.add(s.describe()));
    return out;
  }

  /**
   * Sends CloseStreamSignal to every open stream on the table (or all: {@link Faults#ANY_TABLE}),
   * and closes those streams after {@code after}, as the service does before moving a stream.
   *
   * @return how many streams were signalled
   */
  public int sendCloseSignal(String table, Duration after) {
    return service.sendCloseSignal(table, after);
  }

  /**
   * Stops the gRPC server (every open stream fails with UNAVAILABLE), stays down for
   * {@code downtime}, and starts again on the same port. Landed rows and tokens survive.
   */
  public synchronized void restart(Duration downtime) {
    servers.restart(downtime);
  }

  /** Empties all tables, forgets the undeclared ones and clears every fault. */
  public void reset() {
    faults.clear();
    try {
      catalog.reset();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The settings a client needs, as printed at start-up. */
  public Map<String, String> clientSettings() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("ZEROBUS_SERVER_ENDPOINT", zerobusEndpoint());
    out.put("DATABRICKS_WORKSPACE_URL", workspaceUrl());
    out.put("DATABRICKS_CLIENT_ID", clientId());
    out.put("DATABRICKS_CLIENT_SECRET", clientSecret());
    return out;
  }

  ZerobusService service() {
    return service;
  }

  TableCatalog catalog() {
    return catalog;
  }

  @Override
  public synchronized void close() {
    if (servers != null) { // null when they failed to start
      servers.close();
    }
    scheduler.shutdownNow();
    catalog.close();
    dataDir.deleteIfTemporary();
  }

  /** Emulator settings; every port defaults to 0 (any free port). */
  public static final class Builder {
    // How to listen: read by EmulatorServers too (package-private), also when it restarts the gRPC server.
    String host = "127.0.0.1";
    int grpcPort;
    int workspacePort;
    int adminPort;
    int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private Path dataDir;
    private String clientId = DEFAULT_CLIENT_ID;
    private String clientSecret = DEFAULT_CLIENT_SECRET;
    private Duration tokenTtl = Duration.ofHours(1);
    private boolean strict;
    private boolean fsync;
    private boolean discard;
    private int maxTables = DEFAULT_MAX_TABLES;
    private final Map<String, TableSchema> declaredTables = new LinkedHashMap<>();

    private Builder() {}

    /** The address to listen on (default 127.0.0.1; 0.0.0.0 in a container). */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder grpcPort(int port) {
      this.grpcPort = port;
      return this;
    }

    public Builder workspacePort(int port) {
      this.workspacePort = port;
      return this;
    }

    /** The admin API's port; -1 turns it off. */
    public Builder adminPort(int port) {
      this.adminPort = port;
      return this;
    }

    /** Where tables land; default: a new temporary directory, deleted on close. */
    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    public Builder credentials(String clientId, String clientSecret) {
      this.clientId = clientId;
      this.clientSecret = clientSecret;
      return this;
    }

    public Builder tokenTtl(Duration ttl) {
      this.tokenTtl = ttl;
      return this;
    }

    /** Refuse streams to tables that were not declared (as the real service does). */
    public Builder strict(boolean strict) {
      this.strict = strict;
      return this;
    }

    /** fsync each write group before acknowledging (default: flush to the OS only). */
    public Builder fsync(boolean fsync) {
      this.fsync = fsync;
      return this;
    }

    /**
     * Acknowledge every ingested message without decoding or writing its records: only counted
     * ({@link #discardedCount}), so a benchmark measures its client against a server that costs
     * almost nothing. Auth, stream creation, table checks, offsets, ack order and the stream and
     * ack faults still apply; reject-records cannot (nothing is decoded), and no row lands.
     */
    public Builder discard(boolean discard) {
      this.discard = discard;
      return this;
    }

    /**
     * The largest message (a serialized EphemeralStreamRequest, after decompression) the gRPC
     * service accepts; default {@link #DEFAULT_MAX_MESSAGE_BYTES}, the service's limit.
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("max message bytes must be at least 1024, got " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * How many tables may exist at once (default {@link #DEFAULT_MAX_TABLES}), declared ones
     * included; a stream that would create one more is refused with NOT_FOUND.
     */
    public Builder maxTables(int tables) {
      if (tables < 1) {
        throw new IllegalArgumentException("max tables must be at least 1, got " + tables);
      }
      this.maxTables = tables;
      return this;
    }

    /**
     * Declares a table by its column list in CREATE TABLE syntax.
     *
     * @throws IllegalArgumentException when the name is not catalog.schema.table or the columns do not parse
     */
    public Builder table(String name, String columns) {
      declaredTables.put(TableCatalog.checkedName(name), TableSchema.parse(columns));
      return this;
    }

    /**
     * Declares the tables of a JSON config: {@code {"tables": {"cat.sch.tbl": "a INT, b STRING"}}}
     * (a value may also be {@code {"columns": "..."}}).
     */
    public Builder config(Path file) throws IOException {
      TablesConfig.read(file, this::table);
      return this;
    }

    public ZerobusEmulator start() throws IOException {
      return new ZerobusEmulator(this);
    }
  }
}
