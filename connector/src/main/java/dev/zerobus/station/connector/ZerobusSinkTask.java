package dev.zerobus.station.connector;

import dev.zerobus.station.core.config.Credentials;
import dev.zerobus.station.core.config.Env;
import dev.zerobus.station.core.config.StationConfig;
import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.delivery.StreamManager;
import dev.zerobus.station.core.sdk.SdkZerobusClient;
import dev.zerobus.station.core.table.TableRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connect's side of the sink, kept thin: lifecycle and offsets in, everything else in
 * {@link ZerobusWriter} and its helpers. Offsets are committed through {@link #preCommit} only up
 * to records Zerobus has made durable (at-least-once; see docs/connector.md). Its stream manager
 * comes from a {@link StreamsFactory}: the Zerobus SDK's when Connect creates the task, one over a
 * scripted Zerobus in unit tests.
 */
public class ZerobusSinkTask extends SinkTask {
  private static final Logger log = LoggerFactory.getLogger(ZerobusSinkTask.class);

  /** Makes the task's stream manager: over the Zerobus SDK when Connect runs the task, over a scripted Zerobus in tests. */
  @FunctionalInterface
  interface StreamsFactory {
    /** @param trustedWorkspace whether the workspace's answers may be repeated in messages (see CredentialScope) */
    StreamManager create(TableRegistry registry, Credentials credentials, StreamSettings settings,
        boolean trustedWorkspace);
  }

  private final Map<String, String> workerEnvironment;
  private final StreamsFactory streamsFactory;
  private ZerobusWriter writer;
  private SinkMetrics metrics;

  public ZerobusSinkTask() {
    this(System.getenv());
  }

  /** @param workerEnvironment stands in for the worker's process environment (tests) */
  ZerobusSinkTask(Map<String, String> workerEnvironment) {
    this(workerEnvironment, SdkZerobusClient::streamManager);
  }

  /** @param streamsFactory where the task's stream manager comes from (tests pass one over a scripted Zerobus) */
  ZerobusSinkTask(Map<String, String> workerEnvironment, StreamsFactory streamsFactory) {
    this.workerEnvironment = Map.copyOf(workerEnvironment);
    this.streamsFactory = streamsFactory;
  }

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    ZerobusSinkConfig config = new ZerobusSinkConfig(props);
    Env env = StationSetup.env(config, workerEnvironment);
    TableRegistry registry;
    Credentials credentials;
    CredentialScope scope;
    try {
      StationConfig station = StationSetup.station(config, env);
      scope = CredentialScope.check(config, workerEnvironment, env, station.databricks());
      registry = StationSetup.registry(config, station, env, scope);
      credentials = Credentials.from(env);
    } catch (dev.zerobus.station.core.errors.ConfigException e) {
      throw new ConnectException(e.getMessage(), e);
    }
    metrics = new SinkMetrics(pluginMetrics(), registry.keys());
    StreamManager streams = streamsFactory.create(registry, credentials, config.streamSettings(),
        scope.workspaceTrusted());
    TableRouter router = new TableRouter(config.topicTables(), config.getString(ZerobusSinkConfig.TOPIC_TABLE_REGEX),
        config.getString(ZerobusSinkConfig.TOPIC_TABLE_REPLACEMENT), registry);
    RecordConverter converter = new RecordConverter(config.valueFormat(), config.metadataColumns(),
        config.rejectMapIntegers(), config.failEmptyValues(), metrics::empty);
    boolean tolerate = "all".equalsIgnoreCase(props.getOrDefault("errors.tolerance", "none").trim());
    Backpressure backpressure = new Backpressure(context, config.getLong(ZerobusSinkConfig.RETRY_BACKOFF_MS), metrics);
    CommitPoints commitPoints = new CommitPoints(streams, router, config.getBoolean(ZerobusSinkConfig.FLUSH_ON_COMMIT),
        Duration.ofMillis(config.getLong(ZerobusSinkConfig.FLUSH_TIMEOUT_MS)));
    CommitRequests commitRequests = new CommitRequests(context, commitPoints,
        config.getLong(ZerobusSinkConfig.COMMIT_REQUEST_MS), metrics, backpressure);
    writer = new ZerobusWriter(config, streams, router, converter, metrics,
        new DeadLetters(errantRecordReporter(), tolerate, metrics), backpressure, commitPoints, commitRequests);
    metrics.watch(streams, commitPoints::behind);
    log.info("Zerobus sink task started: tables {}", registry.keys());
  }

  @Override
  public void open(Collection<TopicPartition> partitions) {
    writer.open(partitions);
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    writer.write(records);
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    return writer.committable(currentOffsets);
  }

  @Override
  public void close(Collection<TopicPartition> partitions) {
    if (writer != null) {
      writer.close(partitions);
    }
  }

  @Override
  public void stop() {
    if (writer != null) {
      writer.close();
    }
    if (metrics != null) {
      metrics.close();
    }
  }

  private ErrantRecordReporter errantRecordReporter() {
    try {
      return context.errantRecordReporter();
    } catch (NoSuchMethodError | NoClassDefFoundError e) {
      return null; // a worker older than Kafka 2.6
    }
  }

  private org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() {
    try {
      return context.pluginMetrics();
    } catch (LinkageError | UnsupportedOperationException e) {
      log.info("this worker has no plugin metrics (Kafka < 4.1); the task's metrics are not exported");
      return null;
    }
  }
}
