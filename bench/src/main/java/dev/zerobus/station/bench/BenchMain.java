package dev.zerobus.station.bench;

import com.databricks.zerobus.StreamConfigurationOptions;
import com.databricks.zerobus.ZerobusProtoStream;
import com.databricks.zerobus.ZerobusSdk;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Throughput benchmarks against the emulator running as a child process. Each prints a Markdown
 * table; every ratio in docs/performance.md comes from one run of one of these.
 *
 * <pre>
 * java -jar bench/target/zerobus-bench.jar sdk [records]
 * java -jar bench/target/zerobus-bench.jar encoder
 * java -jar bench/target/zerobus-bench.jar encoder-ab older-zerobus-bench.jar [rounds]
 * java -jar bench/target/zerobus-bench.jar bridge [sdk records] [seconds per wrk run] [streams per table, e.g. 1,2,4]
 * java -jar bench/target/zerobus-bench.jar connector [records] [streams per table, e.g. 1,2,4]
 * java -jar bench/target/zerobus-bench.jar commits [records] [rounds]
 * java -jar bench/target/zerobus-bench.jar overload [seconds] [ack delay ms]
 * java -jar bench/target/zerobus-bench.jar latency [requests/s] [seconds] [connections]
 * java -jar bench/target/zerobus-bench.jar alter [requests/s] [seconds]
 * </pre>
 */
public final class BenchMain {
  static final Path EMULATOR_JAR = Path.of("emulator/target/zerobus-emulator.jar");

  private static final String USAGE = "usage: zerobus-bench sdk [records] | encoder | encoder-ab <older bench jar> [rounds]"
      + " | bridge [sdk records] [seconds per run] [streams per table list, default 1,2,4]"
      + " | connector [records] [streams per table list, default 1,2,4]"
      + " | commits [records, default 2000000] [rounds, default 5] | overload [seconds, default 120] [ack delay ms, default 1000]"
      + " | profile [seconds, default 30] [wait_for_ack, default false]"
      + " | startup [tables, default 300] [rounds, default 3]"
      + " | latency [requests/s, default 5000] [seconds, default 30] [connections, default 64]"
      + " | alter [requests/s, default 1000] [seconds, default 40]";

  public static void main(String[] args) throws Exception {
    String which = args.length > 0 ? args[0] : "sdk";
    int records = args.length > 1 && !which.equals("encoder-ab") ? Integer.parseInt(args[1]) : 1_000_000;
    switch (which) {
      case "sdk":
        sdk(records);
        break;
      case "encoder":
        encoder();
        break;
      case "encoder-ab":
        EncoderAb.run(Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 15);
        break;
      case "connector":
        ConnectorBench.run(args.length > 1 ? records : 500_000, streams(args, 2));
        break;
      case "commits":
        ConnectorBench.commits(args.length > 1 ? records : 2_000_000, args.length > 2 ? Integer.parseInt(args[2]) : 5);
        break;
      case "bridge":
        BridgeBench.run(args.length > 1 ? records : 300_000, args.length > 2 ? Integer.parseInt(args[2]) : 15, 64,
            streams(args, 3));
        break;
      case "profile":
        ProfileBench.run(args.length > 1 ? Integer.parseInt(args[1]) : 30,
            args.length > 2 && Boolean.parseBoolean(args[2]));
        break;
      case "startup":
        StartupBench.run(args.length > 1 ? Integer.parseInt(args[1]) : 300, args.length > 2 ? Integer.parseInt(args[2]) : 3);
        break;
      case "latency":
        LatencyBench.run(args.length > 1 ? Integer.parseInt(args[1]) : 5000,
            args.length > 2 ? Integer.parseInt(args[2]) : 30, args.length > 3 ? Integer.parseInt(args[3]) : 64);
        break;
      case "alter":
        AlterBench.run(args.length > 1 ? Integer.parseInt(args[1]) : 1000, args.length > 2 ? Integer.parseInt(args[2]) : 40);
        break;
      case "overload":
        OverloadBench.run(args.length > 1 ? Integer.parseInt(args[1]) : 120,
            args.length > 2 ? Long.parseLong(args[2]) : 1000, 64);
        break;
      default:
        System.err.println(USAGE);
        System.exit(2);
    }
  }

  /** A streams-per-table list such as "1,2,4" at {@code args[index]}, default 1,2,4. */
  private static List<Integer> streams(String[] args, int index) {
    List<Integer> out = new ArrayList<>();
    for (String n : (args.length > index ? args[index] : "1,2,4").split(",")) {
      out.add(Integer.parseInt(n.trim()));
    }
    return out;
  }

  /** JSON to protobuf: the core encoder against Jackson tree + DynamicMessage, with JMH (1 fork, 5 x 2 s). */
  static void encoder() throws Exception {
    Options options = new OptionsBuilder()
        .include(EncoderBench.class.getName())
        .forks(1)
        .warmupIterations(3).warmupTime(TimeValue.seconds(2))
        .measurementIterations(5).measurementTime(TimeValue.seconds(2))
        .jvmArgs("-Xmx1g")
        .build();
    Map<String, Map<String, Result<?>>> byShape = new TreeMap<>();
    for (RunResult run : new Runner(options).run()) {
      String shape = run.getParams().getParam("shape");
      String method = run.getParams().getBenchmark().substring(run.getParams().getBenchmark().lastIndexOf('.') + 1);
      byShape.computeIfAbsent(shape, k -> new TreeMap<>()).put(method, run.getPrimaryResult());
    }
    System.out.println();
    System.out.println("| shape | JSON bytes/record | core records/s | core MB/s | Jackson tree + DynamicMessage records/s | MB/s | core / baseline |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    for (Map.Entry<String, Map<String, Result<?>>> e : byShape.entrySet()) {
      double bytes = EncoderBench.averageBytes(e.getKey());
      Result<?> core = e.getValue().get("core");
      Result<?> base = e.getValue().get("jacksonDynamicMessage");
      System.out.printf("| %s | %.0f | %,.0f ± %,.0f | %.1f | %,.0f ± %,.0f | %.1f | %.2f |%n", e.getKey(), bytes,
          core.getScore(), core.getScoreError(), core.getScore() * bytes / 1e6,
          base.getScore(), base.getScoreError(), base.getScore() * bytes / 1e6, core.getScore() / base.getScore());
    }
    Result<?> huge = byShape.getOrDefault("station_one", Map.of()).get("refuseHugeNumbers");
    if (huge != null) {
      System.out.printf("%nRefusing {\"temp\":1e1000000} and {\"temp\":9e999999999} (400, out of range): %,.0f pairs/s,"
          + " %.2f µs per refused record%n", huge.getScore(), 1e6 / huge.getScore() / 2);
    }
  }

