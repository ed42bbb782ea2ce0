package dev.zerobus.station.connector;

import dev.zerobus.station.core.table.TableDefinition;
import dev.zerobus.station.core.table.TableRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Topic to table key: the explicit routes, then the regex, then the topic's own name. */
final class TableRouter {
  private final Map<String, String> explicit;
  private final Pattern regex;
  private final String replacement;
  private final TableRegistry registry;
  /** Topic to the key of a configured table (empty: routes to none); the definition is looked up each time, as it changes. */
  private final Map<String, Optional<String>> cache = new ConcurrentHashMap<>();

  TableRouter(Map<String, String> explicit, String regex, String replacement, TableRegistry registry) {
    this.explicit = Map.copyOf(explicit);
    this.regex = regex == null || regex.isEmpty() ? null : Pattern.compile(regex);
    this.replacement = replacement;
    this.registry = registry;
  }

  /** The table a topic's records go to, or null when it routes to a table that is not configured. */
  TableDefinition definition(String topic) {
    String key = table(topic);
    return key == null ? null : registry.find(key).orElse(null);
  }

  /** The key of {@link #definition}, or null. */
  String table(String topic) {
    return cache.computeIfAbsent(topic, t -> registry.find(route(t)).map(TableDefinition::key)).orElse(null);
  }

  /** Where a topic routes, whether or not that table exists (for error messages). */
  String route(String topic) {
    String key = explicit.get(topic);
    if (key != null) {
      return key;
    }
    if (regex != null) {
      Matcher m = regex.matcher(topic);
      if (m.matches()) {
        return m.replaceFirst(replacement);
      }
    }
    return topic;
  }
}
