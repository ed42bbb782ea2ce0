package dev.zerobus.station.bridge;

import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The access log's appender: stderr, with lines gathered into writes of up to 4 KiB, flushed at
 * least every {@link #FLUSH_MILLIS} ms and at shutdown. One write per request cost about as much CPU
 * as the rest of the line's work on the single-record path; under load this makes it one write per
 * few dozen requests. 4 KiB stays under a pipe's atomic write size, so the other appender's lines
 * never land inside one of these.
 */
public final class AccessLogAppender<E> extends OutputStreamAppender<E> {
  static final long FLUSH_MILLIS = 100;
  private ScheduledExecutorService flusher;

  @Override
  public void start() {
    setOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.err), 4096));
    setImmediateFlush(false);
    super.start();
    flusher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "access-log-flush");
      t.setDaemon(true);
      return t;
    });
    flusher.scheduleWithFixedDelay(this::flush, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void stop() {
    if (flusher != null) {
      flusher.shutdownNow();
    }
    flush();
    super.stop();
  }

  private void flush() {
    streamWriteLock.lock();
    try {
      if (getOutputStream() != null) {
        getOutputStream().flush();
      }
    } catch (IOException e) {
      addError("cannot flush the access log", e);
    } finally {
      streamWriteLock.unlock();
    }
  }

  @Override
  protected void closeOutputStream() {
    flush(); // stderr itself stays open for the other appenders
  }
}
