// The compiled gateway with the server limits of its config: a body dripped a byte at a time is cut at
// read_timeout, and connections past gateway/server.max_connections are refused with a 503.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "@shared/testing/binary.ts";

const backend = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: async (req) => new Response(await req.text()) });
let gw: RunningBinary | null = null;
let port = 0;

beforeAll(async () => {
  port = await freePort();
  const config = join(tmpdir(), `gateway-limits-${process.pid}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      version: 3,
      port,
      read_timeout: "1s",
      idle_timeout: "500ms",
      extra_config: { "gateway/server": { max_connections: 3 } },
      endpoints: [
        {
          endpoint: "/echo",
          method: "POST",
          output_encoding: "no-op",
          backend: [{ host: [`http://127.0.0.1:${backend.port}`], url_pattern: "/", encoding: "no-op" }],
        },
      ],
    }),
  );
  gw = await startBinary({
    path: copyAlone(await buildService("gateway")),
    args: ["serve", "-c", config],
    port,
    readyPaths: ["/__health"],
    env: { LOG_LEVEL: "warn" },
    timeoutMs: 40_000,
  });
}, 120_000);

afterAll(async () => {
  await gw?.stop("SIGKILL");
  backend.stop(true);
});

async function open(): Promise<{ socket: Socket; text: () => string; closed: Promise<unknown> }> {
  const socket = connect({ port, host: "127.0.0.1" });
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.on("error", () => {});
  return { socket, text: () => Buffer.concat(chunks).toString("latin1"), closed: once(socket, "close") };
}

const post = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi";
const statusOf = (text: string) => Number(text.slice(9, 12));

describe("the gateway binary's server limits", () => {
  test("a body dripped a byte every 200 ms is answered 408 and closed at read_timeout", async () => {
    const c = await open();
    const started = Date.now();
    c.socket.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n");
    const drip = setInterval(() => c.socket.writable && c.socket.write("x"), 200);
    try {
      await c.closed;
    } finally {
      clearInterval(drip);
    }
    expect(statusOf(c.text())).toBe(408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test("connections over max_connections are answered 503 and closed; the others are served", async () => {
    // the readiness probe's keep-alive connection is closed by idle_timeout first
    await Bun.sleep(1000);
    const held = [await open(), await open(), await open()];
    for (const h of held) h.socket.write(post);
    for (const h of held) while (!h.text().endsWith("hi")) await Bun.sleep(10);
    expect(held.map((h) => statusOf(h.text()))).toEqual([200, 200, 200]);
    const extra = await open();
    extra.socket.write(post);
    await extra.closed;
    expect(statusOf(extra.text())).toBe(503);
    expect(extra.text()).toContain("application/problem+json");
    for (const h of held) h.socket.destroy();
  });
});
