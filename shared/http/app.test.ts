import { describe, expect, test } from "bun:test";
import { createRoute, z } from "@hono/zod-openapi";
import pino from "pino";
import { AppError } from "../errors/index.ts";
import { createMetrics } from "../metrics/index.ts";
import { createHttpApp } from "./app.ts";

function makeApp() {
  const logged: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => logged.push(JSON.parse(line)) });
  const metrics = createMetrics({ service: "test", version: "1.2.3" });
  const app = createHttpApp({ logger, metrics, bodyLimitBytes: 1024 });
  const Thing = z.object({ name: z.string().min(1), count: z.number().int() });
  app.openapi(
    createRoute({
      method: "post",
      path: "/things/{id}",
      request: {
        params: z.object({ id: z.uuid() }),
        body: { content: { "application/json": { schema: Thing } }, required: true },
      },
      responses: { 200: { description: "ok", content: { "application/json": { schema: Thing } } } },
    }),
    (c) => c.json(c.req.valid("json"), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/search",
      request: { query: z.object({ q: z.string() }) },
      responses: { 200: { description: "ok" } },
    }),
    (c) => c.json({ q: c.req.valid("query").q }, 200),
  );
  app.get("/conflict", () => {
    throw new AppError("conflict", "already there");
  });
  app.get("/boom", () => {
    throw new Error("secret database password in message");
  });
  return { app, logged, metrics };
}

const id = "7d3c1f1e-3b0a-4b6e-9a55-1f0e6b2c9a10";
const json = { "content-type": "application/json" };

async function problem(res: Response) {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as Record<string, unknown>;
}

describe("the HTTP app factory", () => {
  test("a valid request reaches the handler and carries a request id", async () => {
    const { app } = makeApp();
    const res = await app.request(`/things/${id}`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ name: "a", count: 1 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: "a", count: 1 });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("malformed JSON answers 400 problem+json", async () => {
    const { app } = makeApp();
    const res = await app.request(`/things/${id}`, { method: "POST", headers: json, body: "{not json" });
    expect(res.status).toBe(400);
    expect((await problem(res)).code).toBe("invalid_argument");
  });

  test("a wrong content type answers 415 problem+json", async () => {
    const { app } = makeApp();
    const res = await app.request(`/things/${id}`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "name=a",
    });
    expect(res.status).toBe(415);
    expect((await problem(res)).code).toBe("unsupported_media_type");
  });

  test("wrong types and missing fields answer 400 with one field error each", async () => {
    const { app } = makeApp();
    const res = await app.request(`/things/${id}`, { method: "POST", headers: json, body: '{"count":"x"}' });
    expect(res.status).toBe(400);
    const body = await problem(res);
    const paths = (body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(["/body/count", "/body/name"]);
  });

  test("a NUL character in a body string or a query value answers 400 naming the field", async () => {
    const { app } = makeApp();
    const res = await app.request(`/things/${id}`, {
      method: "POST",
      headers: json,
      body: '{"name":"a\\u0000b","count":1}',
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).errors).toEqual([expect.objectContaining({ path: "/body/name" })]);
    const query = await app.request("/search?q=a%00b");
    expect(query.status).toBe(400);
    expect((await problem(query)).errors).toEqual([expect.objectContaining({ path: "/query/q" })]);
    const fine = await app.request("/search?q=a%01b");
    expect(fine.status).toBe(200);
  });

  test("a malformed path parameter answers 400 naming the parameter", async () => {
    const { app } = makeApp();
    const res = await app.request("/things/not-a-uuid", {
      method: "POST",
      headers: json,
      body: '{"name":"a","count":1}',
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).errors).toEqual([expect.objectContaining({ path: "/params/id" })]);
  });

  test("a body over the limit answers 413 problem+json", async () => {
    const { app } = makeApp();
    const res = await app.request(`/things/${id}`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ name: "x".repeat(4096), count: 1 }),
    });
    expect(res.status).toBe(413);
    expect((await problem(res)).code).toBe("payload_too_large");
  });

  test("an unknown route answers 404 problem+json", async () => {
    const { app } = makeApp();
    const res = await app.request("/nowhere");
    expect(res.status).toBe(404);
    expect((await problem(res)).instance).toBe("/nowhere");
  });

  test("a thrown AppError keeps its code and message", async () => {
    const { app } = makeApp();
    const res = await app.request("/conflict", { headers: { "x-request-id": "req-42" } });
    expect(res.status).toBe(409);
    const body = await problem(res);
    expect(body).toMatchObject({ code: "conflict", detail: "already there", requestId: "req-42" });
    expect(res.headers.get("x-request-id")).toBe("req-42");
  });

  test("an unexpected error is logged with its cause and masked for the client", async () => {
    const { app, logged } = makeApp();
    const res = await app.request("/boom");
    expect(res.status).toBe(500);
    const body = await problem(res);
    expect(JSON.stringify(body)).not.toContain("secret");
    const errorLine = logged.find((l) => l.msg === "request error") as { err: { message: string } };
    expect(errorLine.err.message).toContain("secret database password");
  });

  test("request durations are recorded by route pattern, not raw path", async () => {
    const { app, metrics } = makeApp();
    await app.request(`/things/${id}`, { method: "POST", headers: json, body: '{"name":"a","count":1}' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('route="/things/:id",status="200"');
    expect(text).not.toContain(id);
    expect(text).toContain('build_info{version="1.2.3",service="test"} 1');
  });
});
