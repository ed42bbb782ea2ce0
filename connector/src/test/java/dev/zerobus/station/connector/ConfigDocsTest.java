package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/connector-config.md is generated from the ConfigDef; this fails when someone forgot to regenerate it. */
class ConfigDocsTest {
  static final Path DOC = Path.of("..", "docs", "connector-config.md");

  @Test
  void referenceMatchesTheCode() throws Exception {
    String expected = ConfigDocs.render();
    if (Boolean.getBoolean("connector.docs.update")) {
      Files.writeString(DOC, expected);
    }
    String actual = Files.exists(DOC) ? Files.readString(DOC) : "";
    assertEquals(expected, actual, "docs/connector-config.md is stale; regenerate it with:"
        + " mvn -B -pl connector -am test -Dtest=ConfigDocsTest -Dsurefire.failIfNoSpecifiedTests=false"
        + " -Dconnector.docs.update=true");
  }
}
