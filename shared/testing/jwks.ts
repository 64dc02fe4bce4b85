import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** A JWKS server on loopback with one EdDSA key, signing access tokens the way the auth service does. */
export interface TestJwks {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** An access token for `sub` with `roles`; `foreignKey` signs with a key the JWKS does not publish. */
  sign(claims: { sub: string; roles: string[] }, opts?: { foreignKey?: boolean }): Promise<string>;
  stop(): void;
}

/** Starts a JWKS server on a free loopback port. */
export async function startTestJwks(options: { issuer?: string; audience?: string } = {}): Promise<TestJwks> {
  const issuer = options.issuer ?? "shop-auth";
  const audience = options.audience ?? "shop";
  const key = await generateKeyPair("EdDSA");
  const stranger = await generateKeyPair("EdDSA");
  const jwk = { ...(await exportJWK(key.publicKey)), kid: "test-1", alg: "EdDSA", use: "sig" };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => Response.json({ keys: [jwk] }),
  });
  return {
    jwksUrl: `http://127.0.0.1:${server.port}/.well-known/jwks.json`,
    issuer,
    audience,
    sign(claims, opts = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ roles: claims.roles })
        .setProtectedHeader({ alg: "EdDSA", kid: "test-1" })
        .setSubject(claims.sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .setJti(crypto.randomUUID())
        .sign((opts.foreignKey ? stranger : key).privateKey);
    },
    stop: () => void server.stop(true),
  };
}
