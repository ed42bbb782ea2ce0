package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.table.TableRegistry;
import dev.zerobus.station.core.testing.ScriptedZerobus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link ZerobusSinkTask} over core's scripted Zerobus and a recording stand-in for Connect's side,
 * no server and no Kafka, with what a test asks of them: preCommit as plain offsets, records handed
 * over as Connect's consumer would, and the Kafka offsets of the rows Zerobus acknowledged.
 */
abstract class ScriptedTaskTest {
  static final TopicPartition TP = new TopicPartition("t", 0);
  static final TopicPartition OTHER = new TopicPartition("t", 1);

  @TempDir
  Path dir;
  final ScriptedZerobus zerobus = new ScriptedZerobus();
  final RecordingContext context = new RecordingContext();
  ZerobusSinkTask task;
  TableRegistry registry;

  @AfterEach
  void stopTask() {
    if (task != null) {
      task.stop();
    }
  }

  /** A task on topic t (partitions 0 and 1) into the events table, its streams over the scripted Zerobus. */
  void startTask(Map<String, String> settings) {
    Map<String, String> props = new HashMap<>();
    props.put("topics", TP.topic());
    props.put(ZerobusSinkConfig.TOPIC_TABLES, TP.topic() + ":events");
    props.put(ZerobusSinkConfig.CONFIG_FILE, TestTables.writeWithoutServers(dir).toString());
    props.put(ZerobusSinkConfig.CLIENT_ID, "scripted-client");
    props.put(ZerobusSinkConfig.CLIENT_SECRET, "scripted-secret");
    props.putAll(settings);
    task = new ZerobusSinkTask(Map.of(), (tables, credentials, streamSettings, trustedWorkspace) -> {
      registry = tables;
      return new StreamManager(tables, zerobus, streamSettings);
    });
    task.initialize(context);
    task.start(props);
    context.assignment.addAll(List.of(TP, OTHER));
    task.open(List.of(TP, OTHER));
  }

  /** Waits for observable state; the generous limit is for a loaded build machine, not for the code. */
  static ConditionFactory await() {
    return Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20));
  }

  /** preCommit as Connect calls it (the consumer's positions do not matter to the task), as plain offsets. */
  Map<TopicPartition, Long> commit(TopicPartition... partitions) {
    Map<TopicPartition, OffsetAndMetadata> current = new HashMap<>();
    for (TopicPartition tp : partitions) {
      current.put(tp, new OffsetAndMetadata(0));
    }
    Map<TopicPartition, Long> out = new HashMap<>();
    task.preCommit(current).forEach((tp, offset) -> out.put(tp, offset.offset()));
    return out;
  }

  /** Puts records of partition 0 and waits until preCommit covers them: the durable start a test builds on. */
  void putAndAwaitCommit(long from, int n) {
    task.put(events(TP, from, n));
    await().untilAsserted(() -> assertEquals(Map.of(TP, from + n), commit(TP)));
  }

  /** Puts records and waits until Zerobus has been handed them (with acks held: in flight, not acknowledged). */
  void putInFlight(List<SinkRecord> records) {
    int before = sent();
    task.put(records);
    await().until(() -> sent() == before + records.size());
  }

  /** Hands records over as Connect's consumer does; returns where it reads next (where the task rewound it, if it did). */
  long putAsConnect(TopicPartition tp, long from, int n) {
    task.put(events(tp, from, n));
    Long rewound = context.offsets.remove(tp);
    return rewound != null ? rewound : from + n;
  }

  /** The failure put() reports now, or null. */
  ConnectException putFailure() {
    try {
      task.put(List.of());
      return null;
    } catch (ConnectException e) {
      return e;
    }
  }

  static List<SinkRecord> events(TopicPartition tp, long from, int n) {
    List<SinkRecord> out = new ArrayList<>();
    for (long offset = from; offset < from + n; offset++) {
      out.add(event(tp, offset, "k-" + offset));
    }
    return out;
  }

  static SinkRecord event(TopicPartition tp, long offset, String device) {
    String json = "{\"device_name\":\"" + device + "\",\"temp\":1,\"humidity\":" + offset + "}";
    return new SinkRecord(tp.topic(), tp.partition(), null, null, null, json, offset);
  }

  static boolean carries(byte[] encoded, String text) {
    return new String(encoded, StandardCharsets.ISO_8859_1).contains(text);
  }

  /** Records Zerobus was handed, acknowledged or not. */
  int sent() {
    return zerobus.callSizes().stream().mapToInt(Integer::intValue).sum();
  }

  /** The Kafka offsets of the partition's rows Zerobus acknowledged, sorted, copies included. */
  List<Long> landed(TopicPartition tp) {
    Descriptor row = registry.find("events").orElseThrow().descriptor();
    List<Long> offsets = new ArrayList<>();
    for (byte[] bytes : zerobus.landed()) {
      DynamicMessage m;
      try {
        m = DynamicMessage.parseFrom(row, bytes);
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError("a row that is not an events row landed", e);
      }
      if ((int) m.getField(row.findFieldByName("_kafka_partition")) == tp.partition()) {
        offsets.add((long) m.getField(row.findFieldByName("_kafka_offset")));
      }
    }
    offsets.sort(null);
    return offsets;
  }

  static List<Long> range(long from, long to) {
    return LongStream.range(from, to).boxed().toList();
  }
}
