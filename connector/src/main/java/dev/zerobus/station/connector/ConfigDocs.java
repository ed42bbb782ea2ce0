package dev.zerobus.station.connector;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ConfigKey;

/**
 * Renders docs/connector-config.md from {@link ZerobusSinkConfig#CONFIG_DEF}, so the reference
 * cannot drift from the code (a test compares the two). Run with the output path as argument.
 */
public final class ConfigDocs {
  private ConfigDocs() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "docs/connector-config.md");
    Files.writeString(out, render());
    System.out.println("wrote " + out);
  }

  public static String render() {
    Map<String, List<ConfigKey>> byGroup = new LinkedHashMap<>();
    for (String group : ZerobusSinkConfig.CONFIG_DEF.groups()) {
      byGroup.put(group, new ArrayList<>());
    }
    for (ConfigKey key : ZerobusSinkConfig.CONFIG_DEF.configKeys().values()) {
      byGroup.computeIfAbsent(key.group, g -> new ArrayList<>()).add(key);
    }
    StringBuilder md = new StringBuilder();
    md.append("# Zerobus sink connector settings\n\n")
        .append("Generated from `ZerobusSinkConfig` by `ConfigDocs`; do not edit by hand (a test compares it with the code).\n")
        .append("Connector class: `dev.zerobus.station.connector.ZerobusSinkConnector`. Connect's own sink settings\n")
        .append("(`topics`, `topics.regex`, `tasks.max`, converters, `errors.tolerance`, `errors.deadletterqueue.*`) apply as usual;\n")
        .append("see [connector.md](connector.md) for what they mean here.\n");
    for (Map.Entry<String, List<ConfigKey>> e : byGroup.entrySet()) {
      List<ConfigKey> keys = e.getValue();
      keys.sort((a, b) -> Integer.compare(a.orderInGroup, b.orderInGroup));
      md.append("\n## ").append(e.getKey()).append("\n\n");
      md.append("| Setting | Type | Default | Valid values | Importance | Description |\n");
      md.append("|---|---|---|---|---|---|\n");
      for (ConfigKey k : keys) {
        md.append("| `").append(k.name).append("` | ")
            .append(k.type.name().toLowerCase()).append(" | ")
            .append(defaultValue(k)).append(" | ")
            .append(k.validator == null ? "" : cell(k.validator.toString())).append(" | ")
            .append(k.importance.name().toLowerCase()).append(" | ")
            .append(cell(k.documentation)).append(" |\n");
      }
    }
    return md.toString();
  }

  private static String defaultValue(ConfigKey k) {
    if (!k.hasDefault()) {
      return "(required)";
    }
    Object v = k.defaultValue;
    if (k.type == ConfigDef.Type.PASSWORD) {
      return "\"\"";
    }
    String s = v instanceof List<?> list ? String.join(",", list.stream().map(Object::toString).toList()) : String.valueOf(v);
    return s.isEmpty() ? "\"\"" : "`" + s + "`";
  }

  private static String cell(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
