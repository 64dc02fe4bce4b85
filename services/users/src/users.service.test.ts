import { describe, expect, test } from "bun:test";
import { errorCodeOf } from "@shared/testing/errors.ts";
import type { Actor } from "./users.model.ts";
import { MemoryUsersRepo } from "./users.repo.memory.ts";
import { UsersService } from "./users.service.ts";

const admin: Actor = { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin"] };
const alice: Actor = { userId: "00000000-0000-4000-8000-0000000000a1", roles: ["user"] };
const bob: Actor = { userId: "00000000-0000-4000-8000-0000000000b0", roles: ["user"] };

async function seeded() {
  const service = new UsersService(new MemoryUsersRepo());
  await service.createForSystem({ id: alice.userId, email: "Alice@Example.com", displayName: "Alice" });
  await service.createForSystem({ id: bob.userId, email: "bob@example.com", displayName: "Bob" });
  return service;
}

describe("the users service", () => {
  test("stores emails in lower case", async () => {
    const service = await seeded();
    expect((await service.get(alice, alice.userId)).email).toBe("alice@example.com");
  });

  test("lets a user read and update their own profile", async () => {
    const service = await seeded();
    const updated = await service.update(alice, alice.userId, { displayName: "Alice B." });
    expect(updated.displayName).toBe("Alice B.");
  });

  test("refuses to show or change another user's profile", async () => {
    const service = await seeded();
    expect(await errorCodeOf(service.get(alice, bob.userId))).toBe("permission_denied");
    expect(await errorCodeOf(service.update(alice, bob.userId, { displayName: "x" }))).toBe("permission_denied");
  });

  test("lets an admin read anyone and answers not_found for unknown ids", async () => {
    const service = await seeded();
    expect((await service.get(admin, bob.userId)).displayName).toBe("Bob");
    expect(await errorCodeOf(service.get(admin, "00000000-0000-4000-8000-00000000ffff"))).toBe("not_found");
  });

  test("lets only admins create and list profiles", async () => {
    const service = await seeded();
    expect(await errorCodeOf(service.create(alice, { email: "c@example.com", displayName: "C" }))).toBe(
      "permission_denied",
    );
    expect(await errorCodeOf(service.list(alice, undefined, 10))).toBe("permission_denied");
    const created = await service.create(admin, { email: "c@example.com", displayName: "C" });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("rejects an update that changes nothing", async () => {
    const service = await seeded();
    expect(await errorCodeOf(service.update(alice, alice.userId, {}))).toBe("invalid_argument");
  });

  test("rejects a malformed cursor", async () => {
    const service = await seeded();
    expect(await errorCodeOf(service.list(admin, "bm9wZQ", 10))).toBe("invalid_argument");
  });

  test("a registration creates the profile under the auth id once; a repeat returns it unchanged", async () => {
    const service = new UsersService(new MemoryUsersRepo());
    const id = "00000000-0000-4000-8000-0000000000c0";
    const first = await service.createForRegistration({ id, email: " Carol@Example.com" });
    expect(first).toMatchObject({ id, email: "carol@example.com", displayName: "carol" });
    const again = await service.createForRegistration({ id, email: "other@example.com", displayName: "X" });
    expect(again).toEqual(first);
  });
});
