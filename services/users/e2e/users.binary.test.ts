// End-to-end: the compiled users binary, copied alone into an empty folder, against a fresh database.
import { expect, test } from "bun:test";
import { smokeTestBinary } from "@shared/testing/smoke.ts";

const smoke = smokeTestBinary("users", { exercisePath: "/users?limit=1" });

test("the users binary lists an admin's page of profiles on its migrated schema", async () => {
  const res = await fetch(`${smoke.app.url}/users?limit=5`, {
    headers: { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" },
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ items: [], nextCursor: null });
});
