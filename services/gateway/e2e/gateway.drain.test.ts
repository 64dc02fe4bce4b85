// The compiled gateway as ops run it, stopped while requests are in flight: its own HTTP/1.1 server must
// let every started request finish, refuse new connections, and exit 0.
import { afterAll, describe, expect, test } from "bun:test";
import type { RunningBinary } from "@shared/testing/binary.ts";
import { startGatewayBinary } from "./gateway.binary.ts";

const backend = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch() {
    await Bun.sleep(400);
    return Response.json({ slow: true });
  },
});

let gw: RunningBinary | null = null;

afterAll(async () => {
  await gw?.stop("SIGKILL");
  backend.stop(true);
});

describe("the gateway binary on SIGTERM", () => {
  test("answers every request already in flight, refuses new connections, then exits 0", async () => {
    gw = await startGatewayBinary("drain", {
      timeout: "3s",
      endpoints: [{ endpoint: "/slow", backend: [{ host: [`http://127.0.0.1:${backend.port}`], url_pattern: "/" }] }],
    });
    const inFlight = Array.from({ length: 20 }, () =>
      fetch(`${gw!.url}/slow`).then(async (r) => [r.status, await r.json()]),
    );
    await Bun.sleep(150);
    const stopped = gw.stop("SIGTERM");
    await Bun.sleep(100);
    // the listener is closed: a new connection is refused while the old ones finish
    const late = await fetch(`${gw.url}/slow`).then(
      (r) => r.status,
      () => "refused",
    );
    expect(late).toBe("refused");
    const answers = await Promise.all(inFlight);
    for (const a of answers) expect(a).toEqual([200, { slow: true }]);
    expect(await stopped).toBe(0);
  }, 90_000);
});
