package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.config.EncoderOptions;
import dev.zerobus.station.core.config.Settings;
import dev.zerobus.station.core.config.Settings.Alias;
import dev.zerobus.station.core.config.Settings.Setting;
import dev.zerobus.station.core.errors.ConfigException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Core's settings as the bridge's options: their own names, the older ones, and which wins. */
class SettingOptionsTest {
  static Settings parse(String... args) {
    CommandLine command = new CommandLine(new BridgeMain());
    command.parseArgs(args);
    return SettingOptions.settings(command.getCommandSpec());
  }

  @Test
  void everySettingIsAnOptionReadFromItsEnvironmentVariableAndSoIsEveryOlderName() {
    Map<String, String> defaults = new HashMap<>();
    for (OptionSpec o : new CommandLine(new BridgeMain()).setInterpolateVariables(false).getCommandSpec().options()) {
      defaults.put(o.longestName(), o.defaultValue());
    }
    for (Setting s : Setting.values()) {
      assertEquals("${env:" + s.env() + "}", defaults.get(s.option()), s.option());
      for (Alias a : s.aliases()) {
        assertEquals("${env:" + a.env() + "}", defaults.get(a.option()), a.option());
      }
    }
  }

  @Test
  void theEncodersSettingsParseUnderTheirNames() {
    assertEquals(EncoderOptions.STRICT, parse().encoderOptions());
    assertEquals(new EncoderOptions(true, 5), parse("--unknown-fields", "ignore", "--string-max-length", "5")
        .encoderOptions());
    assertEquals(new EncoderOptions(false, 0), parse("--unknown-fields=REJECT").encoderOptions());
    assertEquals(5, parse("--linger-ms", "5").streams().linger().toMillis());
  }

  @Test
  void theOlderNamesStillWork() {
    assertEquals(new EncoderOptions(true, 7), parse("--ignore-unknown-fields", "--max-string-length", "7")
        .encoderOptions());
    assertEquals(new EncoderOptions(true, 0), parse("--ignore-unknown-fields=true").encoderOptions());
    assertEquals(EncoderOptions.STRICT, parse("--ignore-unknown-fields=false").encoderOptions());
    // The flag takes no value of its own unless attached, so what follows it is still an option.
    assertEquals(3, parse("--ignore-unknown-fields", "--linger-ms", "3").streams().linger().toMillis());
  }

  @Test
  void aSettingsOwnNameWinsOverAnOlderOne() {
    assertEquals("reject", parse("--ignore-unknown-fields", "--unknown-fields", "reject")
        .choice(Setting.UNKNOWN_FIELDS));
    assertEquals(9, parse("--max-string-length", "4", "--string-max-length", "9").encoderOptions().maxStringLength());
  }

  @Test
  void aBadValueIsNamedAsItWasGiven() {
    ConfigException older = assertThrows(ConfigException.class, () -> parse("--max-string-length", "long"));
    assertEquals("--max-string-length must be a whole number, got 'long'", older.getMessage());
    ConfigException own = assertThrows(ConfigException.class, () -> parse("--unknown-fields", "drop"));
    assertEquals("--unknown-fields must be one of reject, ignore, got 'drop'", own.getMessage());
    ConfigException flag = assertThrows(ConfigException.class, () -> parse("--ignore-unknown-fields=maybe"));
    assertTrue(flag.getMessage().startsWith("--ignore-unknown-fields must be true or false"), flag.getMessage());
  }
}
