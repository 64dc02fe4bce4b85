import { afterAll, describe, expect, test } from "bun:test";
import { startBackend, startGateway, stopAll } from "../testing/harness.ts";

afterAll(stopAll);

const backend = startBackend((_req, url) => {
  if (url.pathname === "/openapi.json") {
    return Response.json({
      openapi: "3.1.0",
      paths: {
        "/users/{userId}": {
          get: { summary: "Get a user profile", responses: { "200": { description: "The profile" } } },
        },
      },
    });
  }
  return Response.json({ id: 1 });
});

const gw = startGateway(
  {
    host: [backend.url],
    endpoints: [
      { endpoint: "/api/users/{id}", backend: [{ url_pattern: "/users/{id}" }] },
      { endpoint: "/api/files/*", output_encoding: "no-op", backend: [{ url_pattern: "/files" }] },
    ],
  },
  {},
  { realSpecs: true },
);

describe("operational endpoints", () => {
  test("/__health answers like KrakenD's", async () => {
    const res = await fetch(`${gw.url}/__health`);
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe("ok");
  });

  test("/metrics reports request and backend durations by route", async () => {
    await fetch(`${gw.url}/api/users/5`);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(
      /gateway_request_duration_seconds_count\{route="\/api\/users\/\{id\}",method="GET",status="200"\} [1-9]/,
    );
    expect(text).toMatch(
      /gateway_backend_duration_seconds_count\{backend="http:\/\/127\.0\.0\.1:\d+\/users\/\{id\}",outcome="ok"\} [1-9]/,
    );
  });

  test("with telemetry/metrics.listen_address, /metrics is served on that address only", async () => {
    const apart = startGateway({
      host: [backend.url],
      extra_config: { "telemetry/metrics": { listen_address: "127.0.0.1:0" } },
      endpoints: [{ endpoint: "/api/users/{id}", backend: [{ url_pattern: "/users/{id}" }] }],
    });
    const metrics = apart.gateway.listenMetrics()!;
    try {
      expect((await fetch(`${apart.url}/api/users/7`)).status).toBe(200);
      const hidden = await fetch(`${apart.url}/metrics`);
      expect(hidden.status).toBe(404);
      expect(hidden.headers.get("content-type")).toBe("application/problem+json");
      const scrape = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toMatch(/gateway_request_duration_seconds_count\{route="\/api\/users\/\{id\}"/);
      const other = await fetch(`http://127.0.0.1:${metrics.port}/api/users/7`);
      expect(other.status).toBe(404);
      expect(other.headers.get("content-type")).toBe("application/problem+json");
    } finally {
      metrics.stop(true);
    }
    expect(gw.gateway.listenMetrics()).toBeNull();
  });

  test("each request is logged once with its request id and trace id", async () => {
    const trace = "0af7651916cd43dd8448eb211c80319c";
    await fetch(`${gw.url}/api/users/6`, {
      headers: { "x-request-id": "req-123", traceparent: `00-${trace}-b7ad6b7169203331-01` },
    });
    const line = gw.logger.lines.find((l) => (l.obj as { requestId?: string }).requestId === "req-123");
    expect(line?.msg).toBe("request");
    expect(line?.obj).toMatchObject({ traceId: trace, route: "/api/users/{id}", status: 200, method: "GET" });
  });

  test("/docs/openapi.json is generated from the config with the backend's own operation merged in", async () => {
    const doc = await (await fetch(`${gw.url}/docs/openapi.json`)).json();
    const op = doc.paths["/api/users/{id}"].get;
    expect(op.summary).toBe("Get a user profile");
    expect(op.parameters[0]).toMatchObject({ name: "id", in: "path", required: true });
    expect(op.responses["200"].description).toBe("The profile");
    expect(doc.paths["/api/files/{path}"].get).toBeDefined();
  });

  test("/docs serves Swagger UI from the gateway's own files", async () => {
    const page = await (await fetch(`${gw.url}/docs`)).text();
    expect(page).toContain("/docs/assets/swagger-ui-bundle.js");
    const asset = await fetch(`${gw.url}/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(100_000);
  });
});
