import { describe, expect, test } from "bun:test";
import { defaultServerLimits } from "../config/server.limits.ts";
import { bunIdleSeconds } from "./bun.transport.ts";
import { transportNamed, transports } from "./transports.ts";

describe("transports", () => {
  test("each name picks its transport, and an unknown or missing one the HTTP/1.1 server", () => {
    expect(transportNamed("bun")).toBe("bun");
    expect(transportNamed("http1")).toBe("http1");
    expect(transportNamed("nginx")).toBe("http1");
    expect(transportNamed("toString")).toBe("http1");
    expect(transportNamed(undefined)).toBe("http1");
  });

  test("Bun.serve gets idle_timeout in whole seconds between 1 and 255, and 0 for none", () => {
    expect(bunIdleSeconds(30_000)).toBe(30);
    expect(bunIdleSeconds(1500)).toBe(2);
    expect(bunIdleSeconds(10)).toBe(1);
    expect(bunIdleSeconds(3_600_000)).toBe(255);
    expect(bunIdleSeconds(Number.POSITIVE_INFINITY)).toBe(0);
    expect(bunIdleSeconds(0)).toBe(0);
  });

  test.each(Object.keys(transports) as (keyof typeof transports)[])(
    "the %s transport serves the handler and answers a failing handler with the injected problem format",
    async (name) => {
      const server = transports[name].listen({
        port: 0,
        hostname: "127.0.0.1",
        handler: (req) =>
          req.path === "/fail" ? Promise.reject(new Error("bug")) : { status: 200, headers: [], body: req.path },
        problem: (status, detail) => ({ status, headers: ["content-type", "application/problem+json"], body: detail }),
        maxRequestBodySize: 1024,
        limits: defaultServerLimits,
        onError: () => {},
      });
      try {
        const base = `http://127.0.0.1:${server.port}`;
        expect(await (await fetch(`${base}/hello`)).text()).toBe("/hello");
        const failed = await fetch(`${base}/fail`);
        expect(failed.status).toBe(500);
        expect(failed.headers.get("content-type")).toBe("application/problem+json");
      } finally {
        await server.stop(true);
      }
    },
  );
});
