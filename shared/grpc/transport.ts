// The endpoint client's transport over gRPC: a contract name becomes its rpc, JSON bytes its protobuf message.
import { Client, credentials, type ServiceError } from "@grpc/grpc-js";
import type { RequestTransport } from "../endpoint/client.ts";
import { decodeJson, encodeJson } from "../endpoint/wire.ts";
import { AppError } from "../errors/index.ts";
import { asBuffer, errorOfStatus, metadataOf, passBytes } from "./call.ts";
import type { GrpcMethod, GrpcServiceSchema } from "./schema.ts";

/** A RequestTransport that can also be closed (its HTTP/2 connection). */
export interface GrpcTransport extends RequestTransport {
  close(): void;
}

/**
 * Calls a service's contracts over one gRPC channel (h2c) to `address` (`host:port`): the request's
 * budget goes as `grpc-timeout`, the call context as metadata; a failure comes back as the server's
 * AppError (its problem travels in a trailer), and a status without one by what it means (a deadline,
 * refused connection or unknown method is `unavailable`, so the client retries and its breaker counts it).
 * @example const catalog = createClient(catalogProductsGet, { transport: grpcTransport({ address, schema }), timeoutMs: 800 });
 */
export function grpcTransport(options: {
  address: string;
  schema: GrpcServiceSchema;
  maxMessageBytes?: number;
}): GrpcTransport {
  const methods = new Map<string, GrpcMethod>(options.schema.methods.map((m) => [m.contract.name, m]));
  const max = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const client = new Client(options.address, credentials.createInsecure(), {
    "grpc.max_receive_message_length": max,
    "grpc.max_send_message_length": max,
    // a restarted server is found again within a second, not grpc-js's default of up to two minutes;
    // calls while it is away fail at once (no wait for ready), so the breaker sees them
    "grpc.initial_reconnect_backoff_ms": 100,
    "grpc.max_reconnect_backoff_ms": 1000,
  });
  return {
    request(subject, payload, headers, timeoutMs) {
      const method = methods.get(subject);
      if (!method)
        return Promise.reject(new AppError("unavailable", `${options.address} serves no rpc for ${subject}`));
      const message = asBuffer(method.encodeRequest(decodeJson(payload)));
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          method.path,
          passBytes,
          passBytes,
          message,
          metadataOf(headers),
          { deadline },
          (err: ServiceError | null, reply?: Buffer) => {
            // Once the budget is spent, the server's answer to that same deadline means what our own timer
            // would have said; whichever of the two came first must not change the outcome.
            if (err && Date.now() >= deadline) {
              return reject(
                new AppError("unavailable", `${subject} answered nothing within ${timeoutMs} ms`, { cause: err }),
              );
            }
            if (err) return reject(errorOfStatus(err));
            try {
              resolve(encodeJson(method.decodeResponse(reply ?? new Uint8Array())));
            } catch (cause) {
              reject(new AppError("unavailable", `${subject} answered a malformed message`, { cause }));
            }
          },
        );
      });
    },
    close() {
      client.close();
    },
  };
}
