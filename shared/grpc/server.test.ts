import { afterEach, describe, expect, test } from "bun:test";
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { createClient } from "../endpoint/client.ts";
import { type Endpoint, implement } from "../endpoint/contract.ts";
import { itemsEndpoint, itemsGet, U1, U2 } from "../endpoint/fixtures.ts";
import { observeEndpoint } from "../endpoint/middleware.ts";
import { forwardedIdentityCheck } from "../identity/index.ts";
import { errorCodeOf } from "../testing/errors.ts";
import { problemTrailer } from "./call.ts";
import { decodeHealthResponse, encodeHealthRequest, servingStatus } from "./health.ts";
import { itemsPath, itemsSchema } from "./items.fixtures.ts";
import { type GrpcServer, type GrpcServerOptions, serveGrpc } from "./server.ts";
import { grpcTransport } from "./transport.ts";

const silent = { info() {}, error() {} };
const open: { close(): void }[] = [];
const servers: GrpcServer[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.stop(100);
});

async function start(options: Partial<GrpcServerOptions> = {}, endpoint: Endpoint = itemsEndpoint().endpoint) {
  const server = await serveGrpc({
    host: "127.0.0.1",
    port: 0,
    schema: itemsSchema(),
    endpoints: [endpoint],
    maxMessageBytes: 64 * 1024,
    defaultTimeoutMs: 5000,
    identity: null,
    readiness: { checks: {} },
    logger: silent,
    ...options,
  });
  servers.push(server);
  const raw = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
  open.push(raw);
  return { server, raw };
}

const pass = (b: Buffer) => b;

/** A raw unary call: the status and the reply bytes, whatever the codec. */
function rawCall(client: Client, path: string, body: Uint8Array, metadata = new Metadata(), deadlineMs?: number) {
  return new Promise<{ code: number; details: string; reply?: Buffer; err?: ServiceError }>((resolve) => {
    const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    client.makeUnaryRequest(path, pass, pass, Buffer.from(body), metadata, options, (err, reply) =>
      resolve(err ? { code: err.code, details: err.details, err } : { code: status.OK, details: "", reply }),
    );
  });
}

const getItem = itemsPath();
const ctx = { identity: { userId: U1, roles: [] }, requestId: "grpc-test" };