  /**
   * The SDK driven directly, one record per call, then batches of 1000: against the landing
   * emulator, then against the discard emulator (the SDK's own ceiling on this machine).
   */
  static void sdk(int n) throws Exception {
    List<byte[]> rows = stationOneRows(n);
    List<Measure.Result> results = new ArrayList<>();
    for (boolean discard : new boolean[] {false, true}) {
      try (EmulatorProcess emulator = EmulatorProcess.start(EMULATOR_JAR, discard);
          ZerobusSdk sdk = new ZerobusSdk(emulator.endpoint(), emulator.workspaceUrl())) {
        warmUp(sdk, emulator, rows);
        results.add(single(sdk, emulator, "sdk.single", rows));
        results.add(batched(sdk, emulator, "sdk.batch", rows, 1000));
      }
    }
    System.out.printf("SDK %s against the emulator, %,d station_one records per run, %d cores; client = this JVM%n",
        "1.0.1", n, Runtime.getRuntime().availableProcessors());
    System.out.println(Measure.Result.header());
    results.forEach(r -> System.out.println(r.row()));
    System.out.printf("batch/single throughput ratio: %.1f (landing emulator), %.1f (discard emulator)%n",
        results.get(1).recordsPerSecond() / results.get(0).recordsPerSecond(),
        results.get(3).recordsPerSecond() / results.get(2).recordsPerSecond());
    System.out.printf("landing / discard emulator: %.2f (single records), %.2f (batches)%n",
        results.get(0).recordsPerSecond() / results.get(2).recordsPerSecond(),
        results.get(1).recordsPerSecond() / results.get(3).recordsPerSecond());
  }

  private static void warmUp(ZerobusSdk sdk, EmulatorProcess emulator, List<byte[]> rows) throws Exception {
    List<byte[]> some = rows.subList(0, Math.min(rows.size(), 50_000));
    single(sdk, emulator, "warmup.single", some);
    batched(sdk, emulator, "warmup.batch", some, 1000);
  }

  static Measure.Result single(ZerobusSdk sdk, EmulatorProcess emulator, String table, List<byte[]> rows)
      throws Exception {
    ZerobusProtoStream stream = open(sdk, emulator, table);
    Measure m = new Measure(emulator);
    for (byte[] row : rows) {
      stream.ingestRecordOffset(row);
    }
    stream.flush();
    Measure.Result r = m.stop("SDK ingestRecordOffset, 1 record/call, " + emulator.kind(), rows.size());
    stream.close();
    emulator.assertRows("bench." + table, rows.size());
    return r;
  }

  static Measure.Result batched(ZerobusSdk sdk, EmulatorProcess emulator, String table, List<byte[]> rows, int size)
      throws Exception {
    ZerobusProtoStream stream = open(sdk, emulator, table);
    Measure m = new Measure(emulator);
    for (int i = 0; i < rows.size(); i += size) {
      stream.ingestRecordsOffset(rows.subList(i, Math.min(rows.size(), i + size)));
    }
    stream.flush();
    Measure.Result r = m.stop("SDK ingestRecordsOffset, " + size + " records/call, " + emulator.kind(), rows.size());
    stream.close();
    emulator.assertRows("bench." + table, rows.size());
    return r;
  }

  static ZerobusProtoStream open(ZerobusSdk sdk, EmulatorProcess emulator, String table) throws Exception {
    StreamConfigurationOptions options = StreamConfigurationOptions.builder().setFlushTimeoutMs(600_000).build();
    return sdk.createProtoStream("bench." + table, stationOne(), emulator.clientId(), emulator.clientSecret(), options)
        .get(60, TimeUnit.SECONDS);
  }

  /** The seed's station_one table: device_name STRING, temp INT, humidity BIGINT. */
  static DescriptorProto stationOne() {
    return DescriptorProto.newBuilder().setName("StationOne")
        .addField(field("device_name", 1, FieldDescriptorProto.Type.TYPE_STRING))
        .addField(field("temp", 2, FieldDescriptorProto.Type.TYPE_INT32))
        .addField(field("humidity", 3, FieldDescriptorProto.Type.TYPE_INT64))
        .build();
  }

  private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
        .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL).build();
  }

  /** Pre-encoded rows, so the runs time the SDK and the server, not the encoding. */
  static List<byte[]> stationOneRows(int n) throws IOException {
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(32);
      CodedOutputStream c = CodedOutputStream.newInstance(bytes);
      c.writeString(1, "sensor-" + (i % 1000));
      c.writeInt32(2, 15 + i % 20);
      c.writeInt64(3, 40 + i % 50);
      c.flush();
      out.add(bytes.toByteArray());
    }
    return out;
  }
}
