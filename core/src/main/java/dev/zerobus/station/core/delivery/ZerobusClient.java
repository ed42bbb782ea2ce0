package dev.zerobus.station.core.delivery;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The few Zerobus calls the core makes. {@code SdkZerobusClient} is the real one, over the
 * official SDK; tests script a fake, so every failure path runs without a server. Lanes call it
 * from the threads that run their events, which may be an HTTP server's I/O threads: nothing here
 * may block for long.
 */
public interface ZerobusClient extends AutoCloseable {

  /**
   * Opens a stream on the table, writing rows of this message type. Returns at once.
   *
   * @param events told of every ack and of the stream's failure, on the client's own threads
   * @return completes with the open stream, or fails with a classified {@link ZerobusFailure}: a
   *     table failure (credentials, permissions, schema) or an unavailable service
   */
  CompletableFuture<Stream> open(String tableName, DescriptorProto descriptor, StreamEvents events);

  /** Releases the client; only after every stream is closed and no thread is inside a call. */
  @Override
  void close();

  /** One open stream. Called from one thread at a time. */
  interface Stream {
    /**
     * Hands records to the stream as one call: one Zerobus offset for all of them. Returns once
     * the client has taken them, without waiting for the service.
     *
     * @return the offset, acknowledged later through {@link StreamEvents#acked}
     * @throws ZerobusFailure when the stream can no longer take records
     */
    long send(List<byte[]> records) throws ZerobusFailure;

    /** Closes the stream without waiting for acks or blocking the caller; never throws. */
    void close();
  }

  /** What a stream reports after it opened. */
  interface StreamEvents {
    /** Every offset up to and including this one is durable. */
    void acked(long offset);

    /** The stream is gone (or refused a record); unacknowledged offsets will not be acknowledged. */
    void failed(ZerobusFailure failure);

    /** Events handled by these two functions. */
    static StreamEvents of(LongConsumer acked, Consumer<ZerobusFailure> failed) {
      return new StreamEvents() {
        @Override
        public void acked(long offset) {
          acked.accept(offset);
        }

        @Override
        public void failed(ZerobusFailure failure) {
          failed.accept(failure);
        }
      };
    }
  }
}