describe("an endpoint served over gRPC", () => {
  test("answers a typed client with the same data and error codes as in-process", async () => {
    const { server } = await start();
    const transport = grpcTransport({ address: `127.0.0.1:${server.port}`, schema: itemsSchema() });
    open.push(transport);
    const client = createClient(itemsGet, { transport, timeoutMs: 2000 });
    expect(await client.call({ id: "a", verbose: true }, ctx)).toEqual({ id: "a", owner: U1, verbose: true });
    expect(await errorCodeOf(client.call({ id: "zz" }, ctx))).toBe("not_found");
    expect(await errorCodeOf(client.call({ id: "b" }, ctx))).toBe("permission_denied");
    expect(await client.call({ id: "b" }, { ...ctx, identity: { userId: U2, roles: [] } })).toMatchObject({
      owner: U2,
    });
  });

  test("answers malformed protobuf bytes with INVALID_ARGUMENT and never runs the handler", async () => {
    const { endpoint, calls } = itemsEndpoint();
    const { raw } = await start({}, endpoint);
    const answer = await rawCall(raw, getItem, new Uint8Array([0x0a, 0xff, 0x01]));
    expect(answer.code).toBe(status.INVALID_ARGUMENT);
    expect(calls.n).toBe(0);
  });

  test("answers input the contract refuses with INVALID_ARGUMENT, the problem's fields in the trailer", async () => {
    const { raw } = await start();
    const answer = await rawCall(raw, getItem, new Uint8Array());
    expect(answer.code).toBe(status.INVALID_ARGUMENT);
    expect(answer.details).toBe("Request is invalid");
    const problem = JSON.parse(String(answer.err?.metadata.get(problemTrailer)[0]));
    expect(problem).toMatchObject({ code: "invalid_argument", errors: [{ path: "/id" }] });
  });

  test("answers a message over the size limit with RESOURCE_EXHAUSTED", async () => {
    const { raw } = await start({ maxMessageBytes: 1024 });
    const big = new Uint8Array(4096).fill(0x61);
    big.set([0x0a, 0xfe, 0x1f]); // field 1, length 4094
    expect((await rawCall(raw, getItem, big)).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await rawCall(raw, getItem, new Uint8Array([0x0a, 0x01, 0x61]), idMeta(U1))).code).toBe(status.OK);
  });

  test("answers an unknown method with UNIMPLEMENTED", async () => {
    const { raw } = await start();
    expect((await rawCall(raw, "/shop.test.v1.TestService/Nope", new Uint8Array())).code).toBe(status.UNIMPLEMENTED);
    expect((await rawCall(raw, "/no.Such/Thing", new Uint8Array())).code).toBe(status.UNIMPLEMENTED);
  });

  test("gives a call without grpc-timeout the default budget, and answers DEADLINE_EXCEEDED past it", async () => {
    let seen: number | undefined;
    const slow = implement(itemsGet, async (input, c) => {
      seen = c.deadline;
      await Bun.sleep(input.id === "slow" ? 400 : 0);
      return { id: input.id, owner: U1, verbose: false };
    });
    const { raw } = await start({ defaultTimeoutMs: 150 }, slow);
    const before = Date.now();
    expect((await rawCall(raw, getItem, new Uint8Array([0x0a, 0x01, 0x61]))).code).toBe(status.OK);
    expect(seen).toBeGreaterThanOrEqual(before + 150);
    expect(seen).toBeLessThan(before + 1000);
    const late = await rawCall(raw, getItem, new Uint8Array([0x0a, 0x04, ...new TextEncoder().encode("slow")]));
    expect(late.code).toBe(status.DEADLINE_EXCEEDED);
  });

  test("makes grpc-timeout the call's deadline", async () => {
    let seen = 0;
    const endpoint = implement(itemsGet, async (input, c) => {
      seen = c.deadline ?? 0;
      return { id: input.id, owner: U1, verbose: false };
    });
    const { raw } = await start({ defaultTimeoutMs: 60_000 }, endpoint);
    const before = Date.now();
    expect((await rawCall(raw, getItem, new Uint8Array([0x0a, 0x01, 0x61]), new Metadata(), 3000)).code).toBe(0);
    expect(seen).toBeGreaterThan(before + 2000);
    expect(seen).toBeLessThanOrEqual(before + 3100);
  });

  test("continues the caller's trace and request id from metadata", async () => {
    let seen: { traceId?: string; requestId?: string; identity?: unknown } = {};
    const endpoint = implement(itemsGet, async (input, c) => {
      seen = { traceId: c.traceId, requestId: c.requestId, identity: c.identity };
      return { id: input.id, owner: U1, verbose: false };
    });
    const { raw } = await start({}, endpoint);
    const metadata = idMeta(U1);
    metadata.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    metadata.set("x-request-id", "req-42");
    await rawCall(raw, getItem, new Uint8Array([0x0a, 0x01, 0x61]), metadata);
    expect(seen).toEqual({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      requestId: "req-42",
      identity: { userId: U1, roles: [] },
    });
  });

  test("verifies identity metadata like the identity headers: a user id without its token is UNAUTHENTICATED", async () => {
    const identity = forwardedIdentityCheck({
      enabled: true,
      jwksUrl: "http://127.0.0.1:9/.well-known/jwks.json",
      issuer: "shop-auth",
      audience: "shop",
    });
    const { endpoint, calls } = itemsEndpoint();
    const { raw } = await start({ identity }, endpoint);
    const refused = await rawCall(raw, getItem, new Uint8Array([0x0a, 0x01, 0x61]), idMeta(U1));
    expect(refused.code).toBe(status.UNAUTHENTICATED);
    expect(refused.details).toBe("The forwarded identity comes without its access token");
    expect(calls.n).toBe(0);
    // no identity at all passes to the endpoint, which decides (the fixture refuses anonymous readers)
    expect((await rawCall(raw, getItem, new Uint8Array([0x0a, 0x01, 0x61]))).code).toBe(status.PERMISSION_DENIED);
  });

  test("records each call through the endpoint middleware with transport grpc", async () => {
    const seen: string[] = [];
    const metrics = {
      endpointObserver: (name: string, transport: string) => (code: string) =>
        seen.push(`${name} ${transport} ${code}`),
    };
    const lines: unknown[] = [];
    const observe = observeEndpoint({ transport: "grpc", metrics, accessLog: (line) => lines.push(line) });
    const { raw } = await start({}, observe(itemsEndpoint().endpoint));
    await rawCall(raw, getItem, new Uint8Array([0x0a, 0x01, 0x61]), idMeta(U1));
    await rawCall(raw, getItem, new Uint8Array([0x0a, 0x02, 0x7a, 0x7a]), idMeta(U1));
    expect(seen).toEqual(["test.items.get grpc ok", "test.items.get grpc not_found"]);
    expect(lines).toMatchObject([
      { method: "GRPC", route: "test.items.get", status: 200 },
      { method: "GRPC", status: 404 },
    ]);
  });
});

