package dev.zerobus.station.emulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.zerobus.station.emulator.ColumnType.ArrayOf;
import dev.zerobus.station.emulator.ColumnType.Column;
import dev.zerobus.station.emulator.ColumnType.DecimalOf;
import dev.zerobus.station.emulator.ColumnType.MapOf;
import dev.zerobus.station.emulator.ColumnType.Primitive;
import dev.zerobus.station.emulator.ColumnType.StructOf;
import dev.zerobus.station.emulator.HttpJson.Failure;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Unity Catalog's {@code GET /api/2.1/unity-catalog/tables/{full_name}} for the emulator's tables,
 * declared or created by a stream: columns with name, type_name, type_text, type_json, type_precision,
 * type_scale, nullable and position, as the real service answers (precision and scale are a DECIMAL's,
 * 0 for other types). The bearer token is checked as on the ingest endpoint:
 * unknown or expired is 401, a token scoped to another table is 403.
 */
final class CatalogApi implements HttpJson.Handler {
  static final String PATH = "/api/2.1/unity-catalog/tables/";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final TokenIssuer tokens;
  private final TableCatalog catalog;

  CatalogApi(TokenIssuer tokens, TableCatalog catalog) {
    this.tokens = tokens;
    this.catalog = catalog;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException, Failure {
    HttpJson.requireMethod(exchange, "GET");
    String raw = exchange.getRequestURI().getRawPath().substring(PATH.length());
    String name = URLDecoder.decode(raw, StandardCharsets.UTF_8);
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new Failure(401, "UNAUTHENTICATED", "Authorization: Bearer <token> is required");
    }
    TokenIssuer.Grant grant = tokens.check(header.substring(7).trim());
    if (grant == null) {
      throw new Failure(401, "UNAUTHENTICATED", "the bearer token is unknown or expired");
    }
    if (grant.table() != null && !grant.table().equals(TableCatalog.normalize(name))) {
      throw new Failure(403, "PERMISSION_DENIED", "the token was issued for table " + grant.table() + ", not " + name);
    }
    LandedTable table = catalog.table(name);
    if (table == null || table.schema() == null) {
      throw new Failure(404, "TABLE_DOES_NOT_EXIST", "Table '" + name + "' does not exist"
          + (table == null ? "." : " yet: no stream has given it a schema."));
    }
    HttpJson.send(exchange, 200, info(table.name(), table.schema()));
  }

  /** The table-info answer. */
  static ObjectNode info(String fullName, TableSchema schema) {
    String[] parts = fullName.split("\\.");
    ObjectNode out = NODES.objectNode();
    out.put("name", parts[2]).put("catalog_name", parts[0]).put("schema_name", parts[1]).put("full_name", fullName)
        .put("table_type", "MANAGED").put("data_source_format", "DELTA");
    ArrayNode columns = out.putArray("columns");
    int position = 0;
    for (Column c : schema.columns()) {
      ObjectNode field = NODES.objectNode().put("name", c.name());
      field.set("type", sparkType(c.type()));
      field.put("nullable", c.nullable()).putObject("metadata");
      DecimalOf decimal = c.type() instanceof DecimalOf d ? d : null;
      columns.addObject()
          .put("name", c.name())
          .put("type_name", typeName(c.type()))
          .put("type_text", typeText(c.type()))
          .put("type_json", field.toString())
          .put("type_precision", decimal == null ? 0 : decimal.precision())
          .put("type_scale", decimal == null ? 0 : decimal.scale())
          .put("nullable", c.nullable())
          .put("position", position++);
    }
    return out;
  }

  /** Spark's JSON for a type: a name for scalars, an object for ARRAY, MAP and STRUCT. */
  private static com.fasterxml.jackson.databind.JsonNode sparkType(ColumnType t) {
    if (t instanceof Primitive p) {
      return NODES.textNode(p.sparkName);
    }
    if (t instanceof DecimalOf d) {
      return NODES.textNode(d.sparkName());
    }
    ObjectNode o = NODES.objectNode();
    if (t instanceof ArrayOf a) {
      o.put("type", "array").set("elementType", sparkType(a.element()));
      o.put("containsNull", true);
    } else if (t instanceof MapOf m) {
      o.put("type", "map").set("keyType", sparkType(m.key()));
      o.set("valueType", sparkType(m.value()));
      o.put("valueContainsNull", true);
    } else if (t instanceof StructOf s) {
      o.put("type", "struct");
      ArrayNode fields = o.putArray("fields");
      for (Column f : s.fields()) {
        ObjectNode field = fields.addObject().put("name", f.name());
        field.set("type", sparkType(f.type()));
        field.put("nullable", f.nullable()).putObject("metadata");
      }
    }
    return o;
  }

  private static String typeName(ColumnType t) {
    return t instanceof Primitive p ? p.typeName : t instanceof DecimalOf ? "DECIMAL" : t instanceof ArrayOf ? "ARRAY"
        : t instanceof MapOf ? "MAP" : "STRUCT";
  }

  /** type_text as the service writes it: lower case, no spaces after colons. */
  private static String typeText(ColumnType t) {
    if (t instanceof Primitive p) {
      return p.name().toLowerCase(Locale.ROOT);
    }
    if (t instanceof DecimalOf d) {
      return d.sparkName();
    }
    if (t instanceof ArrayOf a) {
      return "array<" + typeText(a.element()) + ">";
    }
    if (t instanceof MapOf m) {
      return "map<" + typeText(m.key()) + "," + typeText(m.value()) + ">";
    }
    StringBuilder out = new StringBuilder("struct<");
    for (Column f : ((StructOf) t).fields()) {
      out.append(out.length() > 7 ? "," : "").append(f.name()).append(':').append(typeText(f.type()))
          .append(f.nullable() ? "" : " not null");
    }
    return out.append('>').toString();
  }
}
