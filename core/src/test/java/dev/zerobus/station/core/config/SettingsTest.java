package dev.zerobus.station.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.config.Settings.Alias;
import dev.zerobus.station.core.config.Settings.Setting;
import dev.zerobus.station.core.errors.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void defaultsAreTheDocumentedOnesAndUnderTheServiceLimit() {
    StreamSettings d = StreamSettings.DEFAULTS;
    assertEquals(1, d.streamsPerTable());
    assertTrue(d.maxBatchBytes() < StreamSettings.SERVICE_MAX_MESSAGE_BYTES);
    assertEquals(Settings.DEFAULTS.streams(), d);
    assertEquals(EncoderOptions.STRICT, Settings.DEFAULTS.encoderOptions(), "by default the encoder is strict");
    assertEquals("reject", Settings.DEFAULTS.choice(Setting.UNKNOWN_FIELDS));
  }

  @Test
  void valuesAreParsedAndCheckedNamingTheSettingAsTheFaceCallsIt() {
    Map<String, String> given = Map.of("max.batch.bytes", "20000000");
    ConfigException e = assertThrows(ConfigException.class,
        () -> Settings.parse(s -> given.get(s.key()), Setting::option));
    assertTrue(e.getMessage().startsWith("--max-batch-bytes must be between"), e.getMessage());
    ConfigException notANumber = assertThrows(ConfigException.class,
        () -> Settings.parse(s -> s == Setting.LINGER_MS ? "soon" : null, Setting::env));
    assertTrue(notANumber.getMessage().contains("ZEROBUS_LINGER_MS"), notANumber.getMessage());
    assertEquals(5, Settings.parse(s -> s == Setting.LINGER_MS ? " 5 " : null, Setting::key).streams().linger()
        .toMillis());
  }

  @Test
  void aChoiceTakesOneOfItsWordsInAnyCase() {
    assertEquals("ignore", Settings.parse(s -> s == Setting.UNKNOWN_FIELDS ? " IGNORE " : null, Setting::key)
        .choice(Setting.UNKNOWN_FIELDS));
    ConfigException e = assertThrows(ConfigException.class,
        () -> Settings.parse(s -> s == Setting.UNKNOWN_FIELDS ? "drop" : null, Setting::option));
    assertEquals("--unknown-fields must be one of reject, ignore, got 'drop'", e.getMessage());
    assertThrows(ConfigException.class, () -> Settings.DEFAULTS.with(Setting.UNKNOWN_FIELDS, 1));
    assertThrows(IllegalArgumentException.class, () -> Settings.DEFAULTS.number(Setting.UNKNOWN_FIELDS));
  }

  @Test
  void theEncodersOptionsComeFromTheSettings() {
    Settings lenient = Settings.DEFAULTS.with(Setting.UNKNOWN_FIELDS, "ignore").with(Setting.STRING_MAX_LENGTH, 5);
    assertEquals(new EncoderOptions(true, 5), lenient.encoderOptions());
    assertThrows(ConfigException.class, () -> Settings.DEFAULTS.with(Setting.STRING_MAX_LENGTH, -1));
    // The stream manager's view holds the stream settings only.
    assertEquals(StreamSettings.DEFAULTS, lenient.streams());
    assertNotEquals(StreamSettings.DEFAULTS, lenient.with(Setting.LINGER_MS, 5).streams());
    assertThrows(IllegalArgumentException.class, () -> StreamSettings.DEFAULTS.with(Setting.STRING_MAX_LENGTH, 5));
  }

  @Test
  void olderBridgeNamesSayWhatTheyMeant() {
    Alias ignoreFlag = Setting.UNKNOWN_FIELDS.aliases().get(0);
    assertEquals("--ignore-unknown-fields", ignoreFlag.option());
    assertEquals("ZEROBUS_IGNORE_UNKNOWN_FIELDS", ignoreFlag.env());
    assertEquals("ignore", ignoreFlag.translate("true", ignoreFlag.option()));
    assertEquals("ignore", ignoreFlag.translate("TRUE", ignoreFlag.env()));
    assertNull(ignoreFlag.translate("false", ignoreFlag.option()), "false leaves the setting alone");
    ConfigException notAFlag = assertThrows(ConfigException.class, () -> ignoreFlag.translate("yes", ignoreFlag.env()));
    assertEquals("ZEROBUS_IGNORE_UNKNOWN_FIELDS must be true or false, got 'yes'", notAFlag.getMessage());

    Alias renamed = Setting.STRING_MAX_LENGTH.aliases().get(0);
    assertEquals("--max-string-length", renamed.option());
    assertEquals("ZEROBUS_MAX_STRING_LENGTH", renamed.env());
    assertEquals("12", renamed.translate("12", renamed.option()));
  }

  @Test
  void theDocsShowEverySettingAsGenerated() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
    String start = "<!-- settings:start (generated from Settings.Setting; SettingsTest keeps it current) -->\n";
    int i = doc.indexOf(start);
    int j = doc.indexOf("<!-- settings:end -->");
    assertTrue(i >= 0 && j > i, "docs/configuration.md has the settings markers");
    assertEquals(Settings.markdownTable(), doc.substring(i + start.length(), j),
        "docs/configuration.md's settings table is stale: paste Settings.markdownTable()");
  }
}
