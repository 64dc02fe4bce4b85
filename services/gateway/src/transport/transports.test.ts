import { describe, expect, test } from "bun:test";
import { transportNamed, transports } from "./transports.ts";

describe("transports", () => {
  test("each name picks its transport, and an unknown or missing one the HTTP/1.1 server", () => {
    expect(transportNamed("bun")).toBe("bun");
    expect(transportNamed("http1")).toBe("http1");
    expect(transportNamed("nginx")).toBe("http1");
    expect(transportNamed("toString")).toBe("http1");
    expect(transportNamed(undefined)).toBe("http1");
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
