package dev.zerobus.station.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The packaged archive against the Confluent Hub component archive specification: its name, its
 * layout and every manifest field the specification constrains.
 */
class ComponentArchiveIT {
  private static final Set<String> COMPONENT_TYPES = Set.of("sink", "source", "transform", "converter");
  private static final Set<String> OWNER_TYPES = Set.of("user", "organization");

  @Test
  void theZipFollowsTheComponentArchiveFormat() throws IOException {
    Path zip = Path.of(System.getProperty("zerobus.plugin.zip"));
    assertTrue(Files.isRegularFile(zip), "the archive mvn package makes: " + zip);
    String base = zip.getFileName().toString().replaceFirst("\\.zip$", "");

    JsonNode m;
    List<String> entries = new ArrayList<>();
    try (ZipFile z = new ZipFile(zip.toFile())) {
      z.stream().map(ZipEntry::getName).forEach(entries::add);
      ZipEntry manifest = z.getEntry(base + "/manifest.json");
      assertTrue(manifest != null, "manifest.json at " + base + "/ in " + entries);
      m = new ObjectMapper().readTree(z.getInputStream(manifest));
    }
    for (String e : entries) {
      assertTrue(e.startsWith(base + "/"), "every entry under the one base directory: " + e);
    }
    assertTrue(entries.stream().anyMatch(e -> e.matches(java.util.regex.Pattern.quote(base) + "/lib/[^/]+\\.jar")),
        "lib/ holds the jars");
    assertTrue(entries.contains(base + "/doc/LICENSE"), "doc/LICENSE");
    assertFalse(m.toString().contains("${"), "no unfiltered placeholder: " + m);

    String owner = text(m.path("owner"), "username");
    String name = text(m, "name");
    String version = text(m, "version");
    assertEquals(owner + "-" + name + "-" + version, base, "archive named <owner>-<name>-<version>.zip");
    assertTrue(owner.matches("[a-z0-9_]{2,255}"), "owner.username: 2-255 lowercase letters, digits, _: " + owner);
    assertTrue(name.matches("[a-z0-9][a-z0-9-]{1,254}"), "name: lowercase letters, digits, -: " + name);
    assertTrue(version.matches("\\d[0-9A-Za-z.+-]*"), "version: " + version);
    assertTrue(OWNER_TYPES.contains(text(m.path("owner"), "type")), "owner.type one of " + OWNER_TYPES);
    text(m.path("owner"), "name");
    text(m, "title");
    text(m, "description");
    text(m.path("support"), "summary");
    absoluteUrl(m.path("support"), "url");
    absoluteUrl(m.path("owner"), "url");
    absoluteUrl(m, "documentation_url");
    absoluteUrl(m, "source_url");

    JsonNode licenses = m.path("license");
    assertTrue(licenses.isArray() && !licenses.isEmpty(), "license: a non-empty list");
    for (JsonNode l : licenses) {
      text(l, "name");
      absoluteUrl(l, "url");
    }
    JsonNode types = m.path("component_types");
    assertTrue(types.isArray() && !types.isEmpty(), "component_types: a non-empty list");
    types.forEach(t -> assertTrue(COMPONENT_TYPES.contains(t.asText()), "component type " + t));
    LocalDate released = LocalDate.parse(text(m, "release_date")); // YYYY-MM-DD
    assertFalse(released.isAfter(LocalDate.now().plusDays(1)), "release_date from the build: " + released);
    m.path("features").path("delivery_guarantee")
        .forEach(g -> assertTrue(Set.of("at_least_once", "exactly_once").contains(g.asText()), "guarantee " + g));
    assertTrue(m.path("requirements").isArray() && m.path("tags").isArray());
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    assertTrue(v.isTextual() && !v.asText().isBlank(), field + ": a non-empty string in " + node);
    return v.asText();
  }

  private static void absoluteUrl(JsonNode node, String field) {
    URI uri = URI.create(text(node, field));
    assertTrue(uri.isAbsolute() && Set.of("http", "https").contains(uri.getScheme()) && uri.getHost() != null,
        field + ": an absolute http(s) URL: " + uri);
  }
}
