package dev.zerobus.station.bridge;

import dev.zerobus.station.core.config.Settings;
import dev.zerobus.station.core.config.Settings.Alias;
import dev.zerobus.station.core.config.Settings.Setting;
import java.util.EnumMap;
import java.util.Map;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Core's settings table as bridge options: one {@code --key-with-dashes} option per {@link Setting},
 * with env {@code ZEROBUS_KEY}, plus the older names a setting still answers to, so defaults,
 * values and docs are core's.
 */
public final class SettingOptions implements IModelTransformer {

  @Override
  public CommandSpec transform(CommandSpec spec) {
    for (Setting s : Setting.values()) {
      spec.addOption(OptionSpec.builder(s.option())
          .paramLabel(s.allowed() instanceof Settings.Choice choice ? String.join("|", choice.words()) : "<n>")
          .type(String.class)
          .defaultValue("${env:" + s.env() + "}")
          .description(s.doc() + " (env " + s.env() + "; default " + s.defaultValue() + ")")
          .build());
      for (Alias a : s.aliases()) {
        OptionSpec.Builder old = OptionSpec.builder(a.option())
            .type(String.class)
            .defaultValue("${env:" + a.env() + "}")
            .description("Older name of " + s.option() + (a.isFlag() ? " " + a.whenTrue() : "") + " (env " + a.env()
                + (a.isFlag() ? "=true" : "") + ").");
        if (a.isFlag()) {
          // A flag: given alone it means true, as it did when it was a boolean option.
          old.arity("0..1").fallbackValue("true").paramLabel("true|false");
        } else {
          old.paramLabel("<n>");
        }
        spec.addOption(old.build());
      }
    }
    return spec;
  }

  /**
   * The settings as given, each named as it was given in any error: on the command line before the
   * environment, and under its own name before an older one.
   *
   * @throws dev.zerobus.station.core.errors.ConfigException naming the option or variable at fault
   */
  static Settings settings(CommandSpec spec) {
    Map<Setting, Given> given = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      Given g = given(spec, s);
      if (g != null) {
        given.put(s, g);
      }
    }
    return Settings.parse(s -> given.containsKey(s) ? given.get(s).value() : null,
        s -> given.containsKey(s) ? given.get(s).name() : s.option());
  }

  /** A setting's value and the name it came under. */
  private record Given(String value, String name) {}

  private static Given given(CommandSpec spec, Setting s) {
    for (boolean commandLine : new boolean[] {true, false}) {
      String own = value(spec, s.option(), commandLine);
      if (own != null) {
        return new Given(own, commandLine ? s.option() : s.env());
      }
      for (Alias a : s.aliases()) {
        String name = commandLine ? a.option() : a.env();
        String old = value(spec, a.option(), commandLine);
        String meant = old == null ? null : a.translate(old, name);
        if (meant != null) {
          return new Given(meant, name);
        }
      }
    }
    return null;
  }

  /** The option's value if it was given on the command line ({@code commandLine}), or else by the environment. */
  private static String value(CommandSpec spec, String name, boolean commandLine) {
    OptionSpec option = spec.findOption(name);
    if (spec.commandLine().getParseResult().hasMatchedOption(option) != commandLine) {
      return null;
    }
    String value = option.getValue();
    return value == null || value.isBlank() ? null : value;
  }
}
