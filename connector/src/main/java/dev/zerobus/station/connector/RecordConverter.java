package dev.zerobus.station.connector;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.zerobus.station.connector.ZerobusSinkConfig.MetadataKind;
import dev.zerobus.station.connector.ZerobusSinkConfig.ValueFormat;
import dev.zerobus.station.core.encode.RecordEncoder;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.schema.LogicalType;
import dev.zerobus.station.core.table.TableDefinition;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * A Kafka record's value as protobuf bytes for its table, through core's encoder. Takes every
 * form converters produce: Struct with a schema (JSON with schemas, Avro, Protobuf, JSON Schema),
 * schemaless Map, String holding JSON, and byte[] holding JSON or already-encoded protobuf.
 * Connect's logical types arrive as java.util.Date (Timestamp, Date) and BigDecimal (Decimal),
 * which the encoder writes as TIMESTAMP micros, DATE days, and numbers or decimal strings; Time
 * becomes milliseconds since midnight.
 */
final class RecordConverter {
  private final ValueFormat format;
  private final Map<MetadataKind, String> metadataColumns;
  private final boolean rejectMapIntegers;
  private final boolean failEmpty;
  private final Consumer<String> emptySeen;
  /** Per table key, the metadata columns of one schema version (columns may be added while running). */
  private final Map<String, TableMetadata> metadataByTable = new ConcurrentHashMap<>();

  private record TableMetadata(int schemaVersion, List<MetadataColumn> columns) {}

  /** A metadata column the table really has. */
  private record MetadataColumn(MetadataKind kind, FieldDescriptor field, LogicalType logical) {}

  /** Takes integers in Map values and lands empty values (for tests of the encoding alone). */
  RecordConverter(ValueFormat format, Map<MetadataKind, String> metadataColumns) {
    this(format, metadataColumns, false, false, table -> { });
  }

  /**
   * @param rejectMapIntegers refuse Map values holding integers: they come from JsonConverter with
   *     schemas.enable=false, which wraps integers beyond 64 bits into wrong numbers without an error
   * @param failEmpty refuse values that set no column (such as {@code {}}) instead of landing an all-NULL row
   * @param emptySeen told the table of every value that sets no column
   */
  RecordConverter(ValueFormat format, Map<MetadataKind, String> metadataColumns, boolean rejectMapIntegers,
      boolean failEmpty, Consumer<String> emptySeen) {
    this.format = format;
    this.metadataColumns = Map.copyOf(metadataColumns);
    this.rejectMapIntegers = rejectMapIntegers;
    this.failEmpty = failEmpty;
    this.emptySeen = emptySeen;
  }

  /** @throws EncodeException naming the table and field when the value does not fit the table */
  byte[] convert(SinkRecord record, TableDefinition table) throws EncodeException {
    RecordEncoder encoder = table.encoder();
    List<MetadataColumn> metadata = metadata(table);
    Object value = record.value();
    if (value instanceof Struct struct) {
      Map<String, Object> map = structToMap(struct);
      checkEmpty(noValues(map), table);
      addMetadata(map, metadata, record);
      return encoder.encodeValue(map);
    }
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> map = plainMap(m);
      if (rejectMapIntegers) {
        checkNoIntegers(map, null, table);
      }
      checkEmpty(noValues(map), table);
      if (!metadata.isEmpty()) {
        map = new LinkedHashMap<>(map);
        addMetadata(map, metadata, record);
      }
      return encoder.encodeValue(map);
    }
    byte[] encoded;
    if (value instanceof String s) {
      if (format == ValueFormat.PROTOBUF) {
        throw new EncodeException(table.key(), null, "value.format is protobuf but the value is a String");
      }
      encoded = encoder.encode(s.getBytes(StandardCharsets.UTF_8));
    } else if (value instanceof byte[] || value instanceof ByteBuffer) {
      byte[] bytes = bytes(value);
      encoded = isJson(bytes) ? encoder.encode(bytes) : checkProtobuf(bytes, table);
    } else {
      throw new EncodeException(table.key(), null, "cannot write a value of type "
          + (value == null ? "null" : value.getClass().getName())
          + " (expected Struct, Map, String or byte[]; check the worker's value.converter)");
    }
    checkEmpty(encoded.length == 0, table);
    if (metadata.isEmpty()) {
      return encoded;
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    addMetadata(extra, metadata, record);
    byte[] tail = encoder.encodeFields(extra);
    byte[] out = new byte[encoded.length + tail.length];
    System.arraycopy(encoded, 0, out, 0, encoded.length);
    System.arraycopy(tail, 0, out, encoded.length, tail.length);
    return out;
  }

  private void checkEmpty(boolean empty, TableDefinition table) throws EncodeException {
    if (!empty) {
      return;
    }
    emptySeen.accept(table.key());
    if (failEmpty) {
      throw new EncodeException(table.key(), null, "the value sets no column (e.g. {}), which would land as a row of"
          + " NULLs; empty.values=fail");
    }
  }

  private static boolean noValues(Map<?, ?> map) {
    for (Object v : map.values()) {
      if (v != null) {
        return false;
      }
    }
    return true;
  }

