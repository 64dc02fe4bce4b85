import { afterAll, describe, expect, test } from "bun:test";
import { rawExchange, startBackend, startGateway, stopAll } from "../testing/harness.ts";

afterAll(stopAll);

const echo = startBackend((req, url) => Response.json({ path: url.pathname, method: req.method }));
// answers every request with a header its Connection header marks as this hop's only
const hopBackend = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    data(socket) {
      socket.write(
        "HTTP/1.1 200 OK\r\nconnection: keep-alive, x-hop\r\nx-hop: 1\r\nx-end: 2\r\ncontent-length: 2\r\n\r\nok",
      );
    },
  },
});
afterAll(() => hopBackend.stop(true));

describe("routing and forwarding", () => {
  const gw = startGateway({
    host: [echo.url],
    endpoints: [
      { endpoint: "/api/users/{id}", backend: [{ url_pattern: "/users/{id}" }] },
      { endpoint: "/api/items", methods: ["GET", "POST"], backend: [{ url_pattern: "/items" }] },
      {
        endpoint: "/api/files/*",
        output_encoding: "no-op",
        backend: [{ url_pattern: "/storage/*" }],
      },
      {
        endpoint: "/api/open",
        input_headers: ["X-Custom", "X-User-Id"],
        input_query_strings: ["page"],
        backend: [{ url_pattern: "/open" }],
      },
      {
        endpoint: "/api/hop",
        output_encoding: "no-op",
        backend: [{ host: [`http://127.0.0.1:${hopBackend.port}`], url_pattern: "/", encoding: "no-op" }],
      },
      {
        endpoint: "/api/all",
        input_headers: ["*"],
        input_query_strings: ["*"],
        backend: [{ url_pattern: "/all" }],
      },
    ],
  });

  test("a path parameter is placed into the backend url", async () => {
    const res = await fetch(`${gw.url}/api/users/42`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: "/users/42", method: "GET" });
  });

  test("several methods on one path each reach the backend with their method", async () => {
    const get = await fetch(`${gw.url}/api/items`);
    const post = await fetch(`${gw.url}/api/items`, { method: "POST", body: "{}" });
    expect((await get.json()).method).toBe("GET");
    expect((await post.json()).method).toBe("POST");
    const del = await fetch(`${gw.url}/api/items`, { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET, POST");
  });

  test("an unknown path is a problem+json 404", async () => {
    const res = await fetch(`${gw.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  test("a wildcard route passes the rest of the path through", async () => {
    const res = await fetch(`${gw.url}/api/files/a/b/c.txt`);
    expect(res.status).toBe(200);
    expect((await res.json()).path).toBe("/storage/a/b/c.txt");
  });

  test("encoded slashes and dot segments in a wildcard never reach the backend", async () => {
    const before = echo.seen.length;
    const res = await fetch(`${gw.url}/api/files/..%2F..%2Fadmin`);
    expect(res.status).toBe(400);
    const dots = await fetch(`${gw.url}/api/files/%2e%2e/x`);
    expect(dots.status).not.toBe(200);
    expect(echo.seen.slice(before).some((s) => s.path.includes("admin") || !s.path.startsWith("/storage"))).toBe(false);
  });

  test("only Content-Type and gateway headers reach a backend by default; no query string", async () => {
    const before = echo.seen.length;
    await fetch(`${gw.url}/api/users/1?secret=1&page=2`, {
      method: "GET",
      headers: { "X-Custom": "a", Cookie: "s=1", Authorization: "Bearer x", "Content-Type": "application/json" },
    });
    const seen = echo.seen[before]!;
    expect(seen.query).toBe("");
    expect(seen.headers["x-custom"]).toBeUndefined();
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-host"]).toStartWith("127.0.0.1:");
    expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  test("allow-listed headers and query parameters pass, others are stripped", async () => {
    const before = echo.seen.length;
    await fetch(`${gw.url}/api/open?page=2&admin=true&page=3`, {
      headers: { "X-Custom": "a", "X-Other": "b", "X-Forwarded-For": "6.6.6.6" },
    });
    const seen = echo.seen[before]!;
    expect(seen.query).toBe("page=2&page=3");
    expect(seen.headers["x-custom"]).toBe("a");
    expect(seen.headers["x-other"]).toBeUndefined();
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  test("client copies of identity headers are dropped even when allow-listed or with *", async () => {
    const before = echo.seen.length;
    await fetch(`${gw.url}/api/open`, { headers: { "X-User-Id": "admin", "X-User-Roles": "admin" } });
    await fetch(`${gw.url}/api/all?x=1`, { headers: { "X-User-Id": "admin", "X-User-Roles": "admin", "X-Any": "1" } });
    const [open, all] = echo.seen.slice(before);
    expect(open!.headers["x-user-id"]).toBeUndefined();
    expect(all!.headers["x-user-id"]).toBeUndefined();
    expect(all!.headers["x-user-roles"]).toBeUndefined();
    expect(all!.headers["x-any"]).toBe("1");
    expect(all!.query).toBe("x=1");
  });

  test("headers a Connection header names stay on their hop, in both directions", async () => {
    const before = echo.seen.length;
    const request =
      "GET /api/all HTTP/1.1\r\nHost: t\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nX-Any: 2\r\n\r\n";
    expect(await rawExchange(gw.url, request)).toStartWith("HTTP/1.1 200 ");
    const seen = echo.seen[before]!;
    expect(seen.headers["x-any"]).toBe("2");
    expect(seen.headers["x-secret"]).toBeUndefined();
    const answer = (
      await rawExchange(gw.url, "GET /api/hop HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    ).toLowerCase();
    expect(answer).toStartWith("http/1.1 200 ");
    expect(answer).toContain("x-end: 2");
    expect(answer).not.toContain("x-hop");
  });

  test("a valid incoming traceparent keeps its trace id on the way to the backend", async () => {
    const before = echo.seen.length;
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    await fetch(`${gw.url}/api/users/1`, { headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` } });
    expect(echo.seen[before]!.headers.traceparent).toStartWith(`00-${trace}-`);
    expect(echo.seen[before]!.headers.traceparent).not.toContain("00f067aa0ba902b7");
  });
});
