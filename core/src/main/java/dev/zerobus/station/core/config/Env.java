package dev.zerobus.station.core.config;

import dev.zerobus.station.core.errors.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Settings from the process environment over a {@code .env} file, as the seed service read them
 * with python-dotenv: a variable set in the environment wins over the same one in the file.
 */
public final class Env {
  private final Map<String, String> values;

  private Env(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** The process environment over {@code dotEnv} (which may be absent). */
  public static Env load(Path dotEnv) {
    return of(System.getenv(), dotEnv);
  }

  /** {@code environment} over the first of {@code dotEnvCandidates} that exists. */
  public static Env load(List<Path> dotEnvCandidates) {
    for (Path p : dotEnvCandidates) {
      if (p != null && Files.isRegularFile(p)) {
        return load(p);
      }
    }
    return of(System.getenv(), null);
  }

  public static Env of(Map<String, String> environment, Path dotEnv) {
    Map<String, String> merged = new HashMap<>();
    if (dotEnv != null && Files.isRegularFile(dotEnv)) {
      merged.putAll(parse(dotEnv));
    }
    merged.putAll(environment);
    return new Env(merged);
  }

  public static Env of(Map<String, String> values) {
    return new Env(values);
  }

  /** These settings over this environment (e.g. a local emulator's endpoints and credentials). */
  public Env with(Map<String, String> overrides) {
    Map<String, String> merged = new HashMap<>(values);
    merged.putAll(overrides);
    return new Env(merged);
  }

  public Optional<String> get(String name) {
    String v = values.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  /** KEY=VALUE lines; # comments, blank lines, an optional "export ", and quotes around values. */
  static Map<String, String> parse(Path file) {
    Map<String, String> out = new HashMap<>();
    try {
      int lineNumber = 0;
      for (String line : Files.readAllLines(file)) {
        lineNumber++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        if (t.startsWith("export ")) {
          t = t.substring(7).strip();
        }
        int eq = t.indexOf('=');
        if (eq <= 0) {
          throw new ConfigException(file + " line " + lineNumber + ": expected KEY=VALUE");
        }
        String key = t.substring(0, eq).strip();
        String value = t.substring(eq + 1).strip();
        if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
            && value.charAt(value.length() - 1) == value.charAt(0)) {
          value = value.substring(1, value.length() - 1);
        } else {
          int comment = value.indexOf(" #");
          if (comment >= 0) {
            value = value.substring(0, comment).strip();
          }
        }
        out.put(key, value);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return out;
  }
}
