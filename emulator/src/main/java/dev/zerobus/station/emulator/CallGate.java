package dev.zerobus.station.emulator;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Admits an EphemeralStream call: checks its bearer token, then sends the response headers at
 * once. The SDK's native client waits for those headers before it sends CreateIngestStreamRequest,
 * while grpc-java's stub API would only send them with the first response message: without this,
 * both sides wait for each other until the SDK's create timeout.
 */
final class CallGate implements ServerInterceptor {
  static final Context.Key<TokenIssuer.Grant> GRANT = Context.key("zerobus-grant");
  static final Context.Key<String> TABLE_HEADER = Context.key("zerobus-table-header");

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TABLE_NAME =
      Metadata.Key.of("x-databricks-zerobus-table-name", Metadata.ASCII_STRING_MARSHALLER);

  private final TokenIssuer tokens;

  CallGate(TokenIssuer tokens) {
    this.tokens = tokens;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String authorization = headers.get(AUTHORIZATION);
    String tableHeader = headers.get(TABLE_NAME);
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription(
          "no 'authorization: Bearer <token>' header; get a token from the workspace's /oidc/v1/token"));
    }
    TokenIssuer.Grant grant = tokens.check(authorization.substring(7).trim());
    if (grant == null) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription("the bearer token is unknown or expired"));
    }
    if (grant.table() != null && tableHeader != null
        && !grant.table().equals(TableCatalog.normalize(tableHeader))) {
      return refuse(call, Status.PERMISSION_DENIED.withDescription(
          "the token was issued for table " + grant.table() + ", not " + tableHeader));
    }
    call.sendHeaders(new Metadata());
    ServerCall<Q, R> headersSent = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void sendHeaders(Metadata ignored) {
        // Already sent when the call started.
      }
    };
    Context context = Context.current().withValue(GRANT, grant).withValue(TABLE_HEADER, tableHeader);
    return Contexts.interceptCall(context, headersSent, headers, next);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
