package dev.zerobus.station.core.errors;

/** Text from outside (clients, the SDK, the service) made fit for one log line or an error body. */
public final class Text {
  /** Longest piece of outside text an error message repeats. */
  public static final int MAX_ECHO = 200;

  private Text() {}

  /** At most {@link #MAX_ECHO} characters, with an ellipsis and the full length when cut. */
  public static String clip(String s) {
    if (s == null || s.length() <= MAX_ECHO) {
      return s;
    }
    return s.substring(0, MAX_ECHO) + "… (" + s.length() + " characters)";
  }

  /** Folds line breaks and runs of white space into single spaces, so a message is one log line. */
  public static String oneLine(String s) {
    return s == null ? null : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}
