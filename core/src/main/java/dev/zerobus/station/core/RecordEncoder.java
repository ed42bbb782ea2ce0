package dev.zerobus.station.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns JSON (or a Kafka Connect value tree) into protobuf bytes for one table, reading JSON
 * tokens straight into wire format: no intermediate maps or message objects.
 *
 * <p>Strict by design; every refusal is an {@link EncodeException} naming the table and field:
 * <ul>
 *   <li>a value of the wrong JSON type (a string for an int32, a number for a string, ...);
 *   <li>an integer out of its field's range, or a number with a fraction for an integer field
 *       (integral values such as {@code 25.0} are taken); 64-bit integers may also come as
 *       decimal strings, since JSON numbers lose precision past 2^53 in many producers;
 *   <li>a field the table does not have (unless {@link EncoderOptions#ignoreUnknownFields});
 *   <li>a missing or null required field (a null optional field is simply absent);
 *   <li>a string over {@link EncoderOptions#maxStringLength}, invalid base64 for bytes, a
 *       timestamp/date that does not parse, null inside an array, a duplicate key, malformed JSON.
 * </ul>
 *
 * <p>Timestamps (int64 microseconds) and dates (int32 days) take numbers or ISO-8601 text; floats
 * take numbers and "NaN"/"Infinity"/"-Infinity"; bytes take base64.
 */
public final class RecordEncoder {
  // Duplicate keys are caught per field (cheaper than Jackson's per-object name set).
  private static final JsonFactory JSON = JsonFactory.builder()
      .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
      .build();
  private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

  private final String table;
  private final MessagePlan root;
  private final EncoderOptions options;

  RecordEncoder(TableDefinition definition, EncoderOptions options) {
    this.table = definition.key();
    this.options = options;
    this.root = new MessagePlan(definition.descriptor(), definition, new HashMap<>());
  }

  public EncoderOptions options() {
    return options;
  }

  /** Encodes one JSON object. */
  public byte[] encode(byte[] json) throws EncodeException {
    return encode(json, 0, json.length);
  }

  public byte[] encode(byte[] json, int offset, int length) throws EncodeException {
    try (JsonParser p = JSON.createParser(json, offset, length)) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        throw new EncodeException(table, null, "a record must be a JSON object, got " + describe(t, p));
      }
      byte[] out = encodeObject(p);
      if (p.nextToken() != null) {
        throw new EncodeException(table, null, "unexpected content after the record's closing '}'");
      }
      return out;
    } catch (JsonParseException | StreamConstraintsException e) {
      throw malformed(e);
    } catch (IOException e) {
      throw new EncodeException(table, null, "cannot read the record: " + e.getMessage());
    }
  }

  /** Encodes the object the parser stands on (at START_OBJECT), leaving it at the END_OBJECT. */
  public byte[] encodeObject(JsonParser p) throws EncodeException, IOException {
    ProtoWriter w = new ProtoWriter(256);
    writeJsonMessage(p, root, w, "");
    return w.toByteArray();
  }

  /**
   * Encodes a value tree as Kafka Connect converters produce it: Map for records and maps, List
   * for arrays, boxed numbers, String, Boolean, byte[]/ByteBuffer, BigDecimal, and
   * java.util.Date/Instant/LocalDate/LocalDateTime/OffsetDateTime for timestamps and dates.
   */
  public byte[] encodeValue(Map<String, ?> record) throws EncodeException {
    ProtoWriter w = new ProtoWriter(128);
    writeValueMessage(record, root, w, "", true);
    return w.toByteArray();
  }

  /**
   * Encodes just the given top-level fields, without the required-field check. Protobuf merges
   * concatenated messages (a later scalar wins), so appending the result to an encoded record adds
   * these fields to it: the connector uses this for Kafka metadata columns on JSON and protobuf values.
   */
  public byte[] encodeFields(Map<String, ?> fields) throws EncodeException {
    ProtoWriter w = new ProtoWriter(64);
    writeValueMessage(fields, root, w, "", false);
    return w.toByteArray();
  }

  /** How a request body holds several records. */
  public enum BatchFormat {
    /** One JSON object, or a JSON array of objects. */
    JSON,
    /** One JSON object per line (blank lines are skipped). */
    NDJSON
  }

  /**
   * Records encoded from a batch, in order, and the ones that were not, with their index.
   *
   * @param total how many records the body held
   * @param single whether the body was one JSON object rather than an array or lines
   */
  public record Batch(List<byte[]> records, List<EncodeException> rejected, int total, boolean single) {
    public boolean allValid() {
      return rejected.isEmpty();
    }
  }

  /**
   * Encodes every record of a body, collecting per-record errors by index. Malformed JSON inside
   * an array ends the batch there (nothing after it can be found); in NDJSON only that line fails.
   */
  public Batch encodeBatch(byte[] body, BatchFormat format) throws EncodeException {
    return format == BatchFormat.NDJSON ? encodeLines(body) : encodeJson(body);
  }

  private Batch encodeJson(byte[] body) throws EncodeException {
    List<byte[]> records = new ArrayList<>();
    List<EncodeException> rejected = new ArrayList<>();
    int index = 0;
    try (JsonParser p = JSON.createParser(body)) {
      JsonToken t = p.nextToken();
      if (t == JsonToken.START_OBJECT) {
        records.add(encodeObject(p));
        if (p.nextToken() != null) {
          throw new EncodeException(table, null,
              "unexpected content after the record's closing '}' (send several records as a JSON array or NDJSON)");
        }
        return new Batch(records, rejected, 1, true);
      }
      if (t != JsonToken.START_ARRAY) {
        throw new EncodeException(table, null, "the body must be a JSON object or an array of objects, got " + describe(t, p));
      }
      JsonStreamContext array = p.getParsingContext();
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          throw new EncodeException(table, null, "the JSON array is not closed");
        }
        try {
          if (t != JsonToken.START_OBJECT) {
            throw new EncodeException(table, null, "a record must be a JSON object, got " + describe(t, p));
          }
          records.add(encodeObject(p));
        } catch (EncodeException e) {
          rejected.add(e.at(index));
          // Skip the rest of the bad element, back to the array.
          while (p.getParsingContext() != array) {
            if (p.nextToken() == null) {
              break;
            }
          }
        }
        index++;
      }
      if (p.nextToken() != null) {
        throw new EncodeException(table, null, "unexpected content after the closing ']'");
      }
    } catch (JsonParseException | StreamConstraintsException e) {
      throw malformed(e).at(index);
    } catch (IOException e) {
      throw new EncodeException(table, null, "cannot read the body: " + e.getMessage());
    }
    return new Batch(records, rejected, index, false);
  }

  private Batch encodeLines(byte[] body) {
    List<byte[]> records = new ArrayList<>();
    List<EncodeException> rejected = new ArrayList<>();
    int index = 0;
    int start = 0;
    while (start < body.length) {
      int end = start;
      while (end < body.length && body[end] != '\n') {
        end++;
      }
      if (!blank(body, start, end)) {
        try {
          records.add(encode(body, start, end - start));
        } catch (EncodeException e) {
          rejected.add(e.at(index));
        }
        index++;
      }
      start = end + 1;
    }
    return new Batch(records, rejected, index, false);
  }

  private static boolean blank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- JSON front end

  private void writeJsonMessage(JsonParser p, MessagePlan plan, ProtoWriter w, String path)
      throws EncodeException, IOException {
    FieldSet seen = new FieldSet(plan.fieldCount);
    FieldSet present = plan.required.isEmpty() ? null : new FieldSet(plan.fieldCount);
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      FieldPlan f = plan.byName.get(name);
      JsonToken v = p.nextToken();
      if (f == null) {
        if (options.ignoreUnknownFields()) {
          p.skipChildren();
          continue;
        }
        throw unknownField(plan, path + name);
      }
      if (!seen.add(f.index)) {
        throw new EncodeException(table, path + f.name, "appears twice in one object");
      }
      if (v == JsonToken.VALUE_NULL) {
        continue;
      }
      if (present != null) {
        present.add(f.index);
      }
      String fieldPath = path + f.name;
      if (f.map) {
        writeJsonMap(p, v, f, w, fieldPath);
      } else if (f.repeated) {
        writeJsonArray(p, v, f, w, fieldPath);
      } else {
        writeJsonValue(p, v, f, w, fieldPath, true);
      }
    }
    if (t != JsonToken.END_OBJECT) {
      throw new EncodeException(table, path.isEmpty() ? null : path, "malformed object");
    }
    checkRequired(plan, present, path);
  }

  /** Field indexes seen in one object: a bit mask, or a BitSet past 64 fields. */
  private static final class FieldSet {
    private long mask;
    private final BitSet more;

    FieldSet(int fields) {
      more = fields > 64 ? new BitSet(fields) : null;
    }

    /** Adds; false when already there. */
    boolean add(int index) {
      if (more != null) {
        boolean had = more.get(index);
        more.set(index);
        return !had;
      }
      long bit = 1L << index;
      boolean had = (mask & bit) != 0;
      mask |= bit;
      return !had;
    }

    boolean contains(int index) {
      return more != null ? more.get(index) : (mask & (1L << index)) != 0;
    }
  }

  private void writeJsonArray(JsonParser p, JsonToken v, FieldPlan f, ProtoWriter w, String path)
      throws EncodeException, IOException {
    if (v != JsonToken.START_ARRAY) {
      throw wrongType(path, f, "an array", describe(v, p));
    }
    ProtoWriter packed = f.packed ? new ProtoWriter(64) : null;
    int i = 0;
    JsonToken e;
    while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
      String at = path + "[" + i++ + "]";
      if (e == JsonToken.VALUE_NULL) {
        throw new EncodeException(table, at, "arrays cannot hold null");
      }
      writeJsonValue(p, e, f, packed != null ? packed : w, at, packed == null);
    }
    if (packed != null && packed.size() > 0) {
      w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
      w.embed(packed);
    }
  }

  private void writeJsonMap(JsonParser p, JsonToken v, FieldPlan f, ProtoWriter w, String path)
      throws EncodeException, IOException {
    if (v != JsonToken.START_OBJECT) {
      throw wrongType(path, f, "an object (map)", describe(v, p));
    }
    FieldPlan key = f.message.byNumber(1);
    FieldPlan value = f.message.byNumber(2);
    ProtoWriter entry = new ProtoWriter(32);
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String k = p.currentName();
      String at = path + "." + k;
      entry.reset();
      writeKey(entry, key, k, at);
      JsonToken t = p.nextToken();
      if (t == JsonToken.VALUE_NULL) {
        throw new EncodeException(table, at, "map values cannot be null");
      }
      writeJsonValue(p, t, value, entry, at, true);
      w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
      w.embed(entry);
    }
  }

  /** Writes one (non-null) value of field f; tagged unless it goes into a packed run. */
  private void writeJsonValue(JsonParser p, JsonToken v, FieldPlan f, ProtoWriter w, String path, boolean tagged)
      throws EncodeException, IOException {
    switch (f.kind) {
      case MESSAGE: {
        if (v != JsonToken.START_OBJECT) {
          throw wrongType(path, f, "an object", describe(v, p));
        }
        ProtoWriter child = new ProtoWriter(64);
        writeJsonMessage(p, f.message, child, path + ".");
        w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
        w.embed(child);
        return;
      }
      case INTEGER:
        writeInteger(w, f, jsonInteger(p, v, f, path), path, tagged);
        return;
      case FLOATING: {
        double d;
        if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
          d = p.getDoubleValue();
        } else if (v == JsonToken.VALUE_STRING) {
          d = specialFloat(p.getText(), f, path);
        } else {
          throw wrongType(path, f, "a number", describe(v, p));
        }
        writeFloating(w, f, d, path, tagged);
        return;
      }
      case BOOL:
        if (v != JsonToken.VALUE_TRUE && v != JsonToken.VALUE_FALSE) {
          throw wrongType(path, f, "true or false", describe(v, p));
        }
        writeBool(w, f, v == JsonToken.VALUE_TRUE, tagged);
        return;
      case STRING:
        if (v != JsonToken.VALUE_STRING) {
          throw wrongType(path, f, "a string", describe(v, p));
        }
        writeString(w, f, p.getTextCharacters(), p.getTextOffset(), p.getTextLength(), path);
        return;
      case BYTES:
        if (v != JsonToken.VALUE_STRING) {
          throw wrongType(path, f, "a base64 string", describe(v, p));
        }
        writeBytes(w, f, base64(p.getText(), path));
        return;
      default:
        throw new EncodeException(table, path, "has an unsupported type " + f.descriptor.getType());
    }
  }

  /** An integer field's value from JSON: bits ready for {@link #writeInteger}. */
  private long jsonInteger(JsonParser p, JsonToken v, FieldPlan f, String path) throws EncodeException, IOException {
    if (v == JsonToken.VALUE_NUMBER_INT) {
      if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        return bigInteger(p.getBigIntegerValue(), f, path);
      }
      return checkRange(p.getLongValue(), f, path);
    }
    if (v == JsonToken.VALUE_NUMBER_FLOAT) {
      BigDecimal d = p.getDecimalValue();
      if (d.signum() != 0 && d.stripTrailingZeros().scale() > 0) {
        throw new EncodeException(table, path, "expected an integer" + expectation(f) + ", got " + d.toPlainString()
            + " (it has a fraction)");
      }
      return bigInteger(d.toBigInteger(), f, path);
    }
    if (v == JsonToken.VALUE_STRING) {
      String s = p.getText();
      if (f.logical == LogicalType.TIMESTAMP) {
        return timestampMicros(s, path);
      }
      if (f.logical == LogicalType.DATE) {
        return dateDays(s, path);
      }
      if (f.wide && s.matches("-?\\d{1,20}")) {
        return bigInteger(new BigInteger(s), f, path);
      }
    }
    throw wrongType(path, f, "an integer" + expectation(f), describe(v, p));
  }

  // ---------------------------------------------------------------- value-tree front end

  private void writeValueMessage(Map<?, ?> record, MessagePlan plan, ProtoWriter w, String path) throws EncodeException {
    writeValueMessage(record, plan, w, path, true);
  }

  private void writeValueMessage(Map<?, ?> record, MessagePlan plan, ProtoWriter w, String path, boolean whole)
      throws EncodeException {
    FieldSet seen = !whole || plan.required.isEmpty() ? null : new FieldSet(plan.fieldCount);
    for (Map.Entry<?, ?> e : record.entrySet()) {
      if (!(e.getKey() instanceof String name)) {
        throw new EncodeException(table, path.isEmpty() ? null : path, "record keys must be strings, got " + e.getKey());
      }
      FieldPlan f = plan.byName.get(name);
      if (f == null) {
        if (options.ignoreUnknownFields()) {
          continue;
        }
        throw unknownField(plan, path + name);
      }
      Object v = e.getValue();
      if (v == null) {
        continue;
      }
      if (seen != null) {
        seen.add(f.index);
      }
      String fieldPath = path + f.name;
      if (f.map) {
        if (!(v instanceof Map<?, ?> map)) {
          throw wrongType(fieldPath, f, "a map", describe(v));
        }
        writeValueMap(map, f, w, fieldPath);
      } else if (f.repeated) {
        writeValueList(v, f, w, fieldPath);
      } else {
        writeValue(v, f, w, fieldPath, true);
      }
    }
    if (whole) {
      checkRequired(plan, seen, path);
    }
  }

  private void writeValueList(Object v, FieldPlan f, ProtoWriter w, String path) throws EncodeException {
    Collection<?> items;
    if (v instanceof Collection<?> c) {
      items = c;
    } else if (v instanceof Object[] array) {
      items = List.of(array);
    } else {
      throw wrongType(path, f, "a list", describe(v));
    }
    ProtoWriter packed = f.packed ? new ProtoWriter(64) : null;
    int i = 0;
    for (Object item : items) {
      String at = path + "[" + i++ + "]";
      if (item == null) {
        throw new EncodeException(table, at, "arrays cannot hold null");
      }
      writeValue(item, f, packed != null ? packed : w, at, packed == null);
    }
    if (packed != null && packed.size() > 0) {
      w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
      w.embed(packed);
    }
  }

  private void writeValueMap(Map<?, ?> map, FieldPlan f, ProtoWriter w, String path) throws EncodeException {
    FieldPlan key = f.message.byNumber(1);
    FieldPlan value = f.message.byNumber(2);
    ProtoWriter entry = new ProtoWriter(32);
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String at = path + "." + e.getKey();
      if (e.getKey() == null || e.getValue() == null) {
        throw new EncodeException(table, at, "map keys and values cannot be null");
      }
      entry.reset();
      writeKey(entry, key, String.valueOf(e.getKey()), at);
      writeValue(e.getValue(), value, entry, at, true);
      w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
      w.embed(entry);
    }
  }

  private void writeValue(Object v, FieldPlan f, ProtoWriter w, String path, boolean tagged) throws EncodeException {
    switch (f.kind) {
      case MESSAGE: {
        if (!(v instanceof Map<?, ?> m)) {
          throw wrongType(path, f, "a record (map)", describe(v));
        }
        ProtoWriter child = new ProtoWriter(64);
        writeValueMessage(m, f.message, child, path + ".");
        w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
        w.embed(child);
        return;
      }
      case INTEGER:
        writeInteger(w, f, valueInteger(v, f, path), path, tagged);
        return;
      case FLOATING:
        if (v instanceof Number n) {
          writeFloating(w, f, n.doubleValue(), path, tagged);
        } else if (v instanceof String s) {
          writeFloating(w, f, specialFloat(s, f, path), path, tagged);
        } else {
          throw wrongType(path, f, "a number", describe(v));
        }
        return;
      case BOOL:
        if (!(v instanceof Boolean b)) {
          throw wrongType(path, f, "a boolean", describe(v));
        }
        writeBool(w, f, b, tagged);
        return;
      case STRING:
        if (v instanceof String s) {
          writeString(w, f, s, path);
        } else if (v instanceof BigDecimal d) {
          writeString(w, f, d.toPlainString(), path);
        } else {
          throw wrongType(path, f, "a string", describe(v));
        }
        return;
      case BYTES:
        if (v instanceof byte[] b) {
          writeBytes(w, f, b);
        } else if (v instanceof ByteBuffer buffer) {
          ByteBuffer copy = buffer.duplicate();
          byte[] b = new byte[copy.remaining()];
          copy.get(b);
          writeBytes(w, f, b);
        } else if (v instanceof String s) {
          writeBytes(w, f, base64(s, path));
        } else {
          throw wrongType(path, f, "bytes", describe(v));
        }
        return;
      default:
        throw new EncodeException(table, path, "has an unsupported type " + f.descriptor.getType());
    }
  }

  private long valueInteger(Object v, FieldPlan f, String path) throws EncodeException {
    if (f.logical == LogicalType.TIMESTAMP) {
      if (v instanceof java.util.Date d) {
        return Math.multiplyExact(d.getTime(), 1000L);
      }
      if (v instanceof Instant i) {
        return micros(i, path);
      }
      if (v instanceof OffsetDateTime o) {
        return micros(o.toInstant(), path);
      }
      if (v instanceof ZonedDateTime z) {
        return micros(z.toInstant(), path);
      }
      if (v instanceof LocalDateTime l) {
        return micros(l.toInstant(ZoneOffset.UTC), path);
      }
      if (v instanceof String s) {
        return timestampMicros(s, path);
      }
    }
    if (f.logical == LogicalType.DATE) {
      if (v instanceof java.util.Date d) {
        return Math.floorDiv(d.getTime(), 86_400_000L);
      }
      if (v instanceof LocalDate l) {
        return checkRange(l.toEpochDay(), f, path);
      }
      if (v instanceof String s) {
        return dateDays(s, path);
      }
    }
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return checkRange(((Number) v).longValue(), f, path);
    }
    if (v instanceof BigInteger b) {
      return bigInteger(b, f, path);
    }
    if (v instanceof BigDecimal || v instanceof Double || v instanceof Float) {
      BigDecimal d = v instanceof BigDecimal bd ? bd : new BigDecimal(v.toString());
      if (d.signum() != 0 && d.stripTrailingZeros().scale() > 0) {
        throw new EncodeException(table, path, "expected an integer" + expectation(f) + ", got " + d.toPlainString()
            + " (it has a fraction)");
      }
      return bigInteger(d.toBigInteger(), f, path);
    }
    if (v instanceof String s && f.wide && s.matches("-?\\d{1,20}")) {
      return bigInteger(new BigInteger(s), f, path);
    }
    throw wrongType(path, f, "an integer" + expectation(f), describe(v));
  }

  // ---------------------------------------------------------------- shared: checks and wire format

  private long bigInteger(BigInteger b, FieldPlan f, String path) throws EncodeException {
    if (f.unsigned64) {
      if (b.signum() < 0 || b.compareTo(TWO_TO_64) >= 0) {
        throw outOfRange(path, f, b.toString());
      }
      return b.longValue();
    }
    if (b.bitLength() > 63) {
      throw outOfRange(path, f, b.toString());
    }
    return checkRange(b.longValue(), f, path);
  }

  private long checkRange(long v, FieldPlan f, String path) throws EncodeException {
    if (v < f.min || v > f.max || (f.unsigned64 && v < 0)) {
      throw outOfRange(path, f, Long.toString(v));
    }
    return v;
  }

  private void writeInteger(ProtoWriter w, FieldPlan f, long v, String path, boolean tagged) {
    switch (f.descriptor.getType()) {
      case INT32:
      case INT64:
      case UINT64:
        tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(v);
        break;
      case UINT32:
        tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(v & 0xFFFFFFFFL);
        break;
      case SINT32:
        tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(((int) v << 1 ^ (int) v >> 31) & 0xFFFFFFFFL);
        break;
      case SINT64:
        tag(w, f, ProtoWriter.VARINT, tagged);
        w.varint64(v << 1 ^ v >> 63);
        break;
      case FIXED32:
      case SFIXED32:
        tag(w, f, ProtoWriter.FIXED32, tagged);
        w.fixed32((int) v);
        break;
      default: // FIXED64, SFIXED64
        tag(w, f, ProtoWriter.FIXED64, tagged);
        w.fixed64(v);
    }
  }

  private void writeFloating(ProtoWriter w, FieldPlan f, double d, String path, boolean tagged) throws EncodeException {
    if (f.descriptor.getType() == FieldDescriptor.Type.FLOAT) {
      if (Double.isFinite(d) && Math.abs(d) > Float.MAX_VALUE) {
        throw outOfRange(path, f, Double.toString(d));
      }
      tag(w, f, ProtoWriter.FIXED32, tagged);
      w.fixed32(Float.floatToIntBits((float) d));
    } else {
      tag(w, f, ProtoWriter.FIXED64, tagged);
      w.fixed64(Double.doubleToLongBits(d));
    }
  }

  private static void writeBool(ProtoWriter w, FieldPlan f, boolean b, boolean tagged) {
    tag(w, f, ProtoWriter.VARINT, tagged);
    w.varint32(b ? 1 : 0);
  }

  private void writeString(ProtoWriter w, FieldPlan f, String s, String path) throws EncodeException {
    writeString(w, f, s.toCharArray(), 0, s.length(), path);
  }

  /** Checks length and UTF-16 validity while counting UTF-8 bytes, then writes the chars as UTF-8. */
  private void writeString(ProtoWriter w, FieldPlan f, char[] chars, int offset, int length, String path)
      throws EncodeException {
    if (options.maxStringLength() > 0 && length > options.maxStringLength()) {
      throw new EncodeException(table, path, "string of " + length + " characters is longer than the limit of "
          + options.maxStringLength());
    }
    int utf8 = 0;
    for (int i = offset, end = offset + length; i < end; i++) {
      char c = chars[i];
      if (c < 0x80) {
        utf8++;
      } else if (c < 0x800) {
        utf8 += 2;
      } else if (!Character.isSurrogate(c)) {
        utf8 += 3;
      } else if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(chars[i + 1])) {
        utf8 += 4;
        i++;
      } else {
        throw new EncodeException(table, path, "contains an unpaired UTF-16 surrogate at character " + (i - offset));
      }
    }
    w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
    w.utf8(chars, offset, length, utf8);
  }

  private static void writeBytes(ProtoWriter w, FieldPlan f, byte[] b) {
    w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
    w.bytes(b);
  }

  /** A map key, written as the entry's field 1: JSON object keys are strings, so numbers and booleans are parsed. */
  private void writeKey(ProtoWriter entry, FieldPlan key, String k, String path) throws EncodeException {
    switch (key.kind) {
      case STRING:
        writeString(entry, key, k, path);
        return;
      case BOOL:
        if (!k.equals("true") && !k.equals("false")) {
          throw new EncodeException(table, path, "map key must be true or false, got \"" + k + "\"");
        }
        writeBool(entry, key, k.equals("true"), true);
        return;
      default:
        if (!k.matches("-?\\d{1,20}")) {
          throw new EncodeException(table, path, "map key must be an integer, got \"" + k + "\"");
        }
        writeInteger(entry, key, bigInteger(new BigInteger(k), key, path), path, true);
    }
  }

  private static void tag(ProtoWriter w, FieldPlan f, int wireType, boolean tagged) {
    if (tagged) {
      w.tag(f.number, wireType);
    }
  }

  private double specialFloat(String s, FieldPlan f, String path) throws EncodeException {
    switch (s) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        throw wrongType(path, f, "a number", "string \"" + abbreviate(s) + "\"");
    }
  }

  private byte[] base64(String s, String path) throws EncodeException {
    try {
      return s.indexOf('-') >= 0 || s.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(s) : Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new EncodeException(table, path, "is not valid base64: " + e.getMessage());
    }
  }

  private long timestampMicros(String s, String path) throws EncodeException {
    String t = s.trim().replaceFirst("^(\\d{4}-\\d{2}-\\d{2}) ", "$1T");
    try {
      return micros(OffsetDateTime.parse(t).toInstant(), path);
    } catch (DateTimeParseException offsetMissing) {
      try {
        return micros(LocalDateTime.parse(t).toInstant(ZoneOffset.UTC), path);
      } catch (DateTimeParseException e) {
        throw new EncodeException(table, path, "expected a timestamp (microseconds since the epoch, or ISO-8601 such as"
            + " 2024-01-31T10:15:30.123456Z), got \"" + abbreviate(s) + "\"");
      }
    }
  }

  private long micros(Instant i, String path) throws EncodeException {
    try {
      return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
    } catch (ArithmeticException e) {
      throw new EncodeException(table, path, "timestamp " + i + " is out of range for microseconds since the epoch");
    }
  }

  private long dateDays(String s, String path) throws EncodeException {
    try {
      return LocalDate.parse(s.trim()).toEpochDay();
    } catch (DateTimeParseException e) {
      throw new EncodeException(table, path, "expected a date (days since the epoch, or YYYY-MM-DD), got \""
          + abbreviate(s) + "\"");
    }
  }

  private void checkRequired(MessagePlan plan, FieldSet present, String path) throws EncodeException {
    for (FieldPlan f : plan.required) {
      if (present == null || !present.contains(f.index)) {
        throw new EncodeException(table, path + f.name, "is required but missing (or null)");
      }
    }
  }

  private EncodeException unknownField(MessagePlan plan, String path) {
    return new EncodeException(table, path, "is not a field of " + (plan == root ? "the table" : plan.name)
        + " (fields: " + String.join(", ", plan.names) + ")");
  }

  private EncodeException wrongType(String path, FieldPlan f, String expected, String got) {
    return new EncodeException(table, path, "expected " + expected + ", got " + got);
  }

  private EncodeException outOfRange(String path, FieldPlan f, String value) {
    return new EncodeException(table, path, value + " is out of range for " + f.typeName
        + " [" + (f.unsigned64 ? "0" : Long.toString(f.min)) + ", "
        + (f.unsigned64 ? "18446744073709551615" : Long.toString(f.max)) + "]");
  }

  private EncodeException malformed(Exception e) {
    String message = e instanceof JsonParseException jpe
        ? jpe.getOriginalMessage() + " (line " + jpe.getLocation().getLineNr() + ", column "
            + jpe.getLocation().getColumnNr() + ")"
        : e.getMessage();
    return new EncodeException(table, null, "malformed JSON: " + message);
  }

  private static String expectation(FieldPlan f) {
    switch (f.logical) {
      case TIMESTAMP:
        return " (microseconds since the epoch) or an ISO-8601 timestamp";
      case DATE:
        return " (days since the epoch) or a YYYY-MM-DD date";
      default:
        return "";
    }
  }

  private static String describe(JsonToken t, JsonParser p) throws IOException {
    if (t == null) {
      return "nothing";
    }
    switch (t) {
      case VALUE_STRING:
        return "string \"" + abbreviate(p.getText()) + "\"";
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return "number " + abbreviate(p.getText());
      case VALUE_TRUE:
      case VALUE_FALSE:
        return "boolean " + p.getText();
      case START_OBJECT:
        return "an object";
      case START_ARRAY:
        return "an array";
      default:
        return t.asString() == null ? t.name() : t.asString();
    }
  }

  private static String describe(Object v) {
    if (v instanceof String s) {
      return "string \"" + abbreviate(s) + "\"";
    }
    return v.getClass().getSimpleName() + " " + abbreviate(String.valueOf(v));
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  // ---------------------------------------------------------------- compiled descriptors

  enum Kind { INTEGER, FLOATING, BOOL, STRING, BYTES, MESSAGE, UNSUPPORTED }

  /** A message type, compiled once: its fields by JSON name (proto and camelCase) and number. */
  private static final class MessagePlan {
    final String name;
    final Map<String, FieldPlan> byName = new HashMap<>();
    final List<FieldPlan> required = new ArrayList<>();
    final List<String> names = new ArrayList<>();
    final int fieldCount;
    private final Map<Integer, FieldPlan> byNumber = new HashMap<>();

    MessagePlan(Descriptor d, TableDefinition table, Map<Descriptor, MessagePlan> done) {
      this.name = d.getName();
      done.put(d, this);
      List<FieldDescriptor> fields = d.getFields();
      this.fieldCount = fields.size();
      for (int i = 0; i < fields.size(); i++) {
        FieldDescriptor fd = fields.get(i);
        LogicalType logical = table != null ? table.logicalType(fd.getName()) : LogicalType.NONE;
        FieldPlan f = new FieldPlan(fd, i, logical, done);
        byName.put(fd.getName(), f);
        byName.putIfAbsent(fd.getJsonName(), f);
        byNumber.put(fd.getNumber(), f);
        names.add(fd.getName());
        if (fd.isRequired()) {
          required.add(f);
        }
      }
    }

    FieldPlan byNumber(int number) {
      return byNumber.get(number);
    }
  }

  /** One field: its kind, wire details and the range its integers must fall in. */
  private static final class FieldPlan {
    final FieldDescriptor descriptor;
    final int index;
    final String name;
    final int number;
    final Kind kind;
    final boolean repeated;
    final boolean map;
    final boolean packed;
    final LogicalType logical;
    final MessagePlan message;
    final long min;
    final long max;
    final boolean unsigned64;
    /** 64-bit integers, which may come as decimal strings. */
    final boolean wide;
    final String typeName;

    FieldPlan(FieldDescriptor fd, int index, LogicalType logical, Map<Descriptor, MessagePlan> done) {
      this.descriptor = fd;
      this.index = index;
      this.name = fd.getName();
      this.number = fd.getNumber();
      this.repeated = fd.isRepeated();
      this.map = fd.isMapField();
      this.packed = fd.isPacked();
      this.logical = logical;
      this.typeName = fd.getType().name().toLowerCase();
      long lo = 0;
      long hi = 0;
      boolean u64 = false;
      boolean w = false;
      Kind k;
      switch (fd.getType()) {
        case INT32:
        case SINT32:
        case SFIXED32:
          k = Kind.INTEGER;
          lo = Integer.MIN_VALUE;
          hi = Integer.MAX_VALUE;
          break;
        case UINT32:
        case FIXED32:
          k = Kind.INTEGER;
          hi = 0xFFFFFFFFL;
          break;
        case INT64:
        case SINT64:
        case SFIXED64:
          k = Kind.INTEGER;
          lo = Long.MIN_VALUE;
          hi = Long.MAX_VALUE;
          w = true;
          break;
        case UINT64:
        case FIXED64:
          k = Kind.INTEGER;
          lo = Long.MIN_VALUE;
          hi = Long.MAX_VALUE;
          u64 = true;
          w = true;
          break;
        case FLOAT:
        case DOUBLE:
          k = Kind.FLOATING;
          break;
        case BOOL:
          k = Kind.BOOL;
          break;
        case STRING:
          k = Kind.STRING;
          break;
        case BYTES:
          k = Kind.BYTES;
          break;
        case MESSAGE:
          k = Kind.MESSAGE;
          break;
        default:
          k = Kind.UNSUPPORTED;
      }
      this.kind = k;
      this.min = lo;
      this.max = hi;
      this.unsigned64 = u64;
      this.wide = w;
      if (k == Kind.MESSAGE) {
        MessagePlan known = done.get(fd.getMessageType());
        this.message = known != null ? known : new MessagePlan(fd.getMessageType(), null, done);
      } else {
        this.message = null;
      }
    }
  }
}
