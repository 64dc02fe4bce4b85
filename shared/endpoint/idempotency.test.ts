import { describe, expect, test } from "bun:test";
import { z } from "@hono/zod-openapi";
import pino from "pino";
import { createHttpApp } from "../http/index.ts";
import { MemoryIdempotencyStore } from "../idempotency/memory.ts";
import { defineContract, implement } from "./contract.ts";
import { describeHttpRoutes, httpRoute, mountHttpRoutes } from "./http.ts";

const U1 = "0190d9a4-6b1e-7c3a-9f51-0000000000a1";
const U2 = "0190d9a4-6b1e-7c3a-9f51-0000000000b2";

const notesCreate = defineContract({
  name: "test.notes.create",
  summary: "Create a note",
  input: z.object({ text: z.string() }),
  output: z.object({ id: z.string(), text: z.string() }),
  errors: ["invalid_argument"],
  idempotent: false,
});

const routes = {
  create: httpRoute(notesCreate, {
    method: "post",
    path: "/notes",
    status: 201,
    idempotencyKey: true,
    headers: (note) => ({ location: `/notes/${note.id}` }),
  }),
};

function makeApp(gate?: Promise<void>) {
  const created: string[] = [];
  const app = createHttpApp({ logger: pino({ level: "silent" }) });
  const create = implement(notesCreate, async (input) => {
    await gate;
    if (input.text === "fail") throw new Error("lost");
    const id = `n${created.length + 1}`;
    created.push(id);
    return { id, text: input.text };
  });
  mountHttpRoutes(app, routes, { create }, { idempotency: new MemoryIdempotencyStore() });
  return { app, created };
}

const post = (body: unknown, key?: string, user = U1) =>
  ({
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-user-id": user,
      ...(key === undefined ? {} : { "idempotency-key": key }),
    },
    body: JSON.stringify(body),
  }) as const;

describe("a route that honours Idempotency-Key", () => {
  test("replays the first answer to a retry: same status, body and headers, marked as replayed", async () => {
    const { app, created } = makeApp();
    const first = await app.request("/notes", post({ text: "hi" }, '"k-1"'));
    const again = await app.request("/notes", post({ text: "hi" }, "k-1"));
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(await first.text());
    expect(again.headers.get("location")).toBe("/notes/n1");
    expect(again.headers.get("content-type")).toBe(first.headers.get("content-type"));
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(created).toEqual(["n1"]);
  });

  test("answers 422 for the same key with another body, and runs nothing", async () => {
    const { app, created } = makeApp();
    await app.request("/notes", post({ text: "hi" }, "k-1"));
    const other = await app.request("/notes", post({ text: "bye" }, "k-1"));
    expect(other.status).toBe(422);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
    expect(((await other.json()) as { code: string }).code).toBe("unprocessable_content");
    expect(created).toEqual(["n1"]);
  });

  test("answers 409 to a retry while the first request still runs", async () => {
    let open = () => {};
    const { app, created } = makeApp(new Promise<void>((resolve) => (open = resolve)));
    const first = app.request("/notes", post({ text: "hi" }, "k-1"));
    await Bun.sleep(20);
    const during = await app.request("/notes", post({ text: "hi" }, "k-1"));
    expect(during.status).toBe(409);
    expect(during.headers.get("retry-after")).toBe("1");
    open();
    expect((await first).status).toBe(201);
    expect(created).toEqual(["n1"]);
  });

  test("scopes keys per caller, runs every request without a key, and frees the key of a failed request", async () => {
    const { app, created } = makeApp();
    await app.request("/notes", post({ text: "hi" }, "k-1", U1));
    expect(
      (await app.request("/notes", post({ text: "hi" }, "k-1", U2))).headers.get("idempotent-replayed"),
    ).toBeNull();
    await app.request("/notes", post({ text: "hi" }));
    await app.request("/notes", post({ text: "hi" }));
    expect((await app.request("/notes", post({ text: "fail" }, "k-2"))).status).toBe(500);
    expect((await app.request("/notes", post({ text: "ok" }, "k-2"))).status).toBe(201);
    expect(created).toEqual(["n1", "n2", "n3", "n4", "n5"]);
  });

  test("answers 400 naming the header for a key that is not 1-255 visible ASCII characters", async () => {
    const { app, created } = makeApp();
    for (const key of ['"', "a b", "x".repeat(256), '"a\\"b"']) {
      const res = await app.request("/notes", post({ text: "hi" }, key));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errors: { path: string }[] }).errors).toEqual([
        expect.objectContaining({ path: "/header/idempotency-key" }),
      ]);
    }
    expect(created).toEqual([]);
  });

  test("is documented with the optional header and its 409 and 422 answers, and needs a store to be served", () => {
    const app = createHttpApp({ logger: pino({ level: "silent" }) });
    describeHttpRoutes(app, routes);
    const op = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } }).paths?.["/notes"]
      ?.post;
    expect(op?.parameters).toEqual([
      expect.objectContaining({ name: "idempotency-key", in: "header", required: false }),
    ]);
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(["201", "409", "422"]));
    const create = implement(notesCreate, async (input) => ({ id: "n", text: input.text }));
    expect(() => mountHttpRoutes(createHttpApp({ logger: pino({ level: "silent" }) }), routes, { create })).toThrow(
      /idempotency store/,
    );
  });
});
