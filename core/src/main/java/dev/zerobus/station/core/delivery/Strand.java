package dev.zerobus.station.core.delivery;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one lane's events one at a time, in the order they were posted, on a pool shared by all
 * lanes: the single owner of the lane's state, so the lane needs no lock, and the number of threads
 * does not grow with the number of tables. A caller's thread (an HTTP I/O thread, a Connect task)
 * that finds the strand idle runs the events itself, so a record reaches the SDK without a hand-off
 * between threads; SDK callbacks and timers only post, never run lane code on their own threads.
 */
final class Strand {
  /** Events a caller's thread runs before it hands the rest to the pool, so no caller is held for long. */
  private static final int INLINE_LIMIT = 64;
  private static final ThreadLocal<Boolean> DRAINING = new ThreadLocal<>();

  private final Queue<Runnable> events = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Executor pool;
  private final Thread.UncaughtExceptionHandler onBug;

  /** @param onBug told of an event that threw (a bug): the strand goes on with the next event */
  Strand(Executor pool, Thread.UncaughtExceptionHandler onBug) {
    this.pool = pool;
    this.onBug = onBug;
  }

  /** From a caller's thread: runs the event now if the strand is idle, else queues it behind the others. */
  void run(Runnable event) {
    events.add(event);
    if (scheduled.compareAndSet(false, true)) {
      if (DRAINING.get() == null) {
        drain(INLINE_LIMIT);
      } else {
        schedule(); // already inside a strand's events: never nest one in another
      }
    }
  }

  /** From any other thread (SDK callbacks, timers, completions): queues the event for the pool. */
  void post(Runnable event) {
    events.add(event);
    if (scheduled.compareAndSet(false, true)) {
      schedule();
    }
  }

  private void schedule() {
    try {
      pool.execute(this::drainOnPool);
    } catch (RejectedExecutionException shutDown) {
      // The stream manager closed: its lanes are closed, and what still arrives (acks of a stream
      // closing in the background) has no one left to tell. It must not throw into the SDK's thread.
    }
  }

  private void drainOnPool() {
    drain(Integer.MAX_VALUE);
  }

  private void drain(int limit) {
    DRAINING.set(Boolean.TRUE);
    try {
      int ran = 0;
      while (true) {
        Runnable event = ran < limit ? events.poll() : null;
        if (event == null) {
          scheduled.set(false);
          // An event posted after the poll above but before the flag was cleared found it set and left the
          // running to us: take the strand back if so, or whoever posted it has taken it.
          if (events.isEmpty() || !scheduled.compareAndSet(false, true)) {
            return;
          }
          if (ran >= limit) {
            schedule();
            return;
          }
          continue;
        }
        ran++;
        try {
          event.run();
        } catch (RuntimeException | LinkageError e) {
          onBug.uncaughtException(Thread.currentThread(), e);
        }
      }
    } finally {
      DRAINING.remove();
    }
  }
}
