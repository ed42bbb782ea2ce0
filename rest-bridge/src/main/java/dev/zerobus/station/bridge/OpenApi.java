package dev.zerobus.station.bridge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.DeltaType;
import dev.zerobus.station.core.TableDefinition;
import dev.zerobus.station.core.TableRegistry;

/**
 * The OpenAPI 3 document of this bridge, built from the configured tables: one ingest path per
 * table with a JSON Schema of its records derived from the protobuf descriptor.
 */
final class OpenApi {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private OpenApi() {}

  static ObjectNode document(TableRegistry registry, String version, boolean auth, boolean strictFields) {
    ObjectNode doc = NODES.objectNode();
    doc.put("openapi", "3.0.3");
    doc.putObject("info").put("title", "Zerobus Station").put("version", version)
        .put("description", "Ingest JSON into Databricks tables through Zerobus. One record per request, a JSON array,"
            + " or NDJSON (application/x-ndjson); wait_for_ack=true answers once Zerobus has made the records durable.");
    ObjectNode paths = doc.putObject("paths");
    ObjectNode components = doc.putObject("components");
    ObjectNode schemas = components.putObject("schemas");
    schemas.set("Error", object()
        .put("description", "Every error: the seed service's shape, sometimes with details")
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
    if (auth) {
      components.putObject("securitySchemes").putObject("bearer").put("type", "http").put("scheme", "bearer");
    }

    get(paths, "/", "Service information: tables and their endpoints", null);
    get(paths, "/health", "Liveness, and the tables with an open stream", null);
    get(paths, "/ready", "200 when a token can be fetched and a stream opened for every table, else 503", null);
    get(paths, "/metrics", "Prometheus metrics (text format)", null);
    for (TableDefinition t : registry.tables()) {
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
      content.putObject("application/x-ndjson").putObject("schema").put("type", "string")
          .put("description", "One " + schemaName + " JSON object per line");
      ObjectNode responses = op.putObject("responses");
      responses.set("200", response("Accepted (or durable, with wait_for_ack=true)", "IngestResult"));
      errors(responses, "400", "A record is invalid; the message names the field", "404", "Unknown table",
          "413", "Body too large", "415", "Content-Type is not JSON or NDJSON",
          "429", "The table's queue is full; retry after Retry-After seconds",
          "500", "Zerobus refused the records (not retryable)",
          "503", "No usable stream right now (opening or recovering); retry after Retry-After seconds",
          "504", "No ack within the timeout; the records may still land");
      if (auth) {
        errors(responses, "401", "Missing or unknown bearer token", "403", "The token may not write this table");
        op.putArray("security").addObject().putArray("bearer");
      }

      ObjectNode flush = paths.putObject("/flush/" + t.key()).putObject("post");
      flush.put("summary", "Wait until everything sent to " + t.tableName() + " so far is durable");
      ObjectNode flushResponses = flush.putObject("responses");
      flushResponses.set("200", response("Flushed (status success), or no stream was ever opened (status no_active_stream)", null));
      errors(flushResponses, "404", "Unknown table", "504", "Not durable within the timeout");
      get(paths, "/health/" + t.key(), "The stream state and counters of " + t.tableName(), null);
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
    return column.openApi();
  }

  private static void get(ObjectNode paths, String path, String summary, String schema) {
    ObjectNode op = paths.putObject(path).putObject("get");
    op.put("summary", summary);
    op.putObject("responses").set("200", response("OK", schema));
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

  private static void errors(ObjectNode responses, String... codeThenDescription) {
    for (int i = 0; i < codeThenDescription.length; i += 2) {
      responses.set(codeThenDescription[i], response(codeThenDescription[i + 1], "Error"));
    }
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
