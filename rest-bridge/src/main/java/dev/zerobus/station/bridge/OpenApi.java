package dev.zerobus.station.bridge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.schema.DeltaType;
import dev.zerobus.station.core.table.TableDefinition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The OpenAPI 3 document of this bridge, built from the configured tables: one ingest path per
 * table with a JSON Schema of its records derived from the protobuf descriptor.
 */
final class OpenApi {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final String LICENSE = "Apache-2.0";
  static final String LICENSE_URL = "https://www.apache.org/licenses/LICENSE-2.0";

  private OpenApi() {}

  /**
   * @param tables the tables to describe: all of them, or none for a caller without a token when
   *     tokens are on (table names and columns are for callers with one)
   */
  static ObjectNode document(Collection<TableDefinition> tables, String version, boolean auth, boolean strictFields) {
    ObjectNode doc = NODES.objectNode();
    doc.put("openapi", "3.0.3");
    ObjectNode info = doc.putObject("info").put("title", "Zerobus Station").put("version", version)
        .put("description", "Ingest JSON into Databricks tables through Zerobus. One record per request, a JSON array,"
            + " or NDJSON (application/x-ndjson), optionally gzip-compressed; wait_for_ack=true answers once Zerobus"
            + " has made the records durable. Every error answer is JSON: {\"error\": ..., \"status_code\": ...}.");
    info.putObject("license").put("name", LICENSE).put("url", LICENSE_URL);
    doc.putArray("servers").addObject().put("url", "/").put("description", "This bridge");
    ObjectNode paths = doc.putObject("paths");
    ObjectNode components = doc.putObject("components");
    ObjectNode schemas = components.putObject("schemas");
    schemas.set("Error", object()
        .put("description", "Every error: the seed service's shape, sometimes with details")
        .<ObjectNode>set("required", NODES.arrayNode().add("error").add("status_code"))
        .set("properties", NODES.objectNode()
            .<ObjectNode>set("error", type("string"))
            .<ObjectNode>set("status_code", type("integer"))
            .<ObjectNode>set("rejected", NODES.objectNode().put("type", "array").set("items", ref("Rejection")))));
    schemas.set("Rejection", object().set("properties", NODES.objectNode()
        .<ObjectNode>set("index", type("integer"))
        .<ObjectNode>set("field", type("string"))
        .<ObjectNode>set("error", type("string"))));
    schemas.set("IngestResult", object().set("properties", NODES.objectNode()
        .<ObjectNode>set("status", NODES.objectNode().put("type", "string").set("enum", NODES.arrayNode().add("success").add("partial")))
        .<ObjectNode>set("table", type("string"))
        .<ObjectNode>set("message", type("string"))
        .<ObjectNode>set("wait_for_ack", type("boolean"))
        .<ObjectNode>set("records", type("integer"))
        .<ObjectNode>set("offset", NODES.objectNode().put("type", "integer").put("description", "Zerobus stream offset of the SDK call"))
        .<ObjectNode>set("durable", type("boolean"))
        .<ObjectNode>set("rejected", NODES.objectNode().put("type", "array").set("items", ref("Rejection")))));
    ObjectNode shared = components.putObject("responses");
    for (String[] r : new String[][] {{"400", "A record is invalid (the message names the table and field), or a query"
        + " parameter is"}, {"401", "Missing or unknown bearer token"}, {"403", "The token may not use this table, or the request's"
        + " Origin (or, on loopback, its Host) is not allowed"},
        {"408", "The body did not arrive within the body read timeout"},
        {"404", "No such table or path"}, {"413", "Body too large (after gzip inflation)"},
        {"415", "Content-Type is missing or not JSON or NDJSON, or Content-Encoding is not gzip"},
        {"429", "The table's queue is full; retry after Retry-After seconds"},
        {"431", "Request headers too large"},
        {"422", "Zerobus refused records at ingest (with wait_for_ack=true): refused lists them, the others landed"},
        {"500", "An unforeseen failure; the bridge's log has the details"},
        {"503", "No usable stream right now, the bridge holds its maximum of request bodies, or it is shutting down;"
        + " retry after Retry-After seconds"},
        {"504", "No ack within the timeout; the records may still land"}}) {
      shared.set("E" + r[0], response(r[1], "Error"));
    }
    if (auth) {
      components.putObject("securitySchemes").putObject("bearer").put("type", "http").put("scheme", "bearer");
    }

    get(paths, "/", "service", "Service information: tables and their endpoints", false, auth);
    get(paths, "/health", "health", "Liveness (always 200 while the process answers): healthy, degraded or unhealthy,"
        + " the tables with an open stream and the failing ones (with tokens on, a caller without one gets the status"
        + " only)", true, false);
    get(paths, "/ready", "ready", "200 when a token can be fetched and a stream opened for every table, else 503 (with"
        + " tokens on, a caller without one gets the status only)", true, false);
    get(paths, "/metrics", "metrics", "Prometheus metrics (text format)", false, auth);
    get(paths, "/openapi.json", "openapi", "This document (with tokens on, the tables' paths only for a caller with"
        + " one)", false, false);
    get(paths, "/docs", "docs", "Swagger UI for this document", false, false);
    for (TableDefinition t : tables) {
      String schemaName = t.key();
      schemas.set(schemaName, messageSchema(t.descriptor(), t, strictFields)
          .put("description", "A row of " + t.tableName()));
      ObjectNode op = paths.putObject("/ingest/" + t.key()).putObject("post");
      op.put("summary", "Ingest records into " + t.tableName()).put("operationId", "ingest_" + t.key());
      ArrayNode params = op.putArray("parameters");
      params.add(queryParam("wait_for_ack", "boolean", "Answer once Zerobus has made the records durable (default false)"));
      params.add(queryParam("accept_partial", "boolean", "Ingest the valid records of a batch and report the invalid ones"
          + " (default: refuse the whole batch)"));
      ObjectNode content = op.putObject("requestBody").put("required", true).putObject("content");
      content.putObject("application/json").set("schema", NODES.objectNode().set("oneOf", NODES.arrayNode()
          .add(ref(schemaName)).add(NODES.objectNode().put("type", "array").set("items", ref(schemaName)))));
      params.add(headerParam("Idempotency-Key", "Written to the table's request-id column, if it has one, for"
          + " deduplicating retries (default: X-Request-Id, else a new UUID)"));
      content.putObject("application/x-ndjson").putObject("schema").put("type", "string")
          .put("description", "One " + schemaName + " JSON object per line");
      ObjectNode responses = op.putObject("responses");
      responses.set("200", response("Accepted (or durable, with wait_for_ack=true)", "IngestResult"));
      errors(responses, auth, "400", "403", "404", "408", "413", "415", "422", "429", "431", "500", "503", "504");
      if (auth) {
        op.putArray("security").addObject().putArray("bearer");
      }

      ObjectNode flush = paths.putObject("/flush/" + t.key()).putObject("post");
      flush.put("summary", "Wait until everything sent to " + t.tableName() + " so far is durable")
          .put("operationId", "flush_" + t.key());
      ObjectNode flushResponses = flush.putObject("responses");
      flushResponses.set("200", response("Flushed (status success), or no stream was ever opened (status no_active_stream)", null));
      errors(flushResponses, auth, "400", "403", "404", "415", "431", "500", "503", "504");
      if (auth) {
        flush.putArray("security").addObject().putArray("bearer");
      }
      get(paths, "/health/" + t.key(), "table_health_" + t.key(), "The stream state and counters of " + t.tableName(),
          true, auth);
    }
    return doc;
  }

