import { describe, expect, test } from "bun:test";
import { createLocalJWKSet, exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from "jose";
import { MemoryKeyStore } from "./auth.keys.repo.memory.ts";
import { KeyRing, openPrivateKey, sealPrivateKey } from "./auth.keys.ts";

const claims = { sub: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5fa1", roles: ["user" as const] };
const opts = { issuer: "shop-auth", audience: "shop", accessTtlSec: 900 };
const verifyWith = async (ring: KeyRing, token: string) =>
  jwtVerify(token, createLocalJWKSet(await ring.jwks()), { issuer: "shop-auth", audience: "shop" });

describe("the key ring", () => {
  test("generates one key on first start and reuses it on the next", async () => {
    const store = new MemoryKeyStore();
    const first = new KeyRing({ ...opts, store });
    await first.init();
    const second = new KeyRing({ ...opts, store });
    await second.init();
    expect(store.keys).toHaveLength(1);
    expect(await second.kids()).toEqual(await first.kids());
  });

  test("after a rotation the JWKS lists both kids and tokens of the previous key still verify", async () => {
    const ring = new KeyRing({ ...opts, store: new MemoryKeyStore() });
    await ring.init();
    const [oldKid] = await ring.kids();
    const oldToken = (await ring.issue(claims)).token;
    const rotated = await ring.rotate();
    expect(rotated.previousKid).toBe(oldKid!);
    expect(await ring.kids()).toEqual([rotated.kid, oldKid!]);
    const newToken = (await ring.issue(claims)).token;
    expect((await verifyWith(ring, newToken)).protectedHeader.kid).toBe(rotated.kid);
    expect((await verifyWith(ring, oldToken)).protectedHeader.kid).toBe(oldKid!);
    // A second rotation retires the first key from the JWKS altogether.
    await ring.rotate();
    expect(await ring.kids()).not.toContain(oldKid!);
  });

  test("another instance notices a rotation within its reload interval", async () => {
    const store = new MemoryKeyStore();
    const a = new KeyRing({ ...opts, store, reloadMs: 0 });
    const b = new KeyRing({ ...opts, store, reloadMs: 60_000 });
    await a.init();
    await b.init();
    const { kid } = await a.rotate();
    expect((await b.kids())[0]).not.toBe(kid);
    const c = new KeyRing({ ...opts, store, reloadMs: 0 });
    await c.init();
    expect((await c.kids())[0]).toBe(kid);
  });

  test("stored private keys are encrypted when a secret is set, and unreadable without it", async () => {
    const store = new MemoryKeyStore();
    const ring = new KeyRing({ ...opts, store, encryptionSecret: "a-long-enough-secret" });
    await ring.init();
    expect(store.keys[0]!.privateKey).toStartWith("enc:v1:");
    expect(store.keys[0]!.privateKey).not.toContain("PRIVATE KEY");
    await verifyWith(ring, (await ring.issue(claims)).token);
    const without = new KeyRing({ ...opts, store });
    await expect(without.init()).rejects.toThrow(/encryptionSecret/);
    const wrong = new KeyRing({ ...opts, store, encryptionSecret: "another-long-secret" });
    await expect(wrong.init()).rejects.toThrow(/wrong/);
  });

  test("sealing round-trips and leaves plain PEM alone without a secret", async () => {
    const sealed = await sealPrivateKey("PEM TEXT", "a-long-enough-secret");
    expect(await openPrivateKey(sealed, "a-long-enough-secret")).toBe("PEM TEXT");
    expect(await sealPrivateKey("PEM TEXT", undefined)).toBe("PEM TEXT");
  });

  test("configured keys (PEM current, JWK previous) sign and publish, and refuse rotation by command", async () => {
    const current = await generateKeyPair("EdDSA", { extractable: true });
    const previous = await generateKeyPair("EdDSA", { extractable: true });
    const ring = new KeyRing({
      ...opts,
      configured: {
        current: await exportPKCS8(current.privateKey),
        previous: JSON.stringify(await exportJWK(previous.publicKey)),
      },
    });
    await ring.init();
    expect((await ring.jwks()).keys).toHaveLength(2);
    expect((await ring.jwks()).keys.every((k) => !("d" in k))).toBe(true);
    await verifyWith(ring, (await ring.issue(claims)).token);
    await expect(ring.rotate()).rejects.toMatchObject({ code: "precondition_failed" });
  });

  test("a configured key that is not a private Ed25519 key is refused at start", async () => {
    const rsa = await generateKeyPair("RS256", { extractable: true });
    const pub = await generateKeyPair("EdDSA", { extractable: true });
    for (const current of [
      JSON.stringify(await exportJWK(rsa.privateKey)),
      JSON.stringify(await exportJWK(pub.publicKey)),
      "garbage",
    ]) {
      await expect(new KeyRing({ ...opts, configured: { current } }).init()).rejects.toThrow();
    }
  });
});
