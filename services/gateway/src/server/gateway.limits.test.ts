// The server limits of a config reach the gateway's own HTTP/1.1 server (the Bun.serve fallback honours only
// idle_timeout and the body size: see the README).
import { afterAll, describe, expect, test } from "bun:test";
import { parseConfigText } from "../config/config.load.ts";
import { dripUntilClosed, memoryLogger, openRaw, startBackend, statusOf, stopAll } from "../testing/harness.ts";
import type { Listening } from "../transport/transport.ts";
import { createGateway } from "./gateway.app.ts";

const listening: Listening[] = [];
afterAll(async () => {
  for (const l of listening) await l.stop(true);
  stopAll();
});

function gatewayWith(limits: Record<string, unknown>): number {
  const backend = startBackend(async (req) => new Response(await req.text()));
  const config = {
    version: 3,
    endpoints: [
      {
        endpoint: "/echo",
        method: "POST",
        output_encoding: "no-op",
        backend: [{ host: [backend.url], url_pattern: "/echo", encoding: "no-op" }],
      },
    ],
    ...limits,
  };
  const loaded = parseConfigText(JSON.stringify(config), { format: "json", env: {} });
  const gateway = createGateway({ loaded, logger: memoryLogger(), server: "http1", fetchSpecs: async () => new Map() });
  const server = gateway.listen(0, "127.0.0.1");
  listening.push(server);
  return server.port!;
}

describe("the gateway's server limits from its config", () => {
  test("a body dripped slower than read_timeout allows is answered 408 and closed at read_timeout", async () => {
    const port = gatewayWith({ read_timeout: "600ms", idle_timeout: "400ms" });
    const c = await openRaw(port);
    const elapsed = await dripUntilClosed(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n", 100);
    expect(statusOf(c.text())).toBe(408);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(2000);
  });

  test("a header section over max_header_bytes is answered 431", async () => {
    const port = gatewayWith({ max_header_bytes: 1024 });
    const c = await openRaw(port);
    c.socket.write(`POST /echo HTTP/1.1\r\nHost: t\r\nX-Big: ${"a".repeat(2000)}\r\nContent-Length: 2\r\n\r\nhi`);
    await c.closed;
    expect(statusOf(c.text())).toBe(431);
  });

  test("connections over gateway/server.max_connections are answered 503 and closed", async () => {
    const port = gatewayWith({ extra_config: { "gateway/server": { max_connections: 2 } } });
    const held = [await openRaw(port), await openRaw(port)];
    const extra = await openRaw(port);
    extra.socket.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
    await extra.closed;
    expect(statusOf(extra.text())).toBe(503);
    held[0]!.socket.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
    while (!held[0]!.text().endsWith("hi")) await Bun.sleep(10);
    expect(statusOf(held[0]!.text())).toBe(200);
    for (const h of held) h.socket.destroy();
  });

  test("a malformed trailer after the last chunk is answered 400", async () => {
    const port = gatewayWith({});
    const c = await openRaw(port);
    c.socket.write(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nno colon here\r\n\r\n",
    );
    await c.closed;
    expect(statusOf(c.text())).toBe(400);
  });
});
