package dev.zerobus.station.emulator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code java -jar zerobus-emulator.jar}: runs the emulator until interrupted. */
@Command(name = "zerobus-emulator", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"A local Zerobus ingest server for the Databricks Zerobus SDK: gRPC streams, "
        + "the OAuth token endpoint, landed tables as JSON Lines, and an admin API with fault injection.",
        "A " + ZerobusEmulator.NOT_FOR_PRODUCTION + ": the admin API has no authentication and the token"
        + " endpoint knows one client, by default with a public secret."})
public final class EmulatorMain implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--host", defaultValue = "${env:ZEROBUS_EMULATOR_HOST:-127.0.0.1}",
      description = "Address to listen on (env ZEROBUS_EMULATOR_HOST; default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--grpc-port", defaultValue = "${env:ZEROBUS_EMULATOR_GRPC_PORT:-50051}",
      description = "Zerobus gRPC port (env ZEROBUS_EMULATOR_GRPC_PORT; default ${DEFAULT-VALUE}).")
  int grpcPort;

  @Option(names = "--workspace-port", defaultValue = "${env:ZEROBUS_EMULATOR_WORKSPACE_PORT:-8089}",
      description = "Workspace URL port serving /oidc/v1/token (env ZEROBUS_EMULATOR_WORKSPACE_PORT; default ${DEFAULT-VALUE}).")
  int workspacePort;

  @Option(names = "--admin-port", defaultValue = "${env:ZEROBUS_EMULATOR_ADMIN_PORT:-8088}",
      description = "Admin API port, -1 for none (env ZEROBUS_EMULATOR_ADMIN_PORT; default ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--data-dir", defaultValue = "${env:ZEROBUS_EMULATOR_DATA_DIR:-zerobus-emulator-data}",
      description = "Where tables land as <catalog.schema.table>.jsonl (env ZEROBUS_EMULATOR_DATA_DIR; default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--config", defaultValue = "${env:ZEROBUS_EMULATOR_CONFIG}",
      description = "JSON declaring tables: {\"tables\": {\"catalog.schema.table\": \"col TYPE, ...\"}} (env ZEROBUS_EMULATOR_CONFIG).")
  Path config;

  @Option(names = "--strict", defaultValue = "${env:ZEROBUS_EMULATOR_STRICT:-false}",
      description = "Refuse streams to undeclared tables (env ZEROBUS_EMULATOR_STRICT).")
  boolean strict;

  @Option(names = "--max-tables", defaultValue = "${env:ZEROBUS_EMULATOR_MAX_TABLES:-" + ZerobusEmulator.DEFAULT_MAX_TABLES + "}",
      description = "Most tables that may exist, declared ones included; a stream that would create one more is"
          + " refused with NOT_FOUND (env ZEROBUS_EMULATOR_MAX_TABLES; default ${DEFAULT-VALUE}).")
  int maxTables;

  @Option(names = "--fsync", defaultValue = "${env:ZEROBUS_EMULATOR_FSYNC:-false}",
      description = "fsync before every ack, not just flush (env ZEROBUS_EMULATOR_FSYNC).")
  boolean fsync;

  @Option(names = "--discard", defaultValue = "${env:ZEROBUS_EMULATOR_DISCARD:-false}",
      description = "Acknowledge every message without decoding or writing its records, only counting them "
          + "(GET /tables shows discarded_records): a client benchmark's ceiling (env ZEROBUS_EMULATOR_DISCARD).")
  boolean discard;

  @Option(names = "--max-message-bytes",
      defaultValue = "${env:ZEROBUS_EMULATOR_MAX_MESSAGE_BYTES:-" + ZerobusEmulator.DEFAULT_MAX_MESSAGE_BYTES + "}",
      description = "Largest gRPC message accepted; a larger one fails its stream with RESOURCE_EXHAUSTED "
          + "(env ZEROBUS_EMULATOR_MAX_MESSAGE_BYTES; default ${DEFAULT-VALUE}, the service's 10 MiB).")
  int maxMessageBytes;

  @Option(names = "--client-id", defaultValue = "${env:ZEROBUS_EMULATOR_CLIENT_ID:-" + ZerobusEmulator.DEFAULT_CLIENT_ID + "}",
      description = "OAuth client id the token endpoint accepts (env ZEROBUS_EMULATOR_CLIENT_ID; default ${DEFAULT-VALUE}).")
  String clientId;

  @Option(names = "--client-secret", defaultValue = "${env:ZEROBUS_EMULATOR_CLIENT_SECRET:-" + ZerobusEmulator.DEFAULT_CLIENT_SECRET + "}",
      description = "OAuth client secret it accepts (env ZEROBUS_EMULATOR_CLIENT_SECRET; default: the well-known test secret).")
  String clientSecret;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * The command, writing UTF-8 whatever the locale (the bridge's {@code --local} reads it so), and
   * saying a failed start in one line: exit 2 for a bad setting or config, 1 otherwise.
   */
  static CommandLine commandLine() {
    return new CommandLine(new EmulatorMain())
        .setOut(utf8(System.out))
        .setErr(utf8(System.err))
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("zerobus-emulator: " + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " "));
          if (!(e instanceof IllegalArgumentException || e instanceof IOException || e instanceof UncheckedIOException)) {
            e.printStackTrace(cmd.getErr());
          }
          cmd.getErr().flush();
          return e instanceof IllegalArgumentException ? 2 : 1;
        });
  }

  private static PrintWriter utf8(OutputStream stream) {
    return new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
  }

  @Override
  public Integer call() throws Exception {
    ZerobusEmulator.Builder builder = ZerobusEmulator.builder()
        .host(host).grpcPort(grpcPort).workspacePort(workspacePort).adminPort(adminPort)
        .dataDir(dataDir).credentials(clientId, clientSecret).strict(strict).fsync(fsync)
        .discard(discard).maxMessageBytes(maxMessageBytes).maxTables(maxTables);
    if (config != null) {
      builder.config(config);
    }
    ZerobusEmulator emulator = builder.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      emulator.close();
      stopped.countDown();
    }, "emulator-shutdown"));
    PrintWriter out = spec.commandLine().getOut();
    out.println(banner(emulator));
    out.flush();
    stopped.await();
    return 0;
  }

  /** What a client needs, ready to paste; the secret is shown only when it is the public default. */
  String banner(ZerobusEmulator emulator) {
    String secret = ZerobusEmulator.DEFAULT_CLIENT_SECRET.equals(emulator.clientSecret())
        ? emulator.clientSecret() : "(not printed: the value of --client-secret / ZEROBUS_EMULATOR_CLIENT_SECRET)";
    StringBuilder out = new StringBuilder();
    out.append("Zerobus emulator ready (").append(ZerobusEmulator.NOT_FOR_PRODUCTION).append(").")
        .append(" Point a client at it with:\n");
    out.append("  ZEROBUS_SERVER_ENDPOINT=").append(emulator.zerobusEndpoint()).append('\n');
    out.append("  DATABRICKS_WORKSPACE_URL=").append(emulator.workspaceUrl()).append('\n');
    out.append("  DATABRICKS_CLIENT_ID=").append(emulator.clientId()).append('\n');
    out.append("  DATABRICKS_CLIENT_SECRET=").append(secret).append('\n');
    out.append("Java SDK: new ZerobusSdk(\"").append(emulator.zerobusEndpoint()).append("\", \"")
        .append(emulator.workspaceUrl()).append("\")\n");
    if (emulator.adminUrl() != null) {
      out.append("Admin API: ").append(emulator.adminUrl()).append("  (GET /tables, GET /tables/{table}/rows, POST /faults/...)\n");
    }
    if (emulator.discard()) {
      out.append("Discard mode: records are acknowledged unread and counted, never written"
          + " (GET /tables: discarded_records)\n");
    }
    out.append("Tables land in ").append(emulator.dataDir().toAbsolutePath()).append(" as <catalog.schema.table>.jsonl");
    return out.toString();
  }
}