  /**
   * JsonConverter with schemas.enable=false turns a JSON integer beyond 64 bits into a wrong Long
   * (12345678901234567890 becomes -6101065172474983726), so no integer of such a value can be
   * trusted: the value is refused, naming the field, unless map.integers=accept.
   */
  private static void checkNoIntegers(Object v, String path, TableDefinition table) throws EncodeException {
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
        || v instanceof java.math.BigInteger) {
      throw new EncodeException(table.key(), path, "an integer in a schemaless Map value cannot be trusted: "
          + "JsonConverter with schemas.enable=false silently wraps integers beyond 64 bits (12345678901234567890 "
          + "arrives as -6101065172474983726). Use value.converter=org.apache.kafka.connect.storage.StringConverter "
          + "(the same JSON, checked strictly), or set map.integers=accept if no producer sends such integers");
    }
    if (v instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        checkNoIntegers(e.getValue(), path == null ? String.valueOf(e.getKey()) : path + "." + e.getKey(), table);
      }
    } else if (v instanceof Collection<?> c) {
      int i = 0;
      for (Object item : c) {
        checkNoIntegers(item, (path == null ? "" : path) + "[" + i++ + "]", table);
      }
    }
  }

  private boolean isJson(byte[] bytes) {
    if (format != ValueFormat.AUTO) {
      return format == ValueFormat.JSON;
    }
    for (byte b : bytes) {
      if (b == '{') {
        return true;
      }
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return false;
  }

  /** Already-encoded protobuf is passed on as it is, once it parses as the table's message with no stray fields. */
  private static byte[] checkProtobuf(byte[] bytes, TableDefinition table) throws EncodeException {
    Descriptor d = table.descriptor();
    try {
      DynamicMessage m = DynamicMessage.parseFrom(d, bytes);
      if (!m.getUnknownFields().asMap().isEmpty()) {
        throw new EncodeException(table.key(), null, "protobuf value has field numbers "
            + m.getUnknownFields().asMap().keySet() + " that " + d.getFullName()
            + " does not have (or of the wrong wire type)");
      }
      return bytes;
    } catch (InvalidProtocolBufferException e) {
      throw new EncodeException(table.key(), null, "value is neither JSON nor a valid protobuf "
          + d.getFullName() + ": " + e.getMessage());
    }
  }

  private static byte[] bytes(Object value) {
    if (value instanceof byte[] b) {
      return b;
    }
    ByteBuffer copy = ((ByteBuffer) value).duplicate();
    byte[] b = new byte[copy.remaining()];
    copy.get(b);
    return b;
  }

  /** The map itself, or a plain copy when it holds Connect values (Structs) inside; the encoder checks the keys. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> plainMap(Map<?, ?> m) {
    for (Object v : m.values()) {
      if (v instanceof Struct || v instanceof Collection<?> || v instanceof Map<?, ?>) {
        return (Map<String, Object>) plain(m, null);
      }
    }
    return (Map<String, Object>) m;
  }

  static Map<String, Object> structToMap(Struct struct) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Field f : struct.schema().fields()) {
      out.put(f.name(), plain(struct.get(f), f.schema()));
    }
    return out;
  }

  /** Connect values to plain Java: Structs become maps; Time becomes milliseconds since midnight. */
  private static Object plain(Object v, Schema schema) {
    if (v == null) {
      return null;
    }
    if (v instanceof Struct s) {
      return structToMap(s);
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      Schema valueSchema = schema == null ? null : schema.valueSchema();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.put(e.getKey(), plain(e.getValue(), valueSchema));
      }
      return out;
    }
    if (v instanceof Collection<?> c) {
      List<Object> out = new ArrayList<>(c.size());
      Schema valueSchema = schema == null ? null : schema.valueSchema();
      for (Object item : c) {
        out.add(plain(item, valueSchema));
      }
      return out;
    }
    if (v instanceof java.util.Date d && schema != null && Time.LOGICAL_NAME.equals(schema.name())) {
      return (int) d.getTime();
    }
    return v;
  }

  private List<MetadataColumn> metadata(TableDefinition table) {
    if (metadataColumns.isEmpty()) {
      return List.of();
    }
    TableMetadata known = metadataByTable.get(table.key());
    if (known != null && known.schemaVersion() == table.schemaVersion()) {
      return known.columns();
    }
    List<MetadataColumn> out = new ArrayList<>();
    metadataColumns.forEach((kind, column) -> {
      FieldDescriptor f = table.descriptor().findFieldByName(column);
      if (f != null) {
        out.add(new MetadataColumn(kind, f, table.logicalType(column)));
      }
    });
    metadataByTable.put(table.key(), new TableMetadata(table.schemaVersion(), List.copyOf(out)));
    return List.copyOf(out);
  }

  private static void addMetadata(Map<String, Object> map, List<MetadataColumn> columns, SinkRecord r) {
    for (MetadataColumn c : columns) {
      Object v = switch (c.kind()) {
        case TOPIC -> r.topic();
        case PARTITION -> r.kafkaPartition();
        case OFFSET -> r.kafkaOffset();
        case TIMESTAMP -> r.timestamp() == null ? null
            : c.logical() == LogicalType.TIMESTAMP ? new java.util.Date(r.timestamp()) : r.timestamp();
        case KEY -> key(r.key(), c.field());
      };
      map.put(c.field().getName(), v);
    }
  }

  private static Object key(Object key, FieldDescriptor column) {
    if (key == null) {
      return null;
    }
    if (column.getJavaType() == FieldDescriptor.JavaType.STRING) {
      return key instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : key.toString();
    }
    if (column.getJavaType() == FieldDescriptor.JavaType.BYTE_STRING && key instanceof String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
    return key;
  }
}
