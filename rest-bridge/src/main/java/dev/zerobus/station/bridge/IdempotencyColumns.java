package dev.zerobus.station.bridge;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor.JavaType;
import dev.zerobus.station.core.encode.RecordEncoder.Batch;
import dev.zerobus.station.core.errors.ConfigException;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.LoggerFactory;

/**
 * The idempotency aid: in tables that have the columns, each record gets the request's id
 * (Idempotency-Key, else X-Request-Id, else a new UUID) and its index in the request, so a retried
 * request's rows can be told from the first attempt's and deduplicated downstream. The fields are
 * appended to the encoded record the way the connector adds its Kafka metadata (protobuf lets a
 * later field win), so a record's own value for these columns is overwritten.
 */
final class IdempotencyColumns {
  static final HttpString IDEMPOTENCY_KEY = HttpString.tryFromString("Idempotency-Key");
  static final int MAX_KEY_LENGTH = 255;

  private final EdgeSettings edge;
  /** Per table key: the columns its schema version has (either may be null). */
  private final Map<String, Columns> columns = new ConcurrentHashMap<>();

  private record Columns(int schemaVersion, String id, String index) {}

  /** @throws ConfigException for a table whose column of one of these names has a type that cannot hold it */
  IdempotencyColumns(TableRegistry registry, EdgeSettings edge) {
    this.edge = edge;
    for (TableDefinition t : registry.tables()) {
      columns.put(t.key(), columnsOf(t));
    }
  }

  private Columns columnsOf(TableDefinition t) {
    return new Columns(t.schemaVersion(), column(t, edge.requestIdColumn(), JavaType.STRING, "a STRING"),
        column(t, edge.recordIndexColumn(), null, "an INT or BIGINT"));
  }

  /** The columns of the table's schema version: looked at again when columns were added while running. */
  private Columns columns(TableDefinition t) {
    Columns c = columns.get(t.key());
    if (c.schemaVersion() == t.schemaVersion()) {
      return c;
    }
    try {
      c = columnsOf(t);
    } catch (ConfigException e) {
      LoggerFactory.getLogger(IdempotencyColumns.class).warn("{}; not filled", e.getMessage());
      c = new Columns(t.schemaVersion(), null, null);
    }
    columns.put(t.key(), c);
    return c;
  }

  /** The request id to write, or null after answering 400 for an Idempotency-Key that is too long. */
  static String requestId(HttpServerExchange exchange) {
    String key = exchange.getRequestHeaders().getFirst(IDEMPOTENCY_KEY);
    if (key == null || key.isBlank()) {
      return exchange.getAttachment(Edge.REQUEST_ID);
    }
    if (key.length() > MAX_KEY_LENGTH) {
      Json.error(exchange, 400, "Validation error: the Idempotency-Key header has " + key.length()
          + " characters, at most " + MAX_KEY_LENGTH + " are allowed");
      return null;
    }
    return key;
  }

  /** The batch's records, with the columns filled in if the table has them. */
  List<byte[]> fill(TableDefinition table, Batch batch, String requestId) throws EncodeException {
    Columns cols = columns(table);
    if (cols.id() == null && cols.index() == null) {
      return batch.records();
    }
    List<byte[]> out = new ArrayList<>(batch.records().size());
    for (int i = 0; i < batch.records().size(); i++) {
      byte[] record = batch.records().get(i);
      Map<String, Object> extra = new LinkedHashMap<>();
      if (cols.id() != null) {
        extra.put(cols.id(), requestId);
      }
      if (cols.index() != null) {
        extra.put(cols.index(), batch.position(i));
      }
      byte[] tail = table.encoder().encodeFields(extra);
      byte[] joined = new byte[record.length + tail.length];
      System.arraycopy(record, 0, joined, 0, record.length);
      System.arraycopy(tail, 0, joined, record.length, tail.length);
      out.add(joined);
    }
    return out;
  }

  /** The column if the table has it with a fitting type; a table with the name but another type is a config error. */
  private static String column(TableDefinition t, String name, JavaType type, String expected) {
    if (name == null || name.isEmpty()) {
      return null;
    }
    FieldDescriptor f = t.descriptor().findFieldByName(name);
    if (f == null) {
      return null;
    }
    boolean fits = type != null ? f.getJavaType() == type
        : f.getJavaType() == JavaType.INT || f.getJavaType() == JavaType.LONG;
    if (!fits || f.isRepeated()) {
      throw new ConfigException("table " + t.key() + ": column " + name + " is filled by the bridge and must be "
          + expected + ", not " + (f.isRepeated() ? "repeated " : "") + f.getType());
    }
    return name;
  }
}