describe("gRPC health", () => {
  const check = "/grpc.health.v1.Health/Check";

  test("answers SERVING while readiness holds, NOT_SERVING while a check fails, NOT_FOUND for an unknown service", async () => {
    let up = true;
    const { raw } = await start({
      readiness: { checks: { db: async () => (up ? 1 : Promise.reject(new Error("down"))) } },
    });
    const ask = async (service: string) => {
      const answer = await rawCall(raw, check, encodeHealthRequest(service));
      return answer.reply ? decodeHealthResponse(answer.reply) : `status ${answer.code}`;
    };
    expect(await ask("")).toBe(servingStatus.SERVING);
    expect(await ask("shop.test.v1.TestService")).toBe(servingStatus.SERVING);
    up = false;
    expect(await ask("")).toBe(servingStatus.NOT_SERVING);
    expect(await ask("no.Such")).toBe(`status ${status.NOT_FOUND}`);
  });

  test("Watch answers at once and says NOT_SERVING when the server drains", async () => {
    const { server, raw } = await start();
    const seen: number[] = [];
    const stream = raw.makeServerStreamRequest(
      "/grpc.health.v1.Health/Watch",
      pass,
      pass,
      Buffer.from(encodeHealthRequest("")),
    );
    stream.on("data", (b: Buffer) => seen.push(decodeHealthResponse(b)));
    const ended = new Promise((resolve) => stream.on("status", resolve));
    stream.on("error", () => {});
    while (seen.length === 0) await Bun.sleep(5);
    await server.stop(1000);
    servers.splice(servers.indexOf(server), 1);
    await ended;
    expect(seen).toEqual([servingStatus.SERVING, servingStatus.NOT_SERVING]);
  });
});

describe("a draining gRPC server", () => {
  test("lets a call in flight finish and refuses new ones", async () => {
    const slow = implement(itemsGet, async (input) => {
      await Bun.sleep(200);
      return { id: input.id, owner: U1, verbose: false };
    });
    const { server, raw } = await start({}, slow);
    const inFlight = rawCall(raw, getItem, new Uint8Array([0x0a, 0x01, 0x61]));
    await Bun.sleep(50);
    const stopped = server.stop(2000);
    servers.splice(servers.indexOf(server), 1);
    expect((await inFlight).code).toBe(status.OK);
    await stopped;
    const after = await rawCall(raw, getItem, new Uint8Array([0x0a, 0x01, 0x61]), new Metadata(), 500);
    expect(after.code).toBe(status.UNAVAILABLE);
  });
});

function idMeta(userId: string): Metadata {
  const m = new Metadata();
  m.set("x-user-id", userId);
  return m;
}
