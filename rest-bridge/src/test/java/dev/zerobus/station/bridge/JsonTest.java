package dev.zerobus.station.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.undertow.Undertow;
import io.undertow.util.SameThreadExecutor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Answers completed from other threads are serialized and sent on the exchange's I/O thread, and only once. */
class JsonTest {
  @Test
  void anAnswerFromACoreThreadIsSerializedOnTheIoThreadAndOnlyTheFirstIsSent() throws Exception {
    AtomicReference<String> serializedOn = new AtomicReference<>();
    Undertow server = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(exchange -> {
      Json.track(exchange);
      exchange.dispatch(SameThreadExecutor.INSTANCE, () -> CompletableFuture.runAsync(() -> {
        // As a stream's sender or the SDK's ack thread would: answer from a thread that is not Undertow's.
        Json.send(exchange, 200, new Object() {
          @JsonProperty("thread")
          String thread() {
            serializedOn.set(Thread.currentThread().getName());
            return Thread.currentThread().getName();
          }
        });
        Json.error(exchange, 500, "a second answer is dropped");
      }));
    }).build();
    server.start();
    try {
      int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(serializedOn.get().contains("I/O"), "serialized on " + serializedOn.get());
      assertEquals("{\"thread\":\"" + serializedOn.get() + "\"}", r.body());
    } finally {
      server.stop();
    }
  }
}
