package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A table name becomes a file name in the data directory: names from the config are held to the
 * same catalog.schema.table rule as names on the wire, and no admin route reaches a file outside.
 */
class DeclaredTableNamesTest {
  private static final String OUTSIDE_CONTENT = "{\"not\":\"the emulator's\"}\n";

  @TempDir
  Path root;

  /** {@code <root>/a/b/data/../../x.jsonl} is {@code <root>/a/x.jsonl}: a file the emulator must not touch. */
  private Path dataDir() throws Exception {
    return Files.createDirectories(root.resolve("a/b/data"));
  }

  private Path outsideFile() throws Exception {
    return Files.writeString(root.resolve("a/x.jsonl"), OUTSIDE_CONTENT);
  }

  private Path config(String json) throws Exception {
    return Files.writeString(root.resolve("tables.json"), json);
  }

  @Test
  void aConfigDeclaringAPathIsRefusedAtStartAndTouchesNoFile() throws Exception {
    Path dataDir = dataDir();
    Path outside = outsideFile();
    Path config = config("{\"tables\": {\"main.ok.fine\": \"a STRING\", \"../../x\": \"a STRING\"}}");

    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> ZerobusEmulator.builder().dataDir(dataDir).config(config).start().close());

    assertEquals(config + ": table name \"../../x\" is not catalog.schema.table (ASCII letters, digits, _)",
        refused.getMessage());
    assertEquals(OUTSIDE_CONTENT, Files.readString(outside));
    assertEquals(Set.of(config, outside), regularFilesUnder(root), "no file created anywhere");
  }

  @Test
  void theJarsCommandSaysWhyInOneLineAndExitsWithTwo() throws Exception {
    Path dataDir = dataDir();
    Path outside = outsideFile();
    Path config = config("{\"tables\": {\"../../x\": \"a STRING\"}}");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine command = EmulatorMain.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));

    // A start that is not refused would run until interrupted: the timeout turns that into a failure.
    int exit = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> command.execute("--config", config.toString(),
        "--data-dir", dataDir.toString(), "--grpc-port", "0", "--workspace-port", "0", "--admin-port", "0"));

    assertEquals(2, exit, err.toString());
    assertEquals(List.of("zerobus-emulator: " + config + ": table name \"../../x\" is not catalog.schema.table"
        + " (ASCII letters, digits, _)"), err.toString().lines().toList());
    assertEquals("", out.toString(), "no banner: the emulator never started");
    assertEquals(OUTSIDE_CONTENT, Files.readString(outside));
    assertEquals(Set.of(config, outside), regularFilesUnder(root));
  }

  @Test
  void aNameWithALineBreakStaysOnOneLine() throws Exception {
    Path config = config("{\"tables\": {\"main.a.b\\n\\nfake line\": \"a STRING\"}}");
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> ZerobusEmulator.builder().dataDir(dataDir()).config(config));
    assertEquals(1, refused.getMessage().lines().count(), refused.getMessage());
    assertTrue(refused.getMessage().contains("\"main.a.b\\n\\nfake line\""), refused.getMessage());
  }

  @Test
  void theBuilderHoldsDeclaredNamesToTheSameRule() {
    for (String bad : List.of("../../x", "main.default", "main.default.t/../../../x", "main..t", "main.default.t.x",
        "main.dé.t")) {
      assertThrows(IllegalArgumentException.class, () -> ZerobusEmulator.builder().table(bad, "a STRING"), bad);
    }
  }

  /** Every admin route looks tables up by name among the existing ones; none makes a path of what the URL says. */
  @Test
  void adminRoutesNeverReachOutsideTheDataDirectory() throws Exception {
    Path dataDir = dataDir();
    Path outside = outsideFile();
    HttpClient http = HttpClient.newHttpClient();
    try (ZerobusEmulator emulator = ZerobusEmulator.builder().dataDir(dataDir)
        .table("main.admin.kept", "a STRING").start()) {
      for (String path : List.of("/tables/..%2F..%2Fx", "/tables/..%2F..%2Fx/rows", "/tables/../../x/rows",
          "/tables/%2E%2E%2F%2E%2E%2Fx/rows?format=ndjson")) {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(404, answer.statusCode(), path + ": " + answer.body());
      }
      for (String path : List.of("/tables/..%2F..%2Fx/columns", "/tables/../../x/columns")) {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + path))
            .POST(HttpRequest.BodyPublishers.ofString("{\"add\": \"b STRING\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(404, answer.statusCode(), path + ": " + answer.body());
      }
      // Faults keep the table name as a key only: they are accepted, and name no file.
      Map<String, String> faults = Map.of(
          "drop-stream", "{\"table\": \"../../x\", \"after_records\": 1}",
          "withhold-acks", "{\"table\": \"../../x\"}",
          "reject-records", "{\"table\": \"../../x\", \"every\": 2}");
      for (Map.Entry<String, String> fault : faults.entrySet()) {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + "/faults/"
            + fault.getKey())).POST(HttpRequest.BodyPublishers.ofString(fault.getValue())).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), fault.getKey() + ": " + answer.body());
      }
      HttpResponse<String> reset = http.send(HttpRequest.newBuilder(URI.create(emulator.adminUrl() + "/reset"))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, reset.statusCode(), reset.body());
      assertEquals(List.of("main.admin.kept"), emulator.tables());
    }
    assertEquals(OUTSIDE_CONTENT, Files.readString(outside));
    assertEquals(Set.of(dataDir.resolve("main.admin.kept.jsonl"), dataDir.resolve("main.admin.kept.schema.sql"), outside),
        regularFilesUnder(root));
  }

  private static Set<Path> regularFilesUnder(Path dir) throws Exception {
    try (var files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).collect(Collectors.toSet());
    }
  }
}