  private static ObjectNode messageSchema(Descriptor d, TableDefinition table, boolean strict) {
    ObjectNode schema = object();
    ObjectNode properties = schema.putObject("properties");
    ArrayNode required = NODES.arrayNode();
    for (FieldDescriptor f : d.getFields()) {
      ObjectNode field;
      if (f.isMapField()) {
        field = object().set("additionalProperties", valueSchema(f.getMessageType().findFieldByNumber(2), table, strict));
      } else if (f.isRepeated()) {
        field = NODES.objectNode().put("type", "array").set("items", valueSchema(f, table, strict));
      } else {
        field = valueSchema(f, table, strict);
      }
      properties.set(f.getName(), field);
      if (f.isRequired()) {
        required.add(f.getName());
      }
    }
    if (!required.isEmpty()) {
      schema.set("required", required);
    }
    schema.put("additionalProperties", !strict);
    return schema;
  }

  /** One value's schema: a nested message's, or its column type's from core's type table. */
  static ObjectNode valueSchema(FieldDescriptor f, TableDefinition table, boolean strict) {
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      return messageSchema(f.getMessageType(), table, strict);
    }
    DeltaType column = table != null ? table.columnType(f) : DeltaType.ofProto(f.toProto().getType());
    return column == DeltaType.DECIMAL ? table.decimal(f).openApi() : column.openApi();
  }

  /**
   * A GET (and, for health routes, HEAD) operation: 200, or the errors any route can give.
   *
   * @param auth a bearer token is needed (with tokens on, everything but liveness and readiness)
   */
  private static void get(ObjectNode paths, String path, String operationId, String summary, boolean head,
      boolean auth) {
    ObjectNode item = paths.putObject(path);
    for (String method : head ? new String[] {"get", "head"} : new String[] {"get"}) {
      ObjectNode op = item.putObject(method);
      op.put("summary", method.equals("head") ? summary + " (headers only)" : summary)
          .put("operationId", method.equals("head") ? "head_" + operationId : operationId);
      ObjectNode responses = op.putObject("responses");
      responses.set("200", response("OK", null));
      errors(responses, auth, path.startsWith("/health/") ? new String[] {"404", "431", "503"} : new String[] {"431", "503"});
      if (auth) {
        op.putArray("security").addObject().putArray("bearer");
      }
    }
  }

  private static ObjectNode headerParam(String name, String description) {
    ObjectNode p = NODES.objectNode().put("name", name).put("in", "header").put("required", false)
        .put("description", description);
    p.set("schema", type("string"));
    return p;
  }

  private static ObjectNode queryParam(String name, String type, String description) {
    ObjectNode p = NODES.objectNode().put("name", name).put("in", "query").put("required", false)
        .put("description", description);
    p.set("schema", type(type));
    return p;
  }

  private static ObjectNode response(String description, String schema) {
    ObjectNode r = NODES.objectNode().put("description", description);
    if (schema != null) {
      r.putObject("content").putObject("application/json").set("schema", ref(schema));
    }
    return r;
  }

  /** References to the shared error answers, plus 401 and 403 when auth is on. */
  private static void errors(ObjectNode responses, boolean auth, String... codes) {
    List<String> all = new ArrayList<>(List.of(codes));
    if (auth) {
      all.addAll(List.of("401", "403"));
    }
    all.stream().sorted().forEach(code -> responses.set(code,
        NODES.objectNode().put("$ref", "#/components/responses/E" + code)));
  }

  private static ObjectNode object() {
    return NODES.objectNode().put("type", "object");
  }

  private static ObjectNode type(String type) {
    return NODES.objectNode().put("type", type);
  }

  private static ObjectNode ref(String schema) {
    return NODES.objectNode().put("$ref", "#/components/schemas/" + schema);
  }
}
