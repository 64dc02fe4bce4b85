// Seeded fuzzing of paths, headers and query strings: nothing reaches a backend unless the config allows
// it, and no client input makes the gateway itself answer 500.
import { afterAll, describe, expect, test } from "bun:test";
import { type Seen, startBackend, startGateway, stopAll } from "../testing/harness.ts";

afterAll(stopAll);

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = mulberry32(20261124);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (n: number) => Math.floor(rand() * n);

const pieces = [
  "api",
  "users",
  "open",
  "files",
  "secret",
  "..",
  ".",
  "%2e%2e",
  "%2F",
  "%5c",
  "a%2fb",
  "%00",
  "é",
  "%",
  "*",
  "{id}",
  "42",
  "",
  "x".repeat(300),
  "%252F",
  ";",
  "a b",
];
const headerNames = [
  "x-user-id",
  "X-User-Roles",
  "X-USER-ID",
  "x-forwarded-for",
  "x-forwarded-host",
  "cookie",
  "authorization",
  "x-custom",
  "host",
  "forwarded",
  "x-request-id",
  "traceparent",
  "content-length",
  "transfer-encoding",
  "connection",
];

function randomPath(): string {
  const start = pick(["/api/users/", "/api/open", "/api/files/", "/api/private", "/", "/api/", "//api/users/"]);
  let p = start;
  for (let i = int(4); i > 0; i--) p += `${pick(pieces)}${rand() < 0.7 ? "/" : ""}`;
  return p;
}

function randomQuery(): string {
  const parts: string[] = [];
  for (let i = int(5); i > 0; i--) {
    const key = pick(["page", "Page", "admin", "page%00", "p%61ge", "", "=", "&", "page[]", "%"]);
    parts.push(rand() < 0.8 ? `${key}=${pick(["1", "", "%", "a=b", "../x", "%0d%0a"])}` : key);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

function randomHeaders(): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = int(6); i > 0; i--) {
    const name = rand() < 0.6 ? pick(headerNames) : `x-fz-${int(1000)}`;
    if (["host", "content-length", "transfer-encoding", "connection"].includes(name.toLowerCase())) continue;
    h[name] = pick([
      "admin",
      "1",
      "",
      "a,b",
      "00-00000000000000000000000000000000-0000000000000000-01",
      "x".repeat(200),
    ]);
  }
  return h;
}

const backend = startBackend(() => Response.json({ ok: true }));
const gw = startGateway(
  {
    host: [backend.url],
    endpoints: [
      { endpoint: "/api/users/{id}", backend: [{ url_pattern: "/users/{id}" }] },
      {
        endpoint: "/api/open",
        method: "GET",
        methods: ["GET", "POST"],
        input_headers: ["X-Custom", "X-User-Id"],
        input_query_strings: ["page"],
        backend: [{ url_pattern: "/open" }],
      },
      { endpoint: "/api/files/*", output_encoding: "no-op", backend: [{ url_pattern: "/storage/*" }] },
      {
        endpoint: "/api/private",
        extra_config: { "auth/validator": { any: true } },
        backend: [{ url_pattern: "/private" }],
      },
    ],
  },
  {
    createJwtValidator: () => ({ validate: async () => ({ ok: false, status: 401, message: "no" }) }),
  },
);

// What Bun's fetch adds to every backend request, plus what the gateway writes itself.
const alwaysThere = new Set([
  "host",
  "user-agent",
  "accept",
  "accept-encoding",
  "connection",
  "content-length",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-request-id",
  "traceparent",
]);

function violations(seen: Seen): string[] {
  const out: string[] = [];
  const allowedHeaders = new Set(alwaysThere);
  allowedHeaders.add("content-type");
  if (seen.path === "/open") allowedHeaders.add("x-custom");
  for (const name of Object.keys(seen.headers))
    if (!allowedHeaders.has(name)) out.push(`header ${name} on ${seen.path}`);
  if (seen.headers["x-forwarded-for"] !== "127.0.0.1") out.push(`x-forwarded-for ${seen.headers["x-forwarded-for"]}`);
  if (seen.path === "/open") {
    for (const pair of seen.query.split("&").filter(Boolean)) {
      const key = decodeURIComponent(pair.split("=")[0]!.replaceAll("+", " "));
      if (key !== "page") out.push(`query ${pair}`);
    }
  } else if (seen.path.startsWith("/users/")) {
    if (seen.query !== "") out.push(`query ${seen.query} on ${seen.path}`);
    if (seen.path.split("/").length !== 3) out.push(`path ${seen.path}`);
  } else if (seen.path.startsWith("/storage/")) {
    if (seen.path.split("/").some((s) => s === ".." || s === ".")) out.push(`path ${seen.path}`);
  } else out.push(`unexpected path ${seen.path}`);
  return out;
}

describe("fuzzed client input", () => {
  test("3000 random requests never reach a backend unless allowed and never make the gateway fail", async () => {
    const deadline = performance.now() + 20_000;
    const failures: string[] = [];
    let sent = 0;
    for (let batch = 0; batch < 150 && performance.now() < deadline; batch++) {
      const cases = Array.from({ length: 20 }, () => ({
        path: randomPath() + randomQuery(),
        headers: randomHeaders(),
        method: pick(["GET", "GET", "POST", "DELETE", "OPTIONS", "PUT"]),
      }));
      const before = backend.seen.length;
      const results = await Promise.all(
        cases.map(async (c) => {
          let res: Response;
          try {
            res = await fetch(gw.url + c.path, {
              method: c.method,
              headers: c.headers,
              body: c.method === "POST" || c.method === "PUT" ? "x" : undefined,
            });
          } catch {
            return null; // the client refused to send it (invalid URL or header)
          }
          await res.arrayBuffer();
          return { status: res.status, c };
        }),
      );
      sent += results.filter(Boolean).length;
      for (const r of results) {
        if (r && r.status >= 500) failures.push(`${r.status} for ${r.c.method} ${r.c.path}`);
      }
      for (const seen of backend.seen.slice(before)) {
        if (seen.path === "/private") failures.push("a request without a valid token reached /private");
        failures.push(...violations(seen));
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(sent).toBeGreaterThan(2000);
    expect(backend.seen.length).toBeGreaterThan(100);
  }, 30_000);
});
