package dev.zerobus.station.core.testing;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import dev.zerobus.station.core.delivery.ZerobusClient;
import dev.zerobus.station.core.delivery.ZerobusFailure;
import dev.zerobus.station.core.delivery.ZerobusFailure.Kind;
import dev.zerobus.station.core.table.TableDefinition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A scripted Zerobus for unit tests: it acks on its own callback thread, in order, as the SDK does,
 * and fails streams, opens and records exactly when told to. What it acknowledged is kept, so a test
 * can check that nothing was lost.
 */
public final class ScriptedZerobus implements ZerobusClient {
  private final ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "scripted-zerobus-callbacks");
    t.setDaemon(true);
    return t;
  });
  private final Deque<ZerobusFailure> openFailures = new ArrayDeque<>();
  private ZerobusFailure openFailsAlways;
  private Predicate<byte[]> refuse = r -> false;
  private String refusalReason = "INVALID_ARGUMENT: refused";
  private boolean holdAcks;
  private boolean lossBeforeRefusal;
  private int openNow;
  private int mostOpenAtOnce;
  private long dropAfterCalls = -1;
  private final List<byte[]> landed = new ArrayList<>();
  /** For each landed record, the descriptor of the stream it landed on. */
  private final List<DescriptorProto> landedOn = new ArrayList<>();
  private final List<Integer> callSizes = new ArrayList<>();
  public final AtomicInteger opens = new AtomicInteger();
  public final AtomicInteger openAttempts = new AtomicInteger();
  private final List<Long> openAttemptNanos = new ArrayList<>();
  private volatile boolean closed;
  private ScriptedStream current;

  // --- Script ---

  public synchronized ScriptedZerobus failNextOpens(ZerobusFailure... failures) {
    openFailures.addAll(Arrays.asList(failures));
    return this;
  }

  public synchronized ScriptedZerobus failEveryOpen(ZerobusFailure failure) {
    openFailsAlways = failure;
    return this;
  }

  /** Records matching this make the stream that carries them fail with a RECORD failure, as the service does. */
  public synchronized ScriptedZerobus refuseRecords(Predicate<byte[]> which, String reason) {
    refuse = which;
    refusalReason = reason;
    return this;
  }

  /** A refusal is reported as the SDK sometimes does: first "stream closed", then the service's reason. */
  public synchronized ScriptedZerobus reportLossBeforeRefusal(boolean lossFirst) {
    lossBeforeRefusal = lossFirst;
    return this;
  }

  /** The most streams that were open at the same time. */
  public synchronized int mostOpenAtOnce() {
    return mostOpenAtOnce;
  }

  public synchronized ScriptedZerobus holdAcks(boolean hold) {
    holdAcks = hold;
    if (!hold && current != null) {
      ScriptedStream s = current;
      callbacks.execute(s::releaseHeld);
    }
    return this;
  }

  /** The current stream fails (UNAVAILABLE) at the call after {@code calls} more calls. */
  public synchronized ScriptedZerobus dropStreamAfter(long calls) {
    dropAfterCalls = calls;
    return this;
  }

  /** The current stream fails now, as when the SDK gives it up. */
  public void loseStream(String why) {
    ScriptedStream s;
    synchronized (this) {
      s = current;
    }
    if (s != null) {
      s.fail(new ZerobusFailure(Kind.UNAVAILABLE, why));
    }
  }

  // --- What happened ---

  public synchronized List<byte[]> landed() {
    return new ArrayList<>(landed);
  }

  /** The descriptor of the stream each record of {@link #landed()} landed on, in the same order. */
  public synchronized List<DescriptorProto> landedOn() {
    return new ArrayList<>(landedOn);
  }

  public synchronized List<Integer> callSizes() {
    return new ArrayList<>(callSizes);
  }

  public synchronized List<Long> openAttemptNanos() {
    return new ArrayList<>(openAttemptNanos);
  }

  public boolean closed() {
    return closed;
  }

  // --- ZerobusClient ---

  @Override
  public CompletableFuture<Stream> open(String tableName, DescriptorProto descriptor, StreamEvents events) {
    synchronized (this) {
      openAttempts.incrementAndGet();
      openAttemptNanos.add(System.nanoTime());
      if (!openFailures.isEmpty()) {
        return CompletableFuture.failedFuture(openFailures.poll());
      }
      if (openFailsAlways != null) {
        return CompletableFuture.failedFuture(openFailsAlways);
      }
      opens.incrementAndGet();
      openNow++;
      mostOpenAtOnce = Math.max(mostOpenAtOnce, openNow);
      current = new ScriptedStream(events, descriptor);
      return CompletableFuture.completedFuture(current);
    }
  }

  @Override
  public void close() {
    closed = true;
    callbacks.shutdown();
    try {
      callbacks.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class ScriptedStream implements Stream {
    private final StreamEvents events;
    private final DescriptorProto descriptor;
    private long nextOffset;
    private boolean failed;
    private boolean closedByClient;
    private final List<List<byte[]>> held = new ArrayList<>();
    private long heldFrom;

    ScriptedStream(StreamEvents events, DescriptorProto descriptor) {
      this.events = events;
      this.descriptor = descriptor;
    }

    @Override
    public long send(List<byte[]> records) throws ZerobusFailure {
      synchronized (ScriptedZerobus.this) {
        if (failed) {
          throw new ZerobusFailure(Kind.UNAVAILABLE, "INTERNAL: Stream closed");
        }
        long offset = nextOffset++;
        callSizes.add(records.size());
        List<byte[]> copy = List.copyOf(records);
        if (dropAfterCalls == 0) {
          dropAfterCalls = -1;
          fail(new ZerobusFailure(Kind.UNAVAILABLE, "UNAVAILABLE: stream dropped"));
          return offset;
        }
        if (dropAfterCalls > 0) {
          dropAfterCalls--;
        }
        for (byte[] r : copy) {
          if (refuse.test(r)) {
            if (lossBeforeRefusal) {
              fail(new ZerobusFailure(Kind.UNAVAILABLE, "INTERNAL: Stream closed"));
              callbacks.execute(() -> events.failed(new ZerobusFailure(Kind.RECORD, refusalReason)));
            } else {
              fail(new ZerobusFailure(Kind.RECORD, refusalReason));
            }
            return offset;
          }
        }
        if (holdAcks) {
          if (held.isEmpty()) {
            heldFrom = offset;
          }
          held.add(copy);
        } else {
          callbacks.execute(() -> ack(offset, List.of(copy)));
        }
        return offset;
      }
    }

    void releaseHeld() {
      List<List<byte[]>> batches;
      long last;
      synchronized (ScriptedZerobus.this) {
        if (failed || held.isEmpty()) {
          return;
        }
        batches = new ArrayList<>(held);
        last = heldFrom + held.size() - 1;
        held.clear();
      }
      ack(last, batches);
    }

    private void ack(long offset, List<List<byte[]>> batches) {
      synchronized (ScriptedZerobus.this) {
        if (failed) {
          return;
        }
        for (List<byte[]> batch : batches) {
          landed.addAll(batch);
          batch.forEach(r -> landedOn.add(descriptor));
        }
      }
      events.acked(offset);
    }

    void fail(ZerobusFailure f) {
      synchronized (ScriptedZerobus.this) {
        if (failed) {
          return;
        }
        failed = true;
        held.clear();
      }
      callbacks.execute(() -> events.failed(f));
    }

    @Override
    public void close() {
      synchronized (ScriptedZerobus.this) {
        if (!closedByClient) {
          closedByClient = true;
          openNow--;
        }
        failed = true;
      }
    }
  }
}
