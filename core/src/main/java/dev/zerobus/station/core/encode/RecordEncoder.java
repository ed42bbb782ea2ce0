package dev.zerobus.station.core.encode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.encode.EncodePlan.FieldPlan;
import dev.zerobus.station.core.encode.EncodePlan.MessagePlan;
import dev.zerobus.station.core.encode.ValueSource.Kind;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.schema.TableSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns JSON (or a Kafka Connect value tree) into protobuf bytes for one table, as a pipeline: the
 * table's message compiled once into a plan ({@link EncodePlan}), a {@link ValueSource} (JSON
 * tokens or a Connect value tree) walked over it, every scalar converted by the one coercion layer
 * ({@link Coercion}, driven by the column-type table {@link DeltaType}), and {@link ProtoWriter}
 * writing wire format. JSON tokens go straight to wire format: no intermediate maps or messages.
 *
 * <p>Strict by design; every refusal is an {@link EncodeException} naming the table and field:
 * <ul>
 *   <li>a value of the wrong JSON type (a string for an int32, a number for a string, ...);
 *   <li>an integer out of its field's range, or a number with a fraction for an integer field
 *       (integral values such as {@code 25.0} are taken); 64-bit integers may also come as
 *       decimal strings, since JSON numbers lose precision past 2^53 in many producers;
 *   <li>a DECIMAL(p,s) value with more than s digits after the point or p - s before (never rounded);
 *   <li>a field the table does not have (unless {@link EncoderOptions#ignoreUnknownFields});
 *   <li>a missing or null required field (a null optional field is simply absent);
 *   <li>a string over {@link EncoderOptions#maxStringLength}, invalid base64 for bytes, a
 *       timestamp/date that does not parse, null inside an array, a duplicate key, malformed JSON.
 * </ul>
 *
 * <p>What each column type takes is in {@link DeltaType#jsonForms()}. Numbers are judged from their
 * text before any big number is built, and no error echoes more than a few dozen characters of a
 * value or field name.
 */
public final class RecordEncoder {
  // Duplicate keys are caught per field (cheaper than Jackson's per-object name set).
  private static final JsonFactory JSON = JsonFactory.builder()
      .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
      .build();

  /**
   * The writer a record is encoded into, one per thread and reused: a record then allocates only
   * its own bytes. One that grew past {@link #KEEP_BYTES} for a large record is let go after it.
   */
  private static final ThreadLocal<ProtoWriter> WRITER = ThreadLocal.withInitial(() -> new ProtoWriter(256));
  private static final int KEEP_BYTES = 64 * 1024;

  private final String table;
  private final MessagePlan root;
  private final EncoderOptions options;
  private final Coercion coercion;

  /** @param table the table's key, which every error names */
  public RecordEncoder(String table, TableSchema schema, EncoderOptions options) {
    this.table = table;
    this.options = options;
    this.coercion = new Coercion(table, options);
    this.root = new MessagePlan(schema.descriptor(), schema, new HashMap<>());
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
        throw new EncodeException(table, null, "a record must be a JSON object, got " + new JsonSource(p).describe());
      }
      byte[] out = encodeObject(p);
      if (p.nextToken() != null) {
        throw new EncodeException(table, null, "unexpected content after the record's closing '}'");
      }
      return out;
    } catch (JsonParseException | StreamConstraintsException e) {
      throw malformed(e);
    } catch (IOException e) {
      throw new EncodeException(table, null, "cannot read the record: " + Coercion.abbreviate(e.getMessage()));
    }
  }

  /** Encodes the object the parser stands on (at START_OBJECT), leaving it at the END_OBJECT. */
  public byte[] encodeObject(JsonParser p) throws EncodeException, IOException {
    ProtoWriter w = writer();
    writeMessage(new JsonSource(p), root, w, "", true);
    return done(w);
  }

  private static ProtoWriter writer() {
    ProtoWriter w = WRITER.get();
    w.reset();
    return w;
  }

  private static byte[] done(ProtoWriter w) {
    byte[] out = w.toByteArray();
    if (w.capacity() > KEEP_BYTES) {
      WRITER.remove();
    }
    return out;
  }

  /**
   * Encodes a value tree as Kafka Connect converters produce it: Map for records and maps, List
   * for arrays, boxed numbers, String, Boolean, byte[]/ByteBuffer, BigDecimal, and
   * java.util.Date/Instant/LocalDate/LocalDateTime/OffsetDateTime for timestamps and dates.
   */
  public byte[] encodeValue(Map<String, ?> record) throws EncodeException {
    return encodeTree(record, true);
  }

  /**
   * Encodes just the given top-level fields, without the required-field check. Protobuf merges
   * concatenated messages (a later scalar wins), so appending the result to an encoded record adds
   * these fields to it: the connector uses this for Kafka metadata columns on JSON and protobuf values.
   */
  public byte[] encodeFields(Map<String, ?> fields) throws EncodeException {
    return encodeTree(fields, false);
  }

  private byte[] encodeTree(Map<String, ?> tree, boolean whole) throws EncodeException {
    ProtoWriter w = writer();
    try {
      writeMessage(new ObjectSource(tree), root, w, "", whole);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("a value tree is in memory; reading it cannot fail", e);
    }
    return done(w);
  }

  /** How a request body holds several records. */
  public enum BatchFormat {
    /** One JSON object, or a JSON array of objects. */
    JSON,
    /** One JSON object per line (blank lines are skipped). */
    NDJSON
  }

  /** Rejections a batch keeps with their reasons; past this only their number is counted. */
  public static final int MAX_REPORTED_REJECTIONS = 100;

  /**
   * Records encoded from a batch, in order, and the first {@link #MAX_REPORTED_REJECTIONS} that
   * were not, with their index.
   *
   * @param positions each encoded record's index in the body, or null when every record was encoded
   * @param rejectedCount how many records were refused in all (the list holds the first ones)
   * @param total how many records the body held
   * @param single whether the body was one JSON object rather than an array or lines
   */
  public record Batch(List<byte[]> records, int[] positions, List<EncodeException> rejected, int rejectedCount,
      int total, boolean single) {
    public boolean allValid() {
      return rejectedCount == 0;
    }

    /** The index in the body of encoded record {@code i}. */
    public int position(int i) {
      return positions == null ? i : positions[i];
    }
  }

  /** Collects a batch as it is encoded: every record, but only the first rejections' reasons. */
  private static final class BatchBuilder {
    final List<byte[]> records = new ArrayList<>();
    final List<EncodeException> rejected = new ArrayList<>();
    int rejectedCount;
    int[] positions;

    void add(byte[] record, int index) {
      if (positions != null) {
        if (records.size() == positions.length) {
          positions = java.util.Arrays.copyOf(positions, positions.length * 2);
        }
        positions[records.size()] = index;
      }
      records.add(record);
    }

    void reject(EncodeException e, int index) {
      if (positions == null) {
        positions = new int[Math.max(16, records.size() * 2)];
        for (int i = 0; i < records.size(); i++) {
          positions[i] = i;
        }
      }
      if (rejectedCount++ < MAX_REPORTED_REJECTIONS) {
        rejected.add(e.at(index));
      }
    }

    Batch build(int total, boolean single) {
      return new Batch(records, positions, rejected, rejectedCount, total, single);
    }
  }

  /**
   * Encodes every record of a body, collecting per-record errors by index (the first
   * {@link #MAX_REPORTED_REJECTIONS}, and the count of all). Malformed JSON inside an array ends the
   * batch there (nothing after it can be found); in NDJSON only that line fails.
   */
  public Batch encodeBatch(byte[] body, BatchFormat format) throws EncodeException {
    return format == BatchFormat.NDJSON ? encodeLines(body) : encodeJson(body);
  }

  private Batch encodeJson(byte[] body) throws EncodeException {
    BatchBuilder batch = new BatchBuilder();
    int index = 0;
    try (JsonParser p = JSON.createParser(body)) {
      JsonToken t = p.nextToken();
      if (t == JsonToken.START_OBJECT) {
        batch.add(encodeObject(p), 0);
        if (p.nextToken() != null) {
          throw new EncodeException(table, null,
              "unexpected content after the record's closing '}' (send several records as a JSON array or NDJSON)");
        }
        return batch.build(1, true);
      }
      if (t != JsonToken.START_ARRAY) {
        throw new EncodeException(table, null, "the body must be a JSON object or an array of objects, got " + new JsonSource(p).describe());
      }
      JsonStreamContext array = p.getParsingContext();
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          throw new EncodeException(table, null, "the JSON array is not closed");
        }
        try {
          if (t != JsonToken.START_OBJECT) {
            throw new EncodeException(table, null, "a record must be a JSON object, got " + new JsonSource(p).describe());
          }
          batch.add(encodeObject(p), index);
        } catch (EncodeException e) {
          batch.reject(e, index);
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
      throw new EncodeException(table, null, "cannot read the body: " + Coercion.abbreviate(e.getMessage()));
    }
    return batch.build(index, false);
  }

  private Batch encodeLines(byte[] body) {
    BatchBuilder batch = new BatchBuilder();
    int index = 0;
    int start = 0;
    while (start < body.length) {
      int end = start;
      while (end < body.length && body[end] != '\n') {
        end++;
      }
      if (!blank(body, start, end)) {
        try {
          batch.add(encode(body, start, end - start), index);
        } catch (EncodeException e) {
          batch.reject(e, index);
        }
        index++;
      }
      start = end + 1;
    }
    return batch.build(index, false);
  }

  private static boolean blank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- the plan, walked over a value source

  /** Writes the object the source stands on; {@code whole} checks required fields (a partial record does not). */
  private void writeMessage(ValueSource src, MessagePlan plan, ProtoWriter w, String path, boolean whole)
      throws EncodeException, IOException {
    // Seen and present fields: bits of two longs up to 64 fields (no allocation), BitSets past that.
    boolean small = plan.fieldCount <= 64;
    long seenBits = 0;
    long presentBits = 0;
    BitSet seenSet = small ? null : new BitSet(plan.fieldCount);
    BitSet presentSet = small ? null : new BitSet(plan.fieldCount);
    src.enter();
    String name;
    while ((name = src.nextField()) != null) {
      if (src.keyNotString()) {
        throw new EncodeException(table, path.isEmpty() ? null : path, "record keys must be strings, got "
            + Coercion.abbreviate(name));
      }
      FieldPlan f = plan.byName.get(name);
      if (f == null) {
        if (options.ignoreUnknownFields()) {
          src.skip();
          continue;
        }
        throw unknownField(plan, path + Coercion.abbreviate(name));
      }
      boolean again;
      if (small) {
        long bit = 1L << f.index;
        again = (seenBits & bit) != 0;
        seenBits |= bit;
      } else {
        again = seenSet.get(f.index);
        seenSet.set(f.index);
      }
      if (again) {
        throw new EncodeException(table, path + f.name, "appears twice in one object");
      }
      if (src.kind() == Kind.NULL) {
        continue;
      }
      if (small) {
        presentBits |= 1L << f.index;
      } else {
        presentSet.set(f.index);
      }
      String fieldPath = path.isEmpty() ? f.name : path + f.name;
      if (f.map) {
        writeMap(src, f, w, fieldPath);
      } else if (f.repeated) {
        writeArray(src, f, w, fieldPath);
      } else {
        writeValue(src, f, w, fieldPath, true);
      }
    }
    if (whole) {
      for (FieldPlan f : plan.required) {
        if (small ? (presentBits & 1L << f.index) == 0 : !presentSet.get(f.index)) {
          throw new EncodeException(table, path + f.name, "is required but missing (or null)");
        }
      }
    }
  }

  private void writeArray(ValueSource src, FieldPlan f, ProtoWriter w, String path) throws EncodeException, IOException {
    if (src.kind() != Kind.ARRAY) {
      throw coercion.wrongType(path, "an array", src.describe());
    }
    ProtoWriter packed = f.packed ? new ProtoWriter(64) : null;
    int i = 0;
    src.enter();
    while (src.nextElement()) {
      String at = path + "[" + i++ + "]";
      if (src.kind() == Kind.NULL) {
        throw new EncodeException(table, at, "arrays cannot hold null");
      }
      writeValue(src, f, packed != null ? packed : w, at, packed == null);
    }
    if (packed != null && packed.size() > 0) {
      w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
      w.embed(packed);
    }
  }

  private void writeMap(ValueSource src, FieldPlan f, ProtoWriter w, String path) throws EncodeException, IOException {
    if (src.kind() != Kind.OBJECT) {
      throw coercion.wrongType(path, "an object (map)", src.describe());
    }
    FieldPlan key = f.nested.byNumber(1);
    FieldPlan value = f.nested.byNumber(2);
    ProtoWriter entry = new ProtoWriter(32);
    src.enter();
    String k;
    while ((k = src.nextField()) != null) {
      String at = path + "." + Coercion.abbreviate(k);
      if (src.keyNull() || src.kind() == Kind.NULL) {
        throw new EncodeException(table, at, "map keys and values cannot be null");
      }
      entry.reset();
      coercion.writeKey(entry, key, k, at);
      writeValue(src, value, entry, at, true);
      w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
      w.embed(entry);
    }
  }

  /** One (non-null) value of field f: a nested message here, a scalar through the coercion layer. */
  private void writeValue(ValueSource src, FieldPlan f, ProtoWriter w, String path, boolean tagged)
      throws EncodeException, IOException {
    if (f.message) {
      if (src.kind() != Kind.OBJECT) {
        throw coercion.wrongType(path, "an object", src.describe());
      }
      ProtoWriter child = new ProtoWriter(64);
      writeMessage(src, f.nested, child, path + ".", true);
      w.tag(f.number, ProtoWriter.LENGTH_DELIMITED);
      w.embed(child);
      return;
    }
    coercion.write(src, f, w, path, tagged);
  }

  private EncodeException unknownField(MessagePlan plan, String path) {
    List<String> names = plan.names;
    String list = names.size() <= 20 ? String.join(", ", names)
        : String.join(", ", names.subList(0, 20)) + ", … (" + (names.size() - 20) + " more)";
    return EncodeException.unknownField(table, path, "is not a field of " + (plan == root ? "the table" : plan.name)
        + " (fields: " + list + ")");
  }

  private EncodeException malformed(Exception e) {
    String message = e instanceof JsonParseException jpe
        ? Coercion.abbreviate(jpe.getOriginalMessage()) + " (line " + jpe.getLocation().getLineNr() + ", column "
            + jpe.getLocation().getColumnNr() + ")"
        : Coercion.abbreviate(e.getMessage());
    return new EncodeException(table, null, "malformed JSON: " + message);
  }
}
