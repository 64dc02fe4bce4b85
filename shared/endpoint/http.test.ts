import { describe, expect, test } from "bun:test";
import { z } from "@hono/zod-openapi";
import pino from "pino";
import { AppError } from "../errors/index.ts";
import { createHttpApp } from "../http/index.ts";
import { defineContract, implement } from "./contract.ts";
import { describeHttpRoutes, httpRoute, mountHttpRoutes } from "./http.ts";

const U1 = "0190d9a4-6b1e-7c3a-9f51-0000000000a1";

const notesGet = defineContract({
  name: "test.notes.get",
  summary: "Get a note",
  input: z.object({ id: z.string().min(1) }),
  output: z.object({ id: z.string(), version: z.number() }),
  errors: ["invalid_argument"],
  idempotent: true,
});

const notesUpdate = defineContract({
  name: "test.notes.update",
  summary: "Change a note",
  input: z.object({
    id: z.string(),
    ifMatch: z.string().max(10).optional(),
    changes: z.strictObject({ text: z.string() }).openapi("NoteChanges"),
  }),
  output: z.void(),
  errors: ["invalid_argument", "unauthenticated"],
  idempotent: false,
});

const routes = {
  get: httpRoute(notesGet, {
    method: "get",
    path: "/notes/{id}",
    params: ["id"],
    notModified: true,
    responseHeaders: z.object({ ETag: z.string() }),
    headers: (note) => ({ ETag: `"v${note.version}"` }),
  }),
  update: httpRoute(notesUpdate, {
    method: "put",
    path: "/notes/{id}",
    params: ["id"],
    requestHeaders: { ifMatch: "if-match" },
    body: "changes",
    status: 204,
    authenticated: true,
    authorize: (ctx) => {
      if (!ctx.identity) throw new AppError("unauthenticated", "who are you?");
    },
  }),
};

function makeApp() {
  const updates: unknown[] = [];
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  mountHttpRoutes(app, routes, {
    get: implement(notesGet, async (input) => ({ id: input.id, version: 3 })),
    update: implement(notesUpdate, async (input) => {
      updates.push(input);
    }),
  });
  return { app, updates };
}

const put = (body: string, headers: Record<string, string> = {}) => ({
  method: "PUT",
  headers: { "content-type": "application/json", "x-user-id": U1, ...headers },
  body,
});

describe("routes bound to contracts", () => {
  test("document every operation from the contracts alone, with no handler behind them", () => {
    const app = createHttpApp({ logger: pino({ level: "silent" }) });
    describeHttpRoutes(app, routes);
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const note = doc.paths?.["/notes/{id}"];
    expect(note?.get?.operationId).toBe("test.notes.get");
    expect(Object.keys(note?.get?.responses ?? {}).sort()).toEqual(["200", "304", "400"]);
    expect(note?.get?.parameters?.map((p) => ("name" in p ? p.name : ""))).toEqual(["id", "if-none-match"]);
    expect(Object.keys(note?.put?.responses ?? {}).sort()).toEqual(["204", "400", "401", "413", "415"]);
    expect(JSON.stringify(note?.put?.requestBody)).toContain("#/components/schemas/NoteChanges");
    expect(note?.put?.parameters?.map((p) => ("name" in p ? p.name : ""))).toEqual(["id", "if-match"]);
  });

  test("answer 304 with the headers and no body when If-None-Match names the ETag", async () => {
    const { app } = makeApp();
    const fresh = await app.request("/notes/a");
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("etag")).toBe('"v3"');
    const same = await app.request("/notes/a", { headers: { "if-none-match": 'W/"v3"' } });
    expect(same.status).toBe(304);
    expect(same.headers.get("etag")).toBe('"v3"');
    expect(await same.text()).toBe("");
    expect((await app.request("/notes/a", { headers: { "if-none-match": '"v2"' } })).status).toBe(200);
  });

  test("hand a header and the whole body to their input keys, and answer 204 with no body", async () => {
    const { app, updates } = makeApp();
    const res = await app.request("/notes/a", put('{"text":"hi"}', { "if-match": '"v3"' }));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(updates).toEqual([{ id: "a", ifMatch: '"v3"', changes: { text: "hi" } }]);
  });

  test("refuse before reading any input, and answer invalid headers, bodies and NUL characters 400", async () => {
    const { app, updates } = makeApp();
    const anonymous = await app.request("/notes/a", {
      ...put("{oops"),
      headers: { "content-type": "application/json" },
    });
    expect(anonymous.status).toBe(401);
    const paths = async (res: Response) => {
      expect(res.status).toBe(400);
      return ((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    };
    expect(await paths(await app.request("/notes/a", put('{"text":"hi"}', { "if-match": "x".repeat(11) })))).toEqual([
      "/header/if-match",
    ]);
    expect(await paths(await app.request("/notes/a", put('{"text":1}')))).toEqual(["/body/text"]);
    expect(await paths(await app.request("/notes/a", put('{"text":"a\\u0000b"}')))).toEqual(["/body/text"]);
    expect(updates).toEqual([]);
  });

  test("refuse an endpoint that implements another contract than its route's", () => {
    const app = createHttpApp({ logger: pino({ level: "silent" }) });
    const wrong = implement(notesGet, async (input) => ({ id: input.id, version: 1 }));
    expect(() => mountHttpRoutes(app, routes, { get: wrong, update: wrong })).toThrow(/test.notes.update/);
  });
});

describe("strings a route refuses wherever they come from", () => {
  const paths = async (res: Response) => {
    expect(res.status).toBe(400);
    return ((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
  };

  test("a lone surrogate in the body, escaped in the JSON text, answers 400 naming the field", async () => {
    const { app, updates } = makeApp();
    expect(await paths(await app.request("/notes/a", put('{"text":"a\\ud800b"}')))).toEqual(["/body/text"]);
    expect(await paths(await app.request("/notes/a", put('{"text":"\\udfff"}')))).toEqual(["/body/text"]);
    expect((await app.request("/notes/a", put('{"text":"\\ud83d\\ude00"}'))).status).toBe(204);
    expect(updates).toHaveLength(1);
  });

  test("a path parameter that is not percent-encoded UTF-8 (a lone surrogate's bytes) answers 400 naming it", async () => {
    const { app } = makeApp();
    expect(await paths(await app.request("/notes/a%ED%A0%80b"))).toEqual(["/params/id"]);
    expect(await paths(await app.request("/notes/a%00b"))).toEqual(["/params/id"]);
    expect((await app.request("/notes/a%F0%9F%98%80b")).status).toBe(200);
    expect((await app.request("/notes/100%25")).status).toBe(200);
  });
});
