package dev.zerobus.station.core.delivery;

import dev.zerobus.station.core.table.TableDefinition;
import java.util.List;

/**
 * The few Zerobus calls the core makes. {@link SdkZerobusClient} is the real one, over the
 * official SDK; tests script a fake, so every failure path runs without a server.
 */
public interface ZerobusClient extends AutoCloseable {

  /**
   * Opens a stream on the table, waiting until it is open.
   *
   * @param events told of every ack and of the stream's failure, on the client's own threads
   * @throws ZerobusFailure classified: a table failure (credentials, permissions, schema) or an
   *     unavailable service
   */
  Stream open(TableDefinition table, StreamEvents events) throws ZerobusFailure, InterruptedException;

  /** Releases the client; only after every stream is closed and no thread is inside a call. */
  @Override
  void close();

  /** One open stream. Called from a single thread at a time. */
  interface Stream {
    /**
     * Hands records to the stream as one call: one Zerobus offset for all of them.
     *
     * @return the offset, acknowledged later through {@link StreamEvents#acked}
     * @throws ZerobusFailure when the stream can no longer take records
     */
    long send(List<byte[]> records) throws ZerobusFailure;

    /** Closes the stream without waiting for acks; never throws. */
    void close();
  }

  /** What a stream reports after it opened. */
  interface StreamEvents {
    /** Every offset up to and including this one is durable. */
    void acked(long offset);

    /** The stream is gone (or refused a record); unacknowledged offsets will not be acknowledged. */
    void failed(ZerobusFailure failure);
  }
}
