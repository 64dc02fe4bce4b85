import { describe, expect, test } from "bun:test";
import { errorCodeOf } from "@shared/testing/errors.ts";
import type { UsersRepo } from "./users.service.ts";

/**
 * Registers the behaviour every UsersRepo must have; run against the in-memory fake and against
 * PostgreSQL so the fake used by service tests cannot drift from the real thing.
 */
export function usersRepoContract(name: string, makeRepo: () => Promise<UsersRepo>): void {
  const id = (n: number) => `0190d9a4-6b1e-7c3a-9f51-${n.toString(16).padStart(12, "0")}`;

  describe(`${name} (UsersRepo contract)`, () => {
    test("a created profile reads back equal", async () => {
      const repo = await makeRepo();
      const created = await repo.create({ id: id(1), email: "a@example.com", displayName: "A" });
      expect(await repo.get(id(1))).toEqual(created);
    });

    test("an unknown id reads as null and updates as null", async () => {
      const repo = await makeRepo();
      expect(await repo.get(id(99))).toBeNull();
      expect(await repo.update(id(99), { displayName: "x" })).toBeNull();
    });

    test("a taken id or email (in any case) is a conflict", async () => {
      const repo = await makeRepo();
      await repo.create({ id: id(1), email: "a@example.com", displayName: "A" });
      expect(await errorCodeOf(repo.create({ id: id(1), email: "b@example.com", displayName: "B" }))).toBe("conflict");
      expect(await errorCodeOf(repo.create({ id: id(2), email: "A@example.com", displayName: "B" }))).toBe("conflict");
    });

    test("an update to another profile's email is a conflict and changes nothing", async () => {
      const repo = await makeRepo();
      await repo.create({ id: id(1), email: "a@example.com", displayName: "A" });
      await repo.create({ id: id(2), email: "b@example.com", displayName: "B" });
      expect(await errorCodeOf(repo.update(id(2), { email: "a@example.com" }))).toBe("conflict");
      expect((await repo.get(id(2)))?.email).toBe("b@example.com");
    });

    test("an update changes only the given fields and moves updatedAt", async () => {
      const repo = await makeRepo();
      const created = await repo.create({ id: id(1), email: "a@example.com", displayName: "A" });
      await Bun.sleep(5);
      const updated = await repo.update(id(1), { displayName: "Z" });
      expect(updated).toMatchObject({ email: "a@example.com", displayName: "Z" });
      expect(updated!.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
    });

    test("listing walks every profile once in (createdAt, id) order", async () => {
      const repo = await makeRepo();
      for (let n = 1; n <= 5; n++) await repo.create({ id: id(n), email: `${n}@example.com`, displayName: `${n}` });
      const seen: string[] = [];
      let after = null;
      for (;;) {
        const page = await repo.list(after, 2);
        if (page.length === 0) break;
        seen.push(...page.map((p) => p.id));
        const last = page.at(-1)!;
        after = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual([1, 2, 3, 4, 5].map(id));
    });
  });
}
