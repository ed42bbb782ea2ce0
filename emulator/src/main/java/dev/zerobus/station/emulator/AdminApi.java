package dev.zerobus.station.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import dev.zerobus.station.emulator.HttpJson.Failure;
import io.grpc.Status;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The emulator's admin HTTP API, on its own port: read landed tables, reset, inject faults.
 * Routes are listed by {@code GET /}.
 */
final class AdminApi implements HttpJson.Handler {
  private static final int DEFAULT_LIMIT = 1000;
  private static final int MAX_LIMIT = 1_000_000;

  private final ZerobusEmulator emulator;

  AdminApi(ZerobusEmulator emulator) {
    this.emulator = emulator;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException, Failure {
    String path = exchange.getRequestURI().getPath().replaceAll("/+$", "");
    String[] parts = path.isEmpty() ? new String[0] : path.substring(1).split("/");
    String first = parts.length == 0 ? "" : parts[0];
    switch (first) {
      case "":
        HttpJson.requireMethod(exchange, "GET");
        HttpJson.send(exchange, 200, index());
        return;
      case "health":
        HttpJson.requireMethod(exchange, "GET");
        HttpJson.send(exchange, 200, Map.of("status", "ok"));
        return;
      case "tables":
        tables(exchange, parts);
        return;
      case "streams":
        HttpJson.requireMethod(exchange, "GET");
        List<Object> streams = new ArrayList<>();
        emulator.service().streams(null).forEach(s -> streams.add(s.describe()));
        HttpJson.send(exchange, 200, streams);
        return;
      case "reset":
        HttpJson.requireMethod(exchange, "POST");
        emulator.reset();
        HttpJson.send(exchange, 200, Map.of("status", "reset"));
        return;
      case "faults":
        faults(exchange, parts);
        return;
      default:
        throw new Failure(404, "not_found", "no route " + path + "; GET / lists the routes");
    }
  }

  private Map<String, Object> index() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("service", "zerobus-emulator");
    out.put("zerobus_endpoint", emulator.zerobusEndpoint());
    out.put("workspace_url", emulator.workspaceUrl());
    out.put("client_id", emulator.clientId());
    out.put("discard", emulator.discard());
    out.put("max_tables", emulator.maxTables());
    out.put("routes", List.of(
        "GET /health",
        "GET /tables",
        "GET /tables/{table}",
        "GET /tables/{table}/rows?from=0&limit=1000[&format=ndjson]",
        "POST /tables/{table}/columns {add: \"col TYPE, ...\"} or {drop: \"col, ...\"}",
        "GET /streams",
        "POST /reset",
        "GET /faults",
        "DELETE /faults",
        "POST /faults/drop-stream {table, after_records}",
        "POST /faults/delay-acks {table, delay_ms}",
        "POST /faults/withhold-acks {table}",
        "POST /faults/release-acks {table}",
        "POST /faults/refuse-streams {table, code, message, times}",
        "POST /faults/reject-records {table, field, value} or {table, every}",
        "POST /faults/fail-token {status, times}",
        "POST /faults/close-signal {table, duration_ms}",
        "POST /faults/restart {downtime_ms}"));
    return out;
  }

  private void tables(HttpExchange exchange, String[] parts) throws IOException, Failure {
    boolean columns = parts.length == 3 && parts[2].equals("columns");
    if (parts.length > 3 || parts.length == 3 && !columns && !parts[2].equals("rows")) {
      throw new Failure(404, "not_found", "no route " + exchange.getRequestURI().getPath());
    }
    HttpJson.requireMethod(exchange, columns ? "POST" : "GET");
    if (columns) {
      alterColumns(exchange, parts[1]);
      return;
    }
    if (parts.length == 1) {
      List<Object> out = new ArrayList<>();
      for (LandedTable t : emulator.catalog().tables()) {
        out.add(describe(t));
      }
      HttpJson.send(exchange, 200, out);
      return;
    }
    LandedTable table = emulator.catalog().table(parts[1]);
    if (table == null) {
      throw new Failure(404, "not_found", "no table " + parts[1]);
    }
    if (parts.length == 2) {
      HttpJson.send(exchange, 200, describe(table));
    } else {
      rows(exchange, table);
    }
  }

  private static void rows(HttpExchange exchange, LandedTable table) throws IOException, Failure {
    Map<String, String> query = HttpJson.form(exchange.getRequestURI().getRawQuery());
    long from = number(query, "from", 0, Long.MAX_VALUE);
    int limit = (int) number(query, "limit", DEFAULT_LIMIT, MAX_LIMIT);
    List<String> lines = table.readLines(from, limit);
    if ("ndjson".equals(query.get("format"))) {
      HttpJson.sendNdjson(exchange, lines);
      return;
    }
    List<JsonNode> rows = new ArrayList<>(lines.size());
    for (String line : lines) {
      rows.add(HttpJson.MAPPER.readTree(line));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("table", table.name());
    out.put("total", table.rowCount());
    out.put("from", from);
    out.put("rows", rows);
    HttpJson.send(exchange, 200, out);
  }

  /** ALTER TABLE … ADD COLUMNS / DROP COLUMNS; answers the columns after it as the Unity Catalog API shows them. */
  private void alterColumns(HttpExchange exchange, String tableName) throws IOException, Failure {
    if (emulator.catalog().table(tableName) == null) {
      throw new Failure(404, "not_found", "no table " + tableName);
    }
    ColumnChange change;
    try {
      change = ColumnChange.of(HttpJson.jsonBody(exchange));
    } catch (IllegalArgumentException bad) {
      throw new Failure(400, "invalid_request", bad.getMessage());
    }
    TableSchema after;
    try {
      after = emulator.catalog().alter(tableName, change);
    } catch (ColumnChange.Conflict conflict) {
      throw new Failure(409, "conflict", conflict.getMessage());
    }
    if (after == null) {
      throw new Failure(404, "not_found", "no table " + tableName);
    }
    HttpJson.send(exchange, 200, CatalogApi.info(TableCatalog.normalize(tableName), after));
  }

  private static Map<String, Object> describe(LandedTable t) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", t.name());
    out.put("rows", t.rowCount());
    out.put("discarded_records", t.discardedCount());
    out.put("declared", t.declared());
    out.put("columns", t.schema() == null ? null : t.schema().sql());
    out.put("file", t.file().toString());
    return out;
  }

