import { afterAll, describe, expect, test } from "bun:test";
import { rawExchange, sleep, startBackend, startGateway, stopAll } from "../testing/harness.ts";

afterAll(stopAll);

const backend = startBackend(async (req, url) => {
  if (url.pathname === "/missing") return new Response("missing thing", { status: 404 });
  if (url.pathname === "/ok") return Response.json({ ok: true });
  if (url.pathname === "/conflict") {
    return new Response('{"type":"conflict"}', {
      status: 409,
      headers: { "content-type": "application/problem+json" },
    });
  }
  if (url.pathname === "/echo") {
    const bytes = new Uint8Array(await req.arrayBuffer());
    return Response.json({ length: bytes.length, sum: bytes.reduce((a, b) => (a + b) % 65521, 0) });
  }
  if (url.pathname === "/slow") {
    await sleep(300);
    return Response.json({ late: true });
  }
  if (url.pathname === "/big") return Response.json({ blob: "x".repeat(1000) });
  if (url.pathname === "/created") {
    return new Response("raw body", { status: 201, headers: { "set-cookie": "a=1", "x-backend": "yes" } });
  }
  return new Response("?", { status: 400 });
});

const gw = startGateway({
  host: [backend.url],
  endpoints: [
    {
      endpoint: "/code",
      backend: [{ url_pattern: "/missing", extra_config: { "backend/http": { return_error_code: true } } }],
    },
    {
      endpoint: "/code-msg",
      backend: [
        {
          url_pattern: "/missing",
          extra_config: { "backend/http": { return_error_code: true, return_error_msg: true } },
        },
      ],
    },
    {
      endpoint: "/details",
      backend: [
        { url_pattern: "/ok" },
        { url_pattern: "/missing", extra_config: { "backend/http": { return_error_details: "orders" } } },
      ],
    },
    {
      endpoint: "/details-json",
      backend: [{ url_pattern: "/conflict", extra_config: { "backend/http": { return_error_details: "users" } } }],
    },
    { endpoint: "/hidden", backend: [{ url_pattern: "/missing" }] },
    { endpoint: "/timeout-500", timeout: "100ms", backend: [{ url_pattern: "/slow" }] },
    {
      endpoint: "/timeout-504",
      timeout: "100ms",
      extra_config: { "gateway/endpoint": { timeout_status: 504 } },
      backend: [{ url_pattern: "/slow" }],
    },
    {
      endpoint: "/upload",
      method: "POST",
      extra_config: { router: { max_payload: 10 } },
      backend: [{ url_pattern: "/ok" }],
    },
    {
      endpoint: "/big",
      backend: [{ url_pattern: "/big", extra_config: { "gateway/backend": { max_response_size: 100 } } }],
    },
    {
      endpoint: "/big-noop",
      output_encoding: "no-op",
      backend: [{ url_pattern: "/big", extra_config: { "gateway/backend": { max_response_size: 100 } } }],
    },
    { endpoint: "/raw", method: "POST", output_encoding: "no-op", backend: [{ url_pattern: "/created" }] },
    { endpoint: "/echo", method: "PUT", output_encoding: "no-op", backend: [{ url_pattern: "/echo" }] },
  ],
});

