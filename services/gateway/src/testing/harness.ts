// Test harness: real backends (`Bun.serve` on 127.0.0.1, port 0) that record what reached them, and a
// gateway started from a config object. Everything is stopped by `stopAll`.
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import type { AccessEntry } from "@shared/log";
import { parseConfigText } from "../config/config.load.ts";
import type { GatewayFeatures } from "../proxy/endpoint.build.ts";
import { createGateway, type Gateway } from "../server/gateway.app.ts";
import { transportNamed } from "../transport/transports.ts";

/** A request as a backend saw it. */
export interface Seen {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

/** A running test backend. */
export interface TestBackend {
  url: string;
  seen: Seen[];
  stop(): void;
}

const running: { stop(force?: boolean): unknown }[] = [];

/** Starts a backend whose handler answers each request; every request is recorded in `seen`. */
export function startBackend(handler: (req: Request, url: URL) => Response | Promise<Response>): TestBackend {
  const seen: Seen[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      seen.push({
        method: req.method,
        path: url.pathname,
        query: url.search.slice(1),
        headers: Object.fromEntries(req.headers),
        body: await req.clone().text(),
      });
      return handler(req, url);
    },
  });
  running.push(server);
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}

/** A quiet logger that keeps its lines for assertions. */
export function memoryLogger() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj, msg });
  };
  return { lines, info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") };
}

/** A started gateway and its base URL. */
export interface TestGateway {
  url: string;
  gateway: Gateway;
  logger: ReturnType<typeof memoryLogger>;
}

/** Starts a gateway from a config object (version 3 is added). */
export function startGateway(
  config: Record<string, unknown>,
  features: GatewayFeatures = {},
  opts: { realSpecs?: boolean; accessWriter?: (entry: AccessEntry) => void } = {},
): TestGateway {
  const loaded = parseConfigText(JSON.stringify({ version: 3, ...config }), { format: "json", env: {} });
  const logger = memoryLogger();
  const gateway = createGateway({
    loaded,
    features,
    logger,
    // GATEWAY_TEST_UPSTREAM_CLIENT=fetch runs the whole suite on the fetch fallback
    upstreamClient: process.env.GATEWAY_TEST_UPSTREAM_CLIENT === "fetch" ? "fetch" : "http1",
    // GATEWAY_TEST_SERVER=bun runs it on the Bun.serve transport
    server: transportNamed(process.env.GATEWAY_TEST_SERVER),
    ...(opts.realSpecs ? {} : { fetchSpecs: async () => new Map() }),
    accessWriter: opts.accessWriter,
  });
  const server = gateway.listen(0, "127.0.0.1");
  running.push(server);
  return { url: `http://127.0.0.1:${server.port}`, gateway, logger };
}

/** Stops every backend and gateway started by this module. */
export function stopAll(): void {
  for (const s of running.splice(0)) s.stop(true);
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends raw bytes to `url`'s port (what fetch would refuse or normalise) and returns everything answered
 * until the connection closes; `end` half-closes the sending side after the bytes. */
export async function rawExchange(url: string, request: string, opts: { end?: boolean } = {}): Promise<string> {
  const chunks: Buffer[] = [];
  const socket = connect({ port: Number(new URL(url).port), host: "127.0.0.1" });
  await once(socket, "connect");
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.write(request);
  if (opts.end) socket.end();
  await once(socket, "close");
  return Buffer.concat(chunks).toString("latin1");
}

/** A raw client connection to `port` on 127.0.0.1 that keeps what it receives. */
export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  text(): string;
  /** Settles once the connection is closed. */
  closed: Promise<unknown>;
}

/** Opens a raw connection (for what fetch would not send: dripped bodies, bare trailers, idle sockets). */
export async function openRaw(port: number): Promise<RawConnection> {
  const socket = connect({ port, host: "127.0.0.1" });
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.on("error", () => {});
  return { socket, text: () => Buffer.concat(chunks).toString("latin1"), closed: once(socket, "close") };
}

/** Writes `head` then one byte every `everyMs` until the server closes the connection; the time it took. */
export async function dripUntilClosed(conn: RawConnection, head: string, everyMs: number): Promise<number> {
  const started = Date.now();
  conn.socket.write(head);
  const drip = setInterval(() => conn.socket.writable && conn.socket.write("x"), everyMs);
  try {
    await conn.closed;
  } finally {
    clearInterval(drip);
  }
  return Date.now() - started;
}

/** The status code of the first answer in raw response text. */
export const statusOf = (text: string) => Number(text.slice(9, 12));
