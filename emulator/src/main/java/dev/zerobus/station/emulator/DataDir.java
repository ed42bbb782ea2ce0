package dev.zerobus.station.emulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where tables land: the directory the user gave, kept, or a temporary one the emulator made,
 * deleted on close so that tests starting many emulators leave nothing behind.
 */
final class DataDir {
  private final Path path;
  private final boolean temporary;

  private DataDir(Path path, boolean temporary) {
    this.path = path;
    this.temporary = temporary;
  }

  /** The given directory, or a new temporary one when {@code given} is null. */
  static DataDir of(Path given) throws IOException {
    return given != null ? new DataDir(given, false) : new DataDir(Files.createTempDirectory("zerobus-emulator"), true);
  }

  Path path() {
    return path;
  }

  /** Deletes a temporary directory and the table files in it; a given one is left as it is. */
  void deleteIfTemporary() {
    if (temporary) {
      try (var files = Files.list(path)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(f);
        }
        Files.deleteIfExists(path);
      } catch (IOException e) {
        // a temporary directory left behind is harmless
      }
    }
  }
}
