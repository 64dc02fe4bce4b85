import { describe, expect, test } from "bun:test";
import { errorCodeOf } from "../testing/errors.ts";
import {
  identityFromHeaders,
  identityHeaderNames,
  isAdmin,
  parseRoles,
  requireCaller,
  writeIdentityHeaders,
} from "./caller.ts";

const alice = "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fa1";
const from = (headers: Record<string, string>) =>
  identityFromHeaders(headers[identityHeaderNames.userId], headers[identityHeaderNames.roles]);

describe("the caller's identity headers", () => {
  test("a UUID user id and its roles are read, the id lower-cased and the roles trimmed", () => {
    expect(from({ "x-user-id": alice.toUpperCase(), "x-user-roles": " admin, user,," })).toEqual({
      userId: alice,
      roles: ["admin", "user"],
    });
  });

  test("a missing or malformed user id is no identity, whatever the roles say", () => {
    expect(from({ "x-user-roles": "admin" })).toBeNull();
    expect(from({ "x-user-id": "admin-1", "x-user-roles": "admin" })).toBeNull();
    expect(from({ "x-user-id": ` ${alice}` })).toBeNull();
  });

  test("a user id without roles has no roles", () => {
    expect(from({ "x-user-id": alice })).toEqual({ userId: alice, roles: [] });
    expect(parseRoles(undefined)).toEqual([]);
  });

  test("written headers read back as the same identity, and no identity writes nothing", () => {
    const headers: Record<string, string> = {};
    writeIdentityHeaders(headers, { userId: alice, roles: ["user", "admin"] });
    expect(headers).toEqual({ [identityHeaderNames.userId]: alice, [identityHeaderNames.roles]: "user,admin" });
    expect(from(headers)).toEqual({ userId: alice, roles: ["user", "admin"] });
    const none: Record<string, string> = {};
    writeIdentityHeaders(none, null);
    expect(none).toEqual({});
  });
});

describe("the caller", () => {
  test("only a caller holding the admin role is an admin", () => {
    expect(isAdmin({ userId: alice, roles: ["user", "admin"] })).toBe(true);
    expect(isAdmin({ userId: alice, roles: ["user"] })).toBe(false);
    expect(isAdmin(null)).toBe(false);
  });

  test("requireCaller returns the identity of a call and refuses a call without one as unauthenticated", async () => {
    const actor = { userId: alice, roles: ["user"] };
    expect(requireCaller({ identity: actor })).toBe(actor);
    expect(await errorCodeOf(Promise.resolve().then(() => requireCaller({ identity: null })))).toBe("unauthenticated");
  });
});
