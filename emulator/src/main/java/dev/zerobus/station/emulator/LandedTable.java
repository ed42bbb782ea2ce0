package dev.zerobus.station.emulator;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One table's landing file: JSON Lines, one object per acknowledged row. A single writer thread
 * appends what streams hand it, flushes (and optionally fsyncs) once per group, and only then tells
 * each stream its rows are durable, so an ack always follows the write.
 */
final class LandedTable implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LandedTable.class);
  /** Appends waiting for the writer; a full queue holds back the gRPC thread, hence the client. */
  private static final int QUEUE_CAPACITY = 4096;

  private static final Append STOP = new Append(null, 0, offset -> { }, -1);

  private final String name;
  /** The columns the config declares, or null for a table no config declares. */
  private final TableSchema declaredSchema;
  private final Path file;
  private final SchemaFile schemaFile;
  private final boolean fsync;
  private final BlockingQueue<Append> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final Object fileLock = new Object();
  private final Thread writer;
  private volatile TableSchema schema;
  private volatile long rows;
  /** Records acknowledged unread in discard mode: they count here, never in rows. */
  private final LongAdder discarded = new LongAdder();
  private volatile boolean closed;
  private FileChannel channel;
  private OutputStream out;

  /** Told once rows are durable; per write group only the highest offset of each listener. */
  interface Durable {
    void durable(long offset);
  }

  /** Rows to append (null: none, just wait for what is queued) under a stream's offset. */
  record Append(byte[] lines, int rowCount, Durable listener, long offset) {}

  /**
   * @param name a name {@link TableCatalog#checkedName} passed: it is the landing file's name
   * @param schema the columns; for a declared table its declaration, which gives way to the columns
   *     the data directory holds when they were altered at run time from this same declaration
   */
  LandedTable(String name, TableSchema schema, boolean declared, Path dataDir, boolean fsync) {
    // Checked again where the name becomes a path: no caller can land a file outside dataDir.
    if (!TableCatalog.checkedName(name).equals(name)) {
      throw new IllegalArgumentException("table name " + name + " is not normalized");
    }
    this.name = name;
    this.declaredSchema = declared ? schema : null;
    this.file = dataDir.resolve(name + ".jsonl");
    this.schemaFile = new SchemaFile(dataDir, name);
    this.fsync = fsync;
    try {
      this.schema = declared ? schemaFile.startingColumns(name, schema) : schema;
      openFile(true);
      this.rows = countRows();
      saveSchema();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open landing file " + file, e);
    }
    this.writer = new Thread(this::writeLoop, "landing-" + name);
    writer.setDaemon(true);
    writer.start();
  }

  String name() {
    return name;
  }

  boolean declared() {
    return declaredSchema != null;
  }

  /** The columns the config declares, or null for a table no config declares. */
  TableSchema declaredSchema() {
    return declaredSchema;
  }

  /** The columns; null for a table a JSON stream created, which takes any object. */
  TableSchema schema() {
    return schema;
  }

  /**
   * Sets the columns (the first ones of a JSON-created table meeting a descriptor, or altered
   * ones), saved before anyone sees them: a failed save leaves the table as it was. Streams already
   * open keep the columns they were opened with. The catalog calls this under its lock.
   */
  void setSchema(TableSchema columns) {
    try {
      schemaFile.write(columns, declaredSchema);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the columns of table " + name + " to " + schemaFile.path(), e);
    }
    this.schema = columns;
  }

  long rowCount() {
    return rows;
  }

  Path file() {
    return file;
  }

  /** Counts records a discard-mode stream acknowledged without decoding or writing them. */
  void discarded(int records) {
    discarded.add(records);
  }

  long discardedCount() {
    return discarded.sum();
  }

  /** Queues rows; blocks while the writer is QUEUE_CAPACITY appends behind. */
  void append(Append append) throws InterruptedException {
    if (closed) {
      throw new IllegalStateException("table " + name + " is closed");
    }
    queue.put(append);
  }

  /** Reads landed rows [from, from+limit) as JSON lines, oldest first. */
  List<String> readLines(long from, int limit) throws IOException {
    long available = rows;
    List<String> out = new ArrayList<>();
    synchronized (fileLock) {
      try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        long index = 0;
        String line;
        while (index < available && out.size() < limit && (line = reader.readLine()) != null) {
          if (index++ >= from) {
            out.add(line);
          }
        }
      }
    }
    return out;
  }

  /** Empties the table, waiting for rows already queued to land first. */
  void truncate() throws IOException, InterruptedException {
    awaitQueued();
    synchronized (fileLock) {
      out.close();
      openFile(false);
      rows = 0;
      discarded.reset();
    }
  }

  /** Waits until everything queued so far is written. */
  void awaitQueued() throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    append(new Append(null, 0, offset -> done.countDown(), -1));
    done.await();
  }

  void deleteFiles() throws IOException {
    close();
    Files.deleteIfExists(file);
    schemaFile.delete();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      queue.put(STOP);
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (fileLock) {
      try {
        out.close();
      } catch (IOException e) {
        log.warn("closing {}: {}", file, e.toString());
      }
    }
  }

  private void writeLoop() {
    List<Append> group = new ArrayList<>();
    boolean stop = false;
    while (!stop) {
      try {
        group.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(group, 1024);
      stop = group.remove(STOP);
      try {
        long added = 0;
        synchronized (fileLock) {
          for (Append a : group) {
            if (a.lines() != null) {
              out.write(a.lines());
              added += a.rowCount();
            }
          }
          out.flush();
          if (fsync) {
            channel.force(false);
          }
          rows += added;
        }
      } catch (IOException e) {
        // Nothing in this group is acknowledged: the clients will time out and replay.
        log.error("table {}: writing {} failed, {} appends not acknowledged", name, file, group.size(), e);
        group.clear();
        continue;
      }
      // One cumulative ack per stream per group, in the order the streams first appear.
      Map<Durable, Long> latest = new LinkedHashMap<>();
      for (Append a : group) {
        latest.merge(a.listener(), a.offset(), Math::max);
      }
      latest.forEach((listener, offset) -> {
        try {
          listener.durable(offset);
        } catch (RuntimeException e) {
          log.warn("table {}: ack callback failed: {}", name, e.toString());
        }
      });
      group.clear();
    }
  }

  private void openFile(boolean append) throws IOException {
    Files.createDirectories(file.getParent());
    if (append) {
      dropTornTail();
    }
    // A FileOutputStream, not a channel stream: an interrupted caller must not close the file.
    FileOutputStream stream = new FileOutputStream(file.toFile(), append);
    channel = stream.getChannel();
    out = new BufferedOutputStream(stream, 1 << 16);
  }

  /**
   * A process killed in the middle of a write leaves a last line without its newline. That row was
   * never acknowledged (acks follow the write), so the client sends it again; appending after it
   * would glue the next row onto the torn one, so it is cut off first.
   */
  private void dropTornTail() throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    try (FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
        java.nio.file.StandardOpenOption.WRITE)) {
      long size = ch.size();
      long keep = size;
      java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
      while (keep > 0) {
        one.clear();
        ch.read(one, keep - 1);
        if (one.get(0) == '\n') {
          break;
        }
        keep--;
      }
      if (keep < size) {
        ch.truncate(keep);
        log.warn("table {}: dropped a torn last row ({} bytes) left by an interrupted write; it was never"
            + " acknowledged, so its client sends it again", name, size - keep);
      }
    }
  }

  private long countRows() throws IOException {
    long n = 0;
    try (var in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int r;
      while ((r = in.read(buf)) > 0) {
        for (int i = 0; i < r; i++) {
          if (buf[i] == '\n') {
            n++;
          }
        }
      }
    }
    return n;
  }

  private void saveSchema() throws IOException {
    if (schema != null) {
      schemaFile.write(schema, declaredSchema);
    }
  }
}
