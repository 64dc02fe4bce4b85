// The gRPC listener of a service: its contracts as unary rpcs, health and reflection, on a second port.
import {
  type Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { CallContext, Endpoint } from "../endpoint/contract.ts";
import { failureOf, validInput } from "../endpoint/wire.ts";
import { AppError } from "../errors/index.ts";
import type { ReadinessOptions } from "../health/index.ts";
import type { HeaderReader } from "../identity/index.ts";
import { withTimeout } from "../lifecycle/timeout.ts";
import { bytesMethod, callContextOf, metadataValue, statusOfFailure } from "./call.ts";
import { type GrpcHealth, grpcHealth } from "./health.ts";
import { addReflection } from "./reflection.ts";
import type { GrpcMethod, GrpcServiceSchema } from "./schema.ts";

interface LoggerLike {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of {@link serveGrpc}. */
export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  schema: GrpcServiceSchema;
  /** The endpoints behind the schema's methods, by contract name, already wrapped in the endpoint middleware. */
  endpoints: readonly Endpoint[];
  /** Largest request and reply message; a larger one answers RESOURCE_EXHAUSTED. */
  maxMessageBytes: number;
  /** The budget of a call that came without `grpc-timeout`. */
  defaultTimeoutMs: number;
  /** Verifies forwarded identity metadata as the HTTP edge verifies the headers; null: off. */
  identity: ((header: HeaderReader) => Promise<void>) | null;
  /** What `grpc.health.v1.Health` answers from. */
  readiness: ReadinessOptions;
  logger: LoggerLike;
}

/** A running gRPC listener. */
export interface GrpcServer {
  port: number;
  /** Health turns NOT_SERVING, watches end, calls in flight finish within `drainMs`, then the rest is cut. */
  stop(drainMs: number): Promise<void>;
}

/** Runs a handler within the call's deadline; past it the call answers `timeout` (DEADLINE_EXCEEDED). */
function withinDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  return withTimeout(work, deadline - Date.now(), () => {
    throw new AppError("timeout", "The call's deadline passed before it was served");
  });
}

/**
 * Serves a service's contracts over gRPC (HTTP/2 without TLS): one unary rpc per schema method, each
 * call decoded by the schema's codec, validated by the contract, checked for forwarded identity and run
 * within its deadline through the endpoint (so through the same middleware as HTTP and NATS); failures
 * answer the error table's status with the problem's detail. Also serves `grpc.health.v1.Health` and
 * server reflection (v1 and v1alpha) from the schema's descriptors.
 * @example const grpc = await serveGrpc({ host, port: 9083, schema, endpoints: served, ...limits, identity, readiness, logger });
 */
export async function serveGrpc(options: GrpcServerOptions): Promise<GrpcServer> {
  const { schema, logger } = options;
  const server = new Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.max_send_message_length": options.maxMessageBytes,
  });
  const byName = new Map(options.endpoints.map((e) => [e.name, e]));
  const definition: Record<string, ReturnType<typeof bytesMethod>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const method of schema.methods) {
    const endpoint = byName.get(method.contract.name);
    if (!endpoint) throw new Error(`no endpoint serves ${method.contract.name} (${method.path})`);
    definition[method.name] = bytesMethod(method.path, method.name);
    implementation[method.name] = (call: ServerUnaryCall<Buffer, unknown>, callback: sendUnaryData<Uint8Array>) => {
      const ctx = callContextOf(call.metadata, call.getDeadline(), options.defaultTimeoutMs);
      serveCall(method, endpoint, call.request, call.metadata, ctx).then(
        (reply) => callback(null, reply),
        (err: unknown) => {
          const { error, problem } = failureOf(err, endpoint, ctx);
          if (error.code === "internal") logger.error({ err, rpc: method.path }, "grpc call failed");
          callback(statusOfFailure(error, problem) as ServiceError);
        },
      );
    };
  }
  server.addService(definition as ServiceDefinition, implementation);

  async function serveCall(
    method: GrpcMethod,
    endpoint: Endpoint,
    request: Uint8Array,
    metadata: Metadata,
    ctx: CallContext & { deadline: number },
  ): Promise<Uint8Array> {
    await options.identity?.((name) => metadataValue(metadata, name));
    const input = validInput(endpoint, method.decodeRequest(request));
    return method.encodeResponse(await withinDeadline(endpoint.handle(input, ctx), ctx.deadline));
  }

  let draining = false;
  const health: GrpcHealth = grpcHealth({
    services: [`${schema.packageName}.${schema.serviceName}`],
    readiness: { ...options.readiness, isDraining: () => draining || (options.readiness.isDraining?.() ?? false) },
  });
  health.addTo(server);
  addReflection(server, schema, health.fileDescriptorProto);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  logger.info({ port, service: `${schema.packageName}.${schema.serviceName}` }, "serving grpc");
  return {
    port,
    async stop(drainMs) {
      draining = true;
      health.stop();
      let timer: Timer | undefined;
      const drained = await Promise.race([
        new Promise<boolean>((resolve) => server.tryShutdown(() => resolve(true))),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), drainMs);
        }),
      ]);
      clearTimeout(timer);
      if (!drained) server.forceShutdown();
    },
  };
}
