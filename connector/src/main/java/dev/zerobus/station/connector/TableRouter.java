package dev.zerobus.station.connector;

import dev.zerobus.station.core.TableRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Topic to table key: the explicit routes, then the regex, then the topic's own name. */
final class TableRouter {
  private final Map<String, String> explicit;
  private final Pattern regex;
  private final String replacement;
  private final TableRegistry registry;
  private final Map<String, String> cache = new ConcurrentHashMap<>();

  TableRouter(Map<String, String> explicit, String regex, String replacement, TableRegistry registry) {
    this.explicit = Map.copyOf(explicit);
    this.regex = regex == null || regex.isEmpty() ? null : Pattern.compile(regex);
    this.replacement = replacement;
    this.registry = registry;
  }

  /** The table key for a topic, or null when the topic routes to a table that is not configured. */
  String table(String topic) {
    String key = cache.computeIfAbsent(topic, this::route);
    return registry.find(key).isPresent() ? key : null;
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
