import { describe, expect, test } from "bun:test";
import pino from "pino";
import { createApp } from "./notifier.app.ts";
import { makeNotifierEndpoints } from "./notifier.endpoints.ts";
import { MemoryNotifierRepo } from "./notifier.repo.memory.ts";
import { NotifierService } from "./notifier.service.ts";

const alice = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fa1";
const bob = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fb0";
const order = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f0f";
const as = (id: string) => ({ "x-user-id": id, "x-user-roles": "user" });

async function makeApp() {
  const repo = new MemoryNotifierRepo();
  const notifier = new NotifierService(repo);
  for (let i = 1; i <= 3; i++) {
    await notifier.record({
      kind: "order-placed",
      eventId: Bun.randomUUIDv7(),
      userId: alice,
      orderId: order,
      totalMinor: i * 100,
      currency: "EUR",
    });
  }
  await notifier.record({ kind: "order-cancelled", eventId: Bun.randomUUIDv7(), userId: bob, orderId: order });
  const app = createApp({
    endpoints: makeNotifierEndpoints(notifier),
    logger: pino({ level: "silent" }),
    version: "9.9.9",
  });
  return { app, repo };
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(((await res.json()) as { code: string }).code).toBe(code);
}

type PageBody = { items: { id: string; userId: string; readAt: string | null }[]; nextCursor: string | null };

describe("the notifier HTTP routes", () => {
  test("a user pages through exactly their own notifications", async () => {
    const { app } = await makeApp();
    const seen: PageBody["items"] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const res = await app.request(`/notifications${q}`, { headers: as(alice) });
      expect(res.status).toBe(200);
      const page = (await res.json()) as PageBody;
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(3);
    expect(new Set(seen.map((n) => n.userId))).toEqual(new Set([alice]));
  });

  test("marking read answers the notification with readAt, and unread=true no longer lists it", async () => {
    const { app } = await makeApp();
    const list = (await (await app.request("/notifications", { headers: as(alice) })).json()) as PageBody;
    const target = list.items[0]!;
    const res = await app.request(`/notifications/${target.id}/read`, { method: "POST", headers: as(alice) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { readAt: string | null }).readAt).not.toBeNull();
    const unread = (await (await app.request("/notifications?unread=true", { headers: as(alice) })).json()) as PageBody;
    expect(unread.items.map((n) => n.id)).not.toContain(target.id);
    expect(unread.items.length).toBe(2);
  });

  test("another user's notification answers 404 and stays unread", async () => {
    const { app, repo } = await makeApp();
    const bobs = repo.all().find((n) => n.userId === bob)!;
    await expectProblem(
      await app.request(`/notifications/${bobs.id}/read`, { method: "POST", headers: as(alice) }),
      404,
      "not_found",
    );
    expect(repo.all().find((n) => n.id === bobs.id)!.readAt).toBeNull();
  });

  test("no identity answers 401; bad ids, limits and cursors answer 400", async () => {
    const { app } = await makeApp();
    await expectProblem(await app.request("/notifications"), 401, "unauthenticated");
    await expectProblem(
      await app.request("/notifications/42/read", { method: "POST", headers: as(alice) }),
      400,
      "invalid_argument",
    );
    for (const q of ["limit=0", "limit=101", "cursor=!!!", "unread=maybe"]) {
      await expectProblem(await app.request(`/notifications?${q}`, { headers: as(alice) }), 400, "invalid_argument");
    }
  });

  test("the OpenAPI document lists both operations and carries the build version", async () => {
    const { app } = await makeApp();
    const doc = (await (await app.request("/openapi.json")).json()) as {
      info: { version: string };
      paths: Record<string, object>;
    };
    expect(doc.info.version).toBe("9.9.9");
    expect(Object.keys(doc.paths).sort()).toEqual(["/notifications", "/notifications/{id}/read"]);
  });
});
