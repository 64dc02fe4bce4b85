import { describe, expect, test } from "bun:test";
import { claimToHeaders } from "./claims.ts";

describe("claims", () => {
  test("propagate_claims maps claims to headers, joining arrays and skipping missing claims", () => {
    const cfg = {
      alg: "EdDSA",
      jwk_url: "https://auth.shop.local/jwks.json",
      propagate_claims: [
        ["sub", "X-User-Id"],
        ["roles", "X-User-Roles"],
        ["org.id", "X-Org"],
        ["missing", "X-Missing"],
        ["evil", "X-Evil"],
      ],
    };
    const headers = claimToHeaders(cfg, { sub: "u1", roles: ["admin", "user"], org: { id: 7 }, evil: "a\r\nb" });
    expect(headers).toEqual({ "X-User-Id": "u1", "X-User-Roles": "admin,user", "X-Org": "7", "X-Evil": "ab" });
  });
});
