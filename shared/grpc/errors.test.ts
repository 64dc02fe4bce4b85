// Every error code means the same on HTTP, NATS and gRPC: one table, checked through each transport.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, credentials, status as grpcJsStatus, Metadata, type ServiceError } from "@grpc/grpc-js";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import pino from "pino";
import { createClient } from "../endpoint/client.ts";
import { type EndpointContract, implement } from "../endpoint/contract.ts";
import { itemsGet } from "../endpoint/fixtures.ts";
import { mountHttpEndpoint } from "../endpoint/http.ts";
import { natsTransport, serveOverNats } from "../endpoint/nats.ts";
import { AppError, type ErrorCode, errorCodes, grpcStatus, grpcStatusOf, httpStatusOf } from "../errors/index.ts";
import { createHttpApp } from "../http/index.ts";
import { errorCodeOf } from "../testing/errors.ts";
import { natsForTests, natsTestUrl } from "../testing/nats.ts";
import { itemsSchema } from "./items.fixtures.ts";
import { type GrpcServer, serveGrpc } from "./server.ts";
import { type GrpcTransport, grpcTransport } from "./transport.ts";

/** The expected meaning of each code, written out: HTTP status and gRPC status name. */
const expected: Record<ErrorCode, [number, keyof typeof grpcJsStatus]> = {
  invalid_argument: [400, "INVALID_ARGUMENT"],
  unauthenticated: [401, "UNAUTHENTICATED"],
  permission_denied: [403, "PERMISSION_DENIED"],
  not_found: [404, "NOT_FOUND"],
  method_not_allowed: [405, "UNIMPLEMENTED"],
  conflict: [409, "ABORTED"],
  precondition_failed: [412, "FAILED_PRECONDITION"],
  payload_too_large: [413, "RESOURCE_EXHAUSTED"],
  unsupported_media_type: [415, "INVALID_ARGUMENT"],
  unprocessable_content: [422, "FAILED_PRECONDITION"],
  too_many_requests: [429, "RESOURCE_EXHAUSTED"],
  internal: [500, "INTERNAL"],
  unavailable: [503, "UNAVAILABLE"],
  timeout: [504, "DEADLINE_EXCEEDED"],
};

/** An endpoint that fails with the code named by its input id. */
const failing = (contract: EndpointContract) =>
  implement(contract, async (value) => {
    const input = value as { id: string };
    const code = input.id as ErrorCode;
    if (code === "internal") throw new Error("a secret driver message");
    throw new AppError(code, `failed with ${code}`);
  });

const withNats = await natsForTests();
const contract = { ...itemsGet, name: `errors${crypto.randomUUID().slice(0, 8)}.items.get` } as EndpointContract;
const ctx = { identity: null, requestId: "errors" };
let nc: NatsConnection | undefined;
let natsStop: (() => Promise<void>) | undefined;
let grpc: GrpcServer;
let transport: GrpcTransport;
let raw: Client;

beforeAll(async () => {
  if (withNats) {
    nc = await connect({ servers: natsTestUrl, timeout: 3000 });
    const service = await serveOverNats({
      nc,
      service: { name: "errors", version: "1.0.0" },
      endpoints: [failing(contract)],
      logger: { error() {} },
    });
    natsStop = async () => void (await service.stop());
  }
  grpc = await serveGrpc({
    host: "127.0.0.1",
    port: 0,
    schema: itemsSchema(contract),
    endpoints: [failing(contract)],
    maxMessageBytes: 1 << 20,
    defaultTimeoutMs: 5000,
    identity: null,
    readiness: { checks: {} },
    logger: { info() {}, error() {} },
  });
  transport = grpcTransport({ address: `127.0.0.1:${grpc.port}`, schema: itemsSchema(contract) });
  raw = new Client(`127.0.0.1:${grpc.port}`, credentials.createInsecure());
});

afterAll(async () => {
  transport?.close();
  raw?.close();
  await grpc?.stop(100);
  await natsStop?.();
  await nc?.close();
});

describe("the error table", () => {
  test("names the same gRPC status numbers as grpc-js", () => {
    for (const [name, value] of Object.entries(grpcStatus)) {
      expect(grpcJsStatus[name as keyof typeof grpcJsStatus] as number).toBe(value);
    }
  });

  test.each([...errorCodes])("%s means the same on HTTP, NATS and gRPC", async (code) => {
    const [http, grpcName] = expected[code];
    expect(httpStatusOf(code)).toBe(http);
    expect(grpcStatusOf(code)).toBe(grpcJsStatus[grpcName] as number);

    const app = createHttpApp({ logger: pino({ level: "silent" }) });
    mountHttpEndpoint(app, failing(contract), { method: "get", path: "/items/{id}", params: ["id"] });
    const res = await app.request(`/items/${code}`);
    expect(res.status).toBe(http);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe(code);

    const method = itemsSchema(contract).methods[0]!;
    const wire = await new Promise<ServiceError | null>((resolve) =>
      raw.makeUnaryRequest(
        method.path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(method.encodeRequest({ id: code })),
        new Metadata(),
        {},
        (err) => resolve(err),
      ),
    );
    expect(wire?.code).toBe(grpcJsStatus[grpcName]);
    expect(wire?.details).toBe(problem.detail);

    // a client sees the same code through either message transport; internal is masked the same way
    const viaGrpc = createClient(contract, { transport, timeoutMs: 2000, retries: 0 });
    expect(await errorCodeOf(viaGrpc.call({ id: code }, ctx))).toBe(code);
    const grpcError = await viaGrpc.call({ id: code }, ctx).catch((e: AppError) => e);
    expect((grpcError as AppError).message).toBe(problem.detail);
    if (nc) {
      const viaNats = createClient(contract, { transport: natsTransport(nc), timeoutMs: 2000, retries: 0 });
      const natsError = await viaNats.call({ id: code }, ctx).catch((e: AppError) => e);
      expect((natsError as AppError).code).toBe(code);
      expect((natsError as AppError).message).toBe(problem.detail);
    } else if (process.env.CI) {
      throw new Error("NATS is needed at NATS_URL");
    }
  });
});
