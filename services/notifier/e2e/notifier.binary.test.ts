// End-to-end: the compiled notifier binary, copied alone into an empty folder, against a fresh database.
import { expect, test } from "bun:test";
import { smokeTestBinary } from "@shared/testing/smoke.ts";

const smoke = smokeTestBinary("notifier", { exercisePath: "/notifications?limit=1" });
const alice = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-0000000000a1", "x-user-roles": "user" };

test("the notifier binary lists no notifications for a new user and 404s marking an unknown one", async () => {
  const res = await fetch(`${smoke.app.url}/notifications?limit=5`, { headers: alice });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ items: [], nextCursor: null });
  const read = await fetch(`${smoke.app.url}/notifications/0190d9a4-6b1e-7c3a-9f51-00000000ffff/read`, {
    method: "POST",
    headers: alice,
  });
  expect(read.status).toBe(404);
  expect(((await read.json()) as { code: string }).code).toBe("not_found");
});

test("without NATS the binary says it consumes nothing", () => {
  expect(smoke.app.stdout.some((l) => l.includes("consumes no events"))).toBe(true);
});