describe("backend errors", () => {
  test("return_error_code forwards the backend status with an empty body", async () => {
    const res = await fetch(`${gw.url}/code`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("");
  });

  test("return_error_msg adds the backend body to the forwarded status", async () => {
    const res = await fetch(`${gw.url}/code-msg`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("text/plain;charset=utf-8");
    expect(await res.text()).toBe("missing thing");
  });

  test("return_error_details puts the failure under error_<alias> next to the working data", async () => {
    const res = await fetch(`${gw.url}/details`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-krakend-completed")).toBe("false");
    expect(await res.json()).toEqual({
      ok: true,
      error_orders: {
        http_status_code: 404,
        http_body: "missing thing",
        http_body_encoding: "text/plain;charset=utf-8",
      },
    });
  });

  test("return_error_details names the backend body's content type in http_body_encoding", async () => {
    const res = await fetch(`${gw.url}/details-json`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error_users: {
        http_status_code: 409,
        http_body: '{"type":"conflict"}',
        http_body_encoding: "application/problem+json",
      },
    });
  });

  test("without an error strategy the backend's failure is masked as 500", async () => {
    const res = await fetch(`${gw.url}/hidden`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("missing thing");
  });

  test("a timeout is 500 as in KrakenD", async () => {
    const res = await fetch(`${gw.url}/timeout-500`);
    expect(res.status).toBe(500);
  });

  test("a timeout is 504 when the endpoint asks for it", async () => {
    const started = performance.now();
    const res = await fetch(`${gw.url}/timeout-504`);
    expect(res.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(280);
  });
});

describe("size limits", () => {
  test("a request body over max_payload is refused with 413 and never forwarded", async () => {
    const before = backend.seen.length;
    const big = await fetch(`${gw.url}/upload`, { method: "POST", body: "01234567890" });
    expect(big.status).toBe(413);
    const streamed = await fetch(`${gw.url}/upload`, {
      method: "POST",
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode("0123456789"));
          c.enqueue(new TextEncoder().encode("0123456789"));
          c.close();
        },
      }),
    });
    expect(streamed.status).toBe(413);
    expect(backend.seen.length).toBe(before);
    const ok = await fetch(`${gw.url}/upload`, { method: "POST", body: "0123456789" });
    expect(ok.status).toBe(200);
  });

  test("a 3 MiB pass-through upload, sent chunked, reaches the backend byte for byte", async () => {
    const part = new Uint8Array(64 * 1024).map((_, i) => (i * 7) % 251);
    const parts = 48;
    let expected = 0;
    for (let p = 0; p < parts; p++) for (const b of part) expected = (expected + b) % 65521;
    let sent = 0;
    const res = await fetch(`${gw.url}/echo`, {
      method: "PUT",
      body: new ReadableStream({
        pull(c) {
          if (sent++ === parts) c.close();
          else c.enqueue(part);
        },
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ length: parts * part.length, sum: expected });
  });

  test("a backend answer over max_response_size is a failure", async () => {
    expect((await fetch(`${gw.url}/big`)).status).toBe(500);
    expect((await fetch(`${gw.url}/big-noop`)).status).toBe(500);
  });

  test("a malformed or cut-short request body is the client's 400, logged and counted as such", async () => {
    const before = gw.logger.lines.length;
    const badChunk = "POST /raw HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n";
    expect(await rawExchange(gw.url, badChunk)).toStartWith("HTTP/1.1 400 ");
    await rawExchange(gw.url, "POST /raw HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc", { end: true });
    await sleep(50);
    const lines = gw.logger.lines.slice(before);
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
    const statuses = lines.filter((l) => l.msg === "request").map((l) => (l.obj as { status: number }).status);
    expect(statuses).toEqual([400, 400]);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('gateway_request_duration_seconds_count{route="/raw",method="POST",status="400"} 2');
    expect(metrics).not.toContain('route="/raw",method="POST",status="500"');
  });

  test("no-op passes status, headers and body through", async () => {
    const res = await fetch(`${gw.url}/raw`, { method: "POST", body: "x" });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-backend")).toBe("yes");
    expect(res.headers.get("set-cookie")).toBe("a=1");
    expect(await res.text()).toBe("raw body");
  });
});

describe("a gateway whose closing steps fail", () => {
  let broken = false;
  const flaky = startGateway(
    {
      host: [backend.url],
      endpoints: [
        { endpoint: "/merged", backend: [{ url_pattern: "/ok" }, { url_pattern: "/big" }] },
        { endpoint: "/passed", output_encoding: "no-op", backend: [{ url_pattern: "/ok", encoding: "no-op" }] },
      ],
    },
    {},
    {
      accessWriter: () => {
        if (broken) throw new Error("access log cannot write");
      },
    },
  );

  test("an access log that throws leaves the client a 500, and the gateway serves on once it writes again", async () => {
    broken = true;
    try {
      for (const path of ["/merged", "/passed"]) {
        const res = await fetch(`${flaky.url}${path}`);
        expect(res.status).toBe(500);
        await res.arrayBuffer();
      }
    } finally {
      broken = false;
    }
    const merged = await fetch(`${flaky.url}/merged`);
    expect(merged.status).toBe(200);
    expect(await merged.json()).toEqual({ ok: true, blob: "x".repeat(1000) });
    expect((await fetch(`${flaky.url}/passed`)).status).toBe(200);
  });
});
