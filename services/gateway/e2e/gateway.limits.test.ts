// The compiled gateway with the server limits of its config: a body dripped a byte at a time is cut at
// read_timeout, and connections past gateway/server.max_connections are refused with a 503.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningBinary } from "@shared/testing/binary.ts";
import { dripUntilClosed, openRaw, statusOf } from "../src/testing/harness.ts";
import { startGatewayBinary } from "./gateway.binary.ts";

const backend = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: async (req) => new Response(await req.text()) });
let gw: RunningBinary | null = null;
let port = 0;

beforeAll(async () => {
  gw = await startGatewayBinary("limits", {
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
  });
  port = Number(new URL(gw.url).port);
}, 120_000);

afterAll(async () => {
  await gw?.stop("SIGKILL");
  backend.stop(true);
});

const post = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi";

describe("the gateway binary's server limits", () => {
  test("a body dripped a byte every 200 ms is answered 408 and closed at read_timeout", async () => {
    const c = await openRaw(port);
    const elapsed = await dripUntilClosed(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n", 200);
    expect(statusOf(c.text())).toBe(408);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3000);
  });

  test("connections over max_connections are answered 503 and closed; the others are served", async () => {
    // the readiness probe's keep-alive connection is closed by idle_timeout first
    await Bun.sleep(1000);
    const held = [await openRaw(port), await openRaw(port), await openRaw(port)];
    for (const h of held) h.socket.write(post);
    for (const h of held) while (!h.text().endsWith("hi")) await Bun.sleep(10);
    expect(held.map((h) => statusOf(h.text()))).toEqual([200, 200, 200]);
    const extra = await openRaw(port);
    extra.socket.write(post);
    await extra.closed;
    expect(statusOf(extra.text())).toBe(503);
    expect(extra.text()).toContain("application/problem+json");
    for (const h of held) h.socket.destroy();
  });
});