  private void faults(HttpExchange exchange, String[] parts) throws IOException, Failure {
    Faults faults = emulator.faults();
    if (parts.length == 1) {
      HttpJson.requireMethod(exchange, "GET", "DELETE");
      if (exchange.getRequestMethod().equalsIgnoreCase("DELETE")) {
        faults.clear();
      }
      HttpJson.send(exchange, 200, faults.describe());
      return;
    }
    HttpJson.requireMethod(exchange, "POST");
    JsonNode body = HttpJson.jsonBody(exchange);
    String table = body.path("table").asText(Faults.ANY_TABLE);
    Map<String, Object> answer = new LinkedHashMap<>();
    switch (parts[1]) {
      case "drop-stream":
        faults.dropStreamAfter(table, required(body, "after_records"));
        break;
      case "delay-acks":
        faults.delayAcks(table, Duration.ofMillis(required(body, "delay_ms")));
        break;
      case "withhold-acks":
        faults.withholdAcks(table);
        break;
      case "release-acks":
        faults.releaseAcks(table);
        break;
      case "refuse-streams":
        String code = body.path("code").asText("UNAVAILABLE").toUpperCase(Locale.ROOT);
        Status.Code status;
        try {
          status = Status.Code.valueOf(code);
        } catch (IllegalArgumentException e) {
          throw new Failure(400, "invalid_request", "code must be a gRPC status name such as UNAVAILABLE, got " + code);
        }
        faults.refuseStreams(table, status, body.path("message").asText("emulator fault injection: stream refused"),
            body.path("times").asInt(1));
        break;
      case "reject-records":
        if (emulator.discard()) {
          throw new Failure(400, "invalid_request",
              "reject-records needs decoded rows; this emulator runs with --discard and decodes none");
        }
        rejectRecords(faults, table, body);
        break;
      case "fail-token":
        int http = body.path("status").asInt(500);
        if (http < 400 || http > 599) {
          throw new Failure(400, "invalid_request", "status must be an HTTP error status (400-599), got " + http);
        }
        faults.failTokenRequests(http, body.path("times").asInt(1));
        break;
      case "close-signal":
        answer.put("streams_signalled",
            emulator.sendCloseSignal(table, Duration.ofMillis(body.path("duration_ms").asLong(0))));
        break;
      case "restart":
        emulator.restart(Duration.ofMillis(body.path("downtime_ms").asLong(0)));
        answer.put("restarted", true);
        break;
      default:
        throw new Failure(404, "not_found", "no fault " + parts[1] + "; GET / lists the routes");
    }
    answer.put("faults", faults.describe());
    HttpJson.send(exchange, 200, answer);
  }

  private static void rejectRecords(Faults faults, String table, JsonNode body) throws Failure {
    JsonNode field = body.get("field");
    JsonNode value = body.get("value");
    JsonNode every = body.get("every");
    boolean byValue = field != null || value != null;
    if (byValue == (every != null)) {
      throw new Failure(400, "invalid_request", "reject-records takes {table, field, value} or {table, every}");
    }
    if (every != null) {
      if (!every.canConvertToLong() || every.asLong() < 1) {
        throw new Failure(400, "invalid_request", "'every' must be a positive integer, got " + every);
      }
      faults.rejectEveryNth(table, every.asLong());
      return;
    }
    if (field == null || !field.isTextual() || field.asText().isBlank() || value == null || value.isContainerNode()) {
      throw new Failure(400, "invalid_request",
          "reject-records needs 'field' (a column name) and 'value' (a string, number, boolean or null)");
    }
    // A JSON string is compared by its text, anything else by its JSON text: 1000 and "1000" both match 1000.
    faults.rejectRecords(table, field.asText(), value.isTextual() ? value.asText() : value.toString());
  }

  private static long required(JsonNode body, String field) throws Failure {
    JsonNode v = body.get(field);
    if (v == null || !v.canConvertToLong() || v.asLong() < 0) {
      throw new Failure(400, "invalid_request", "'" + field + "' must be a non-negative integer");
    }
    return v.asLong();
  }

  private static long number(Map<String, String> query, String name, long dflt, long max) throws Failure {
    String v = query.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      long n = Long.parseLong(v);
      if (n < 0 || n > max) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new Failure(400, "invalid_request", "'" + name + "' must be an integer from 0 to " + max + ", got " + v);
    }
  }
}
