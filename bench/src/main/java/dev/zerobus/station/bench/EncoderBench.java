package dev.zerobus.station.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.errors.EncodeException;
import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JSON record to protobuf bytes: the core encoder against the obvious baseline, Jackson's tree
 * model into a DynamicMessage. One operation encodes one record; records cycle through 1,024
 * pre-generated ones so the branch predictor does not learn a single input.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EncoderBench {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Param({"station_one", "wide_30"})
  public String shape;

  private TableDefinition table;
  private TableDefinition stationOne;
  private Descriptor descriptor;
  private List<byte[]> records;
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    TableRegistry tables = tables();
    table = tables.find(shape).orElseThrow();
    stationOne = tables.find("station_one").orElseThrow();
    descriptor = table.descriptor();
    records = records(shape, 1024);
  }

  @Benchmark
  public byte[] core() throws EncodeException {
    return table.encoder().encode(nextRecord());
  }

  private static final byte[] HUGE_EXPONENT = "{\"device_name\":\"e\",\"temp\":1e1000000}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] HUGER_EXPONENT = "{\"temp\":9e999999999}".getBytes(StandardCharsets.UTF_8);

  /**
   * Refusing numbers whose text would expand to millions of digits: the encoder judges them from
   * their text, so this must cost about as much as encoding a small record (not seconds).
   */
  @Benchmark
  public int refuseHugeNumbers() {
    TableDefinition station = stationOne;
    int refused = 0;
    for (byte[] json : new byte[][] {HUGE_EXPONENT, HUGER_EXPONENT}) {
      try {
        station.encoder().encode(json);
      } catch (EncodeException e) {
        refused++;
      }
    }
    if (refused != 2) {
      throw new IllegalStateException("a huge number was accepted");
    }
    return refused;
  }

  @Benchmark
  public byte[] jacksonDynamicMessage() throws IOException {
    JsonNode tree = MAPPER.readTree(nextRecord());
    DynamicMessage.Builder b = DynamicMessage.newBuilder(descriptor);
    for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      FieldDescriptor f = descriptor.findFieldByName(e.getKey());
      JsonNode v = e.getValue();
      switch (f.getJavaType()) {
        case INT:
          b.setField(f, v.intValue());
          break;
        case LONG:
          b.setField(f, v.longValue());
          break;
        case FLOAT:
          b.setField(f, v.floatValue());
          break;
        case DOUBLE:
          b.setField(f, v.doubleValue());
          break;
        case BOOLEAN:
          b.setField(f, v.booleanValue());
          break;
        default:
          b.setField(f, v.textValue());
      }
    }
    return b.build().toByteArray();
  }

  private byte[] nextRecord() {
    byte[] r = records.get(next);
    next = (next + 1) & 1023;
    return r;
  }

  /** Average JSON size of a shape's records, for MB/s. */
  static double averageBytes(String shape) {
    return records(shape, 1024).stream().mapToInt(r -> r.length).average().orElse(0);
  }

  static TableRegistry tables() {
    StringBuilder wide = new StringBuilder("[");
    for (int i = 1; i <= 30; i++) {
      String type = i <= 10 ? "string" : i <= 20 ? "int64" : i <= 25 ? "double" : i <= 28 ? "bool" : "int32";
      wide.append(i > 1 ? "," : "").append("{\"name\": \"c").append(i).append("\", \"type\": \"").append(type)
          .append("\", \"field_num\": ").append(i).append("}");
    }
    wide.append("]");
    String config = "{\"databricks\": {\"server_endpoint\": \"http://127.0.0.1:1\", \"workspace_url\": \"http://127.0.0.1:2\"},"
        + " \"tables\": {"
        + "\"station_one\": {\"table_name\": \"bench.enc.station_one\", \"message_name\": \"StationOne\", \"fields\": ["
        + "{\"name\": \"device_name\", \"type\": \"string\", \"proto_type\": \"optional string\", \"field_num\": 1},"
        + "{\"name\": \"temp\", \"type\": \"int32\", \"proto_type\": \"optional int32\", \"field_num\": 2},"
        + "{\"name\": \"humidity\", \"type\": \"int64\", \"proto_type\": \"optional int64\", \"field_num\": 3}]},"
        + "\"wide_30\": {\"table_name\": \"bench.enc.wide_30\", \"message_name\": \"Wide\", \"fields\": " + wide + "}}}";
    StationConfig parsed = StationConfig.parse(config, Path.of("bench-config.json"), Path.of("no-tables"), Env.of(Map.of()));
    return TableRegistry.build(parsed, EncoderOptions.STRICT);
  }

  static List<byte[]> records(String shape, int n) {
    Random r = new Random(7);
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String json;
      if (shape.equals("station_one")) {
        json = "{\"device_name\": \"sensor-" + r.nextInt(1000) + "\", \"temp\": " + (r.nextInt(60) - 10)
            + ", \"humidity\": " + r.nextInt(100) + "}";
      } else {
        StringBuilder s = new StringBuilder("{");
        for (int c = 1; c <= 30; c++) {
          s.append(c > 1 ? ", " : "").append("\"c").append(c).append("\": ");
          if (c <= 10) {
            s.append("\"value-").append(r.nextInt(100_000)).append("-").append("abcdefgh", 0, 1 + r.nextInt(8)).append('"');
          } else if (c <= 20) {
            s.append(r.nextLong() >> r.nextInt(60));
          } else if (c <= 25) {
            s.append(r.nextDouble() * 1000);
          } else if (c <= 28) {
            s.append(r.nextBoolean());
          } else {
            s.append(r.nextInt(100_000));
          }
        }
        json = s.append("}").toString();
      }
      out.add(json.getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }
}
