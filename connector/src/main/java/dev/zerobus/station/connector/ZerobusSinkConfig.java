package dev.zerobus.station.connector;

import dev.zerobus.station.core.config.Settings;
import dev.zerobus.station.core.config.Settings.Section;
import dev.zerobus.station.core.config.Settings.Setting;
import dev.zerobus.station.core.config.StreamSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Every setting of the sink, with its group, documentation, validator and recommender. The
 * reference in docs/connector-config.md is generated from {@link #CONFIG_DEF} (see {@link ConfigDocs}).
 */
public final class ZerobusSinkConfig extends AbstractConfig {
  static final String GROUP_TABLES = "Tables";
  static final String GROUP_ZEROBUS = "Zerobus";
  static final String GROUP_ROUTING = "Routing";
  static final String GROUP_RECORDS = "Records";
  static final String GROUP_DELIVERY = "Delivery";
  static final String GROUP_STREAMS = "Streams";

  public static final String CONFIG_FILE = "zerobus.config.file";
  public static final String CONFIG_JSON = "zerobus.config.json";
  public static final String TABLES_DIR = "zerobus.tables.dir";
  public static final String SERVER_ENDPOINT = "zerobus.server.endpoint";
  public static final String WORKSPACE_URL = "zerobus.workspace.url";
  public static final String WORKSPACE_ID = "zerobus.workspace.id";
  public static final String CLIENT_ID = "zerobus.client.id";
  public static final String CLIENT_SECRET = "zerobus.client.secret";
  public static final String VALIDATE_CREDENTIALS = "validate.credentials";
  public static final String TOPIC_TABLES = "topic.tables";
  public static final String TOPIC_TABLE_REGEX = "topic.table.regex";
  public static final String TOPIC_TABLE_REPLACEMENT = "topic.table.replacement";
  public static final String VALUE_FORMAT = "value.format";
  public static final String NULL_VALUES = "null.values";
  public static final String METADATA_COLUMNS = "metadata.columns";
  public static final String EMPTY_VALUES = "empty.values";
  public static final String MAP_INTEGERS = "map.integers";
  public static final String DEFAULT_METADATA_COLUMNS = "topic:_kafka_topic,partition:_kafka_partition,offset:_kafka_offset";
  public static final String FLUSH_ON_COMMIT = "flush.on.commit";
  public static final String FLUSH_TIMEOUT_MS = "flush.timeout.ms";
  public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
  public static final String COMMIT_REQUEST_MS = "commit.request.ms";

  /** How String and byte[] values are read. */
  public enum ValueFormat {
    /** JSON when the value starts with '{' (a protobuf record never does), protobuf otherwise. */
    AUTO,
    JSON,
    /** Already-encoded protobuf bytes of the table's message; checked against the descriptor. */
    PROTOBUF
  }

  /** What a record with a null value (a tombstone) does. */
  public enum NullValues {
    IGNORE,
    FAIL
  }

  /** Kafka metadata a table may have columns for. */
  public enum MetadataKind {
    TOPIC,
    PARTITION,
    OFFSET,
    TIMESTAMP,
    KEY
  }

  /** Core's settings a connector's author should look at first; the others are for tuning. */
  private static final Set<Setting> MEDIUM_IMPORTANCE = EnumSet.of(Setting.STREAMS_PER_TABLE, Setting.UNKNOWN_FIELDS);

  public static final ConfigDef CONFIG_DEF = define();

  private static ConfigDef define() {
    ConfigDef def = new ConfigDef();
    int order = 0;
    def.define(CONFIG_FILE, Type.STRING, "", Importance.HIGH,
        "Path of the station's config.json (the same file the REST bridge reads): Databricks endpoints and the tables, "
            + "with their schemas in tables/<key>/schema.proto beside it (or in zerobus.tables.dir). "
            + "Set this or zerobus.config.json.",
        GROUP_TABLES, ++order, Width.LONG, "Config file");
    def.define(CONFIG_JSON, Type.STRING, "", Importance.HIGH,
        "The same config.json content inline, for workers that cannot see a file. Tables declared this way need "
            + "their fields[] list unless zerobus.tables.dir holds their schema.proto.",
        GROUP_TABLES, ++order, Width.LONG, "Config JSON");
    def.define(TABLES_DIR, Type.STRING, "", Importance.LOW,
        "Folder of <table key>/schema.proto files. Default: tables/ beside the config file.",
        GROUP_TABLES, ++order, Width.LONG, "Tables folder");
    defineShared(def, Section.TABLES, GROUP_TABLES, order);

    order = 0;
    def.define(SERVER_ENDPOINT, Type.STRING, "", Importance.HIGH,
        "Zerobus endpoint, e.g. https://<workspace-id>.zerobus.<region>.cloud.databricks.com; "
            + "overrides databricks.server_endpoint of the config file. Must be https (or a bare host name) unless it "
            + "is a loopback address or the worker's own ZEROBUS_SERVER_ENDPOINT.",
        GROUP_ZEROBUS, ++order, Width.LONG, "Zerobus endpoint");
    def.define(WORKSPACE_URL, Type.STRING, "", Importance.HIGH,
        "Workspace URL, where OAuth tokens come from; overrides databricks.workspace_url. The worker's own "
            + "credentials are only sent to the worker's DATABRICKS_WORKSPACE_URL or a URL in its "
            + "ZEROBUS_ALLOWED_WORKSPACE_URLS (docs/connector.md, \"Whose credentials go where\"); any other URL needs "
            + "zerobus.client.id and zerobus.client.secret of its own, and https unless it is a loopback address.",
        GROUP_ZEROBUS, ++order, Width.LONG, "Workspace URL");
    def.define(WORKSPACE_ID, Type.STRING, "", Importance.LOW,
        "Workspace id; overrides databricks.workspace_id.",
        GROUP_ZEROBUS, ++order, Width.MEDIUM, "Workspace id");
    def.define(CLIENT_ID, Type.STRING, "", Importance.HIGH,
        "Service principal client id. Empty: the worker's DATABRICKS_CLIENT_ID environment variable.",
        GROUP_ZEROBUS, ++order, Width.MEDIUM, "Client id");
    def.define(CLIENT_SECRET, Type.PASSWORD, "", Importance.HIGH,
        "Service principal secret. Empty: the worker's DATABRICKS_CLIENT_SECRET environment variable. "
            + "Prefer a config provider reference such as ${env:DATABRICKS_CLIENT_SECRET}; it is never logged. "
            + "A value equal to the worker's DATABRICKS_CLIENT_SECRET counts as the worker's secret and goes only "
            + "where the worker's does (see zerobus.workspace.url).",
        GROUP_ZEROBUS, ++order, Width.MEDIUM, "Client secret");
    def.define(VALIDATE_CREDENTIALS, Type.BOOLEAN, false, Importance.LOW,
        "When the connector config is validated (by the REST API's validate call and when a connector is created or "
            + "updated), also fetch an OAuth token from the workspace with these credentials; a refusal is reported on "
            + "zerobus.client.secret, an unreachable workspace on zerobus.workspace.url. Needs the worker that "
            + "validates to reach the workspace.",
        GROUP_ZEROBUS, ++order, Width.SHORT, "Check credentials on validation");

    order = 0;
    def.define(TOPIC_TABLES, Type.LIST, "", new TopicTablesValidator(), Importance.MEDIUM,
        "Explicit topic-to-table routes, topic:table_key pairs separated by commas. Checked first.",
        GROUP_ROUTING, ++order, Width.LONG, "Topic to table");
    def.define(TOPIC_TABLE_REGEX, Type.STRING, "", new RegexValidator(), Importance.MEDIUM,
        "A regular expression matched against the whole topic name; a matching topic goes to the table key "
            + "made by topic.table.replacement. Checked after topic.tables. Topics matching neither go to the "
            + "table whose key is the topic name.",
        GROUP_ROUTING, ++order, Width.LONG, "Topic regex");
    def.define(TOPIC_TABLE_REPLACEMENT, Type.STRING, "$1", Importance.MEDIUM,
        "The table key for a topic matching topic.table.regex; $1, $2 ... are its groups.",
        GROUP_ROUTING, ++order, Width.MEDIUM, "Table key replacement");

    order = 0;
    def.define(VALUE_FORMAT, Type.STRING, "auto", enumValidator(ValueFormat.values()), Importance.MEDIUM,
        "How String and byte[] values are read: json, protobuf (already-encoded bytes of the table's message, "
            + "checked against its schema), or auto (JSON when the value starts with '{', protobuf otherwise). "
            + "Struct values (any converter with schemas) and Map values (schemaless JSON) need no setting.",
        GROUP_RECORDS, ++order, Width.SHORT, "Value format", enumRecommender(ValueFormat.values()));
    def.define(NULL_VALUES, Type.STRING, "ignore", enumValidator(NullValues.values()), Importance.MEDIUM,
        "Records with a null value (tombstones): ignore them (their offsets are committed; counted in "
            + "records-skipped-total) or fail them (dead-letter queue or task failure, per errors.tolerance).",
        GROUP_RECORDS, ++order, Width.SHORT, "Null values", enumRecommender(NullValues.values()));
    order = defineShared(def, Section.RECORDS, GROUP_RECORDS, order);
    def.define(METADATA_COLUMNS, Type.LIST, DEFAULT_METADATA_COLUMNS, new MetadataColumnsValidator(), Importance.MEDIUM,
        "Kafka metadata written into columns, for downstream deduplication: kind:column pairs, kinds "
            + "topic, partition, offset, timestamp, key. A column is filled only in tables that have it (so the "
            + "default costs nothing for tables without these columns); the value's own field of that name is "
            + "overwritten. With topic, partition and offset columns every row names its Kafka record, so the "
            + "duplicates at-least-once delivery can bring are removed downstream (docs/connector.md). Empty: none.",
        GROUP_RECORDS, ++order, Width.LONG, "Metadata columns", enumRecommender(MetadataKind.values()));
    def.define(EMPTY_VALUES, Type.STRING, "land", ConfigDef.ValidString.in("land", "fail"), Importance.LOW,
        "A value that sets no column, such as {} (or only nulls): land it as a row of NULLs (plus any metadata "
            + "columns), or fail it (dead-letter queue or task failure, per errors.tolerance). Counted either way "
            + "in records-empty-total.",
        GROUP_RECORDS, ++order, Width.SHORT, "Empty values", recommender(List.of("land", "fail")));
    def.define(MAP_INTEGERS, Type.STRING, "reject", ConfigDef.ValidString.in("reject", "accept"), Importance.MEDIUM,
        "Map values come from JsonConverter with schemas.enable=false, which turns integers beyond 64 bits into wrong "
            + "numbers without an error (12345678901234567890 arrives as -6101065172474983726). reject: a Map value "
            + "holding an integer is refused (dead-letter queue or task failure), since none of its integers can be "
            + "trusted; use StringConverter or ByteArrayConverter instead, which keep the JSON text for the strict "
            + "encoder. accept: write them, for producers known never to send such integers.",
        GROUP_RECORDS, ++order, Width.SHORT, "Integers in Map values", recommender(List.of("reject", "accept")));

    order = 0;
    def.define(FLUSH_ON_COMMIT, Type.BOOLEAN, true, Importance.MEDIUM,
        "Before offsets are committed (and before partitions are given up in a rebalance), wait up to "
            + "flush.timeout.ms for the records put so far to become durable, so the commit covers them. "
            + "Off: commit only what is already durable, never waiting.",
        GROUP_DELIVERY, ++order, Width.SHORT, "Flush on commit");
    def.define(FLUSH_TIMEOUT_MS, Type.LONG, 2_000L, Range.atLeast(0), Importance.LOW,
        "The longest an offset commit waits for acknowledgements, and the longest the task's stop waits for its "
            + "streams to close; what is not durable by then is committed at the next commit (or read again by the "
            + "partition's next owner). A stopping task gets task.shutdown.graceful.timeout.ms (5 s by default) for "
            + "both, and a commit offset.flush.timeout.ms (5 s): keep twice this value below the first and this "
            + "value below the second, or raise those worker settings with it.",
        GROUP_DELIVERY, ++order, Width.SHORT, "Flush timeout (ms)");
    def.define(RETRY_BACKOFF_MS, Type.LONG, 1_000L, Range.atLeast(0), Importance.LOW,
        "When Zerobus cannot take records now (stream being replaced, in-flight and queue limits reached), the "
            + "partitions concerned are paused this long and then read again from the first record not taken "
            + "(logged once per episode as a WARN, not as an error).",
        GROUP_DELIVERY, ++order, Width.SHORT, "Retry backoff (ms)");
    // 500, not 1000: a crash re-sends the interval plus what is in flight plus a commit's round trip, and
    // at 1000 that measured up to 1.05 s of traffic (WorkerKillIT); at 500 at most 0.45 s.
    def.define(COMMIT_REQUEST_MS, Type.LONG, 500L, Range.atLeast(0), Importance.MEDIUM,
        "Ask Connect to commit offsets as soon as Zerobus has acknowledged more records, at most once per this many "
            + "ms and only when the durable offsets moved since the last request. A worker crash then re-sends about "
            + "this much traffic (plus what was in flight) instead of up to offset.flush.interval.ms of it. Such a "
            + "commit takes what is durable without waiting (flush.on.commit applies to the worker's own commits). "
            + "0: commit only when offset.flush.interval.ms comes round.",
        GROUP_DELIVERY, ++order, Width.SHORT, "Commit request interval (ms)");

    defineShared(def, Section.STREAMS, GROUP_STREAMS, 0);
    return def;
  }

  /**
   * Core's settings of one section, with their defaults, values and docs, under the same keys as the bridge's
   * options; a choice is checked by core's own rule, so both faces take the same words.
   *
   * @return the last order number used in the group
   */
  private static int defineShared(ConfigDef def, Section section, String group, int order) {
    for (Setting s : Setting.values()) {
      if (s.section() != section) {
        continue;
      }
      String display = Character.toUpperCase(s.key().charAt(0)) + s.key().substring(1).replace('.', ' ');
      Importance importance = MEDIUM_IMPORTANCE.contains(s) ? Importance.MEDIUM : Importance.LOW;
      if (s.allowed() instanceof Settings.Choice choice) {
        def.define(s.key(), Type.STRING, s.defaultValue(), new ChoiceValidator(s), importance, s.doc(), group,
            ++order, Width.SHORT, display, recommender(List.copyOf(choice.words())));
      } else if (s.allowed() instanceof Settings.Range range && range.fitsInt()) {
        def.define(s.key(), Type.INT, ((Long) s.defaultValue()).intValue(), Range.between((int) range.min(),
            (int) range.max()), importance, s.doc(), group, ++order, Width.SHORT, display);
      } else {
        Settings.Range range = (Settings.Range) s.allowed();
        def.define(s.key(), Type.LONG, s.defaultValue(), Range.between(range.min(), range.max()), importance, s.doc(),
            group, ++order, Width.SHORT, display);
      }
    }
    return order;
  }

  public ZerobusSinkConfig(Map<String, String> props) {
    super(CONFIG_DEF, props);
    if (getString(CONFIG_FILE).isBlank() == getString(CONFIG_JSON).isBlank()) {
      throw new ConfigException(CONFIG_FILE, getString(CONFIG_FILE),
          "set exactly one of " + CONFIG_FILE + " and " + CONFIG_JSON);
    }
  }

  public ValueFormat valueFormat() {
    return ValueFormat.valueOf(getString(VALUE_FORMAT).toUpperCase(Locale.ROOT));
  }

  public NullValues nullValues() {
    return NullValues.valueOf(getString(NULL_VALUES).toUpperCase(Locale.ROOT));
  }

  public boolean rejectMapIntegers() {
    return getString(MAP_INTEGERS).equalsIgnoreCase("reject");
  }

  public boolean failEmptyValues() {
    return getString(EMPTY_VALUES).equalsIgnoreCase("fail");
  }

  public String clientSecret() {
    Password p = getPassword(CLIENT_SECRET);
    return p == null ? "" : p.value();
  }

  /** Explicit routes, topic to table key, in the order given. */
  public Map<String, String> topicTables() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : getList(TOPIC_TABLES)) {
      String[] kv = pair.split(":", 2);
      out.put(kv[0].trim(), kv[1].trim());
    }
    return out;
  }

  public Map<MetadataKind, String> metadataColumns() {
    Map<MetadataKind, String> out = new LinkedHashMap<>();
    for (String pair : getList(METADATA_COLUMNS)) {
      String[] kv = pair.split(":", 2);
      out.put(MetadataKind.valueOf(kv[0].trim().toUpperCase(Locale.ROOT)), kv[1].trim());
    }
    return out;
  }

  /** Core's settings both faces share, as this connector's settings give them. */
  public Settings settings() {
    return Settings.parse(setting -> String.valueOf(get(setting.key())), Setting::key);
  }

  public StreamSettings streamSettings() {
    return settings().streams();
  }

  private static <E extends Enum<E>> ConfigDef.Validator enumValidator(E[] values) {
    return ConfigDef.CaseInsensitiveValidString.in(names(values).toArray(new String[0]));
  }

  private static <E extends Enum<E>> ConfigDef.Recommender enumRecommender(E[] values) {
    return recommender(new ArrayList<>(names(values)));
  }

  private static ConfigDef.Recommender recommender(List<Object> names) {
    return new ConfigDef.Recommender() {
      @Override
      public List<Object> validValues(String name, Map<String, Object> parsed) {
        return names;
      }

      @Override
      public boolean visible(String name, Map<String, Object> parsed) {
        return true;
      }
    };
  }

  private static <E extends Enum<E>> List<String> names(E[] values) {
    return Arrays.stream(values).map(v -> v.name().toLowerCase(Locale.ROOT)).toList();
  }

  /** topic:table pairs. */
  static final class TopicTablesValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      for (Object o : (List<?>) value) {
        String[] kv = o.toString().split(":", 2);
        if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
          throw new ConfigException(name, o, "expected topic:table_key");
        }
      }
    }

    @Override
    public String toString() {
      return "list of topic:table_key";
    }
  }

  /** kind:column pairs. */
  static final class MetadataColumnsValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      for (Object o : (List<?>) value) {
        String[] kv = o.toString().split(":", 2);
        if (kv.length != 2 || kv[1].isBlank()) {
          throw new ConfigException(name, o, "expected kind:column");
        }
        try {
          MetadataKind.valueOf(kv[0].trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new ConfigException(name, o, "kind must be one of " + names(MetadataKind.values()));
        }
      }
    }

    @Override
    public String toString() {
      return "list of kind:column, kind in " + names(MetadataKind.values());
    }
  }

  /** One of a choice setting's words, by core's rule (any case). */
  static final class ChoiceValidator implements ConfigDef.Validator {
    private final Setting setting;

    ChoiceValidator(Setting setting) {
      this.setting = setting;
    }

    @Override
    public void ensureValid(String name, Object value) {
      try {
        setting.allowed().parse(String.valueOf(value), name);
      } catch (dev.zerobus.station.core.errors.ConfigException e) {
        throw new ConfigException(name, value, e.getMessage());
      }
    }

    @Override
    public String toString() {
      return ((Settings.Choice) setting.allowed()).words().toString();
    }
  }

  static final class RegexValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value == null || value.toString().isEmpty()) {
        return;
      }
      try {
        Pattern.compile(value.toString());
      } catch (PatternSyntaxException e) {
        throw new ConfigException(name, value, "not a valid regular expression: " + e.getDescription());
      }
    }

    @Override
    public String toString() {
      return "a Java regular expression, or empty";
    }
  }
}
