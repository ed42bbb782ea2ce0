package dev.zerobus.station.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.config.StreamSettings;
import dev.zerobus.station.core.config.StreamSettings.Setting;
import dev.zerobus.station.core.errors.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamSettingsTest {
  @Test
  void defaultsAreTheDocumentedOnesAndUnderTheServiceLimit() {
    StreamSettings d = StreamSettings.DEFAULTS;
    assertEquals(1, d.streamsPerTable());
    assertTrue(d.maxBatchBytes() < StreamSettings.SERVICE_MAX_MESSAGE_BYTES);
    assertEquals(Setting.values().length, d.asMap().size());
  }

  @Test
  void valuesAreParsedAndCheckedNamingTheSettingAsTheFaceCallsIt() {
    Map<String, String> given = Map.of("max.batch.bytes", "20000000");
    ConfigException e = assertThrows(ConfigException.class,
        () -> StreamSettings.parse(s -> given.get(s.key()), Setting::option));
    assertTrue(e.getMessage().startsWith("--max-batch-bytes must be between"), e.getMessage());
    ConfigException notANumber = assertThrows(ConfigException.class,
        () -> StreamSettings.parse(s -> s == Setting.LINGER_MS ? "soon" : null, Setting::env));
    assertTrue(notANumber.getMessage().contains("ZEROBUS_LINGER_MS"), notANumber.getMessage());
    assertEquals(5, StreamSettings.parse(s -> s == Setting.LINGER_MS ? " 5 " : null, Setting::key).linger().toMillis());
  }

  @Test
  void theDocsShowEverySettingAsGenerated() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
    String start = "<!-- stream-settings:start (generated from StreamSettings.Setting; StreamSettingsTest keeps it current) -->\n";
    int i = doc.indexOf(start);
    int j = doc.indexOf("<!-- stream-settings:end -->");
    assertTrue(i >= 0 && j > i, "docs/configuration.md has the stream settings markers");
    assertEquals(StreamSettings.markdownTable(), doc.substring(i + start.length(), j),
        "docs/configuration.md's stream settings are stale: paste StreamSettings.markdownTable()");
  }
}
