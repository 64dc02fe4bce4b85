// Token signing keys: the current Ed25519 key signs, the JWKS publishes it and the previous one, so a
// rotation never invalidates tokens that are still within their lifetime.
import { AppError } from "@shared/errors";
import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importJWK,
  importPKCS8,
  importSPKI,
  type JWK,
  SignJWT,
} from "jose";
import type { AccessClaims } from "./auth.model.ts";
import type { TokenSigner } from "./auth.service.ts";

/** A signing key as stored: public JWK in clear, private key as PKCS#8 PEM (possibly encrypted). */
export interface StoredKey {
  kid: string;
  algorithm: "EdDSA";
  publicJwk: JWK;
  privateKey: string;
  createdAt: Date;
  retiredAt: Date | null;
}

/** Where generated keys live; the key ring is its only consumer. */
export interface KeyStore {
  /** The active key first, then retired ones, newest first; at most `limit`. */
  recent(limit: number): Promise<StoredKey[]>;
  /**
   * Adds a key and retires the active one, atomically and serialised with other instances. With
   * `onlyIfEmpty`, does nothing when any key exists (first start of several instances at once).
   * Returns the kid of the key it retired.
   */
  add(key: StoredKey, options?: { onlyIfEmpty?: boolean }): Promise<{ added: boolean; retiredKid: string | null }>;
}

/** One public key as published in the JWKS. */
export type PublicJwk = JWK & { kid: string; alg: "EdDSA"; use: "sig" };

/** Options of the key ring; token claims get `iss`, `aud` and a lifetime from here. */
export interface KeyRingOptions {
  issuer: string;
  audience: string;
  accessTtlSec: number;
  /** Generated keys are kept here. Ignored when `configured` is given. */
  store?: KeyStore;
  /** Keys from config (PEM or JWK text): rotation is then a config change, not a command. */
  configured?: { current: string; previous?: string };
  /** When set, private keys are AES-256-GCM encrypted with a key derived from it before storing. */
  encryptionSecret?: string;
  /** How long another instance's rotation may go unnoticed (default 30 s). */
  reloadMs?: number;
  now?: () => Date;
}

interface LoadedKey {
  kid: string;
  publicJwk: PublicJwk;
  signingKey?: CryptoKey;
}

const ENC_PREFIX = "enc:v1:";

async function aesKey(secret: string): Promise<CryptoKey> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`shop-auth-keys:${secret}`));
  return crypto.subtle.importKey("raw", digest, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Encrypts a private key for storage (`enc:v1:<iv>:<ciphertext>`, base64url). */
export async function sealPrivateKey(pem: string, secret: string | undefined): Promise<string> {
  if (!secret) return pem;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await aesKey(secret), new TextEncoder().encode(pem));
  return `${ENC_PREFIX}${Buffer.from(iv).toString("base64url")}:${Buffer.from(ct).toString("base64url")}`;
}

/** Reverses `sealPrivateKey`; a sealed key without the secret (or with a wrong one) is an error. */
export async function openPrivateKey(stored: string, secret: string | undefined): Promise<string> {
  if (!stored.startsWith(ENC_PREFIX)) return stored;
  if (!secret) throw new Error("signing keys are encrypted: set keys.encryptionSecret (AUTH_KEYS_ENCRYPTION_SECRET)");
  const [iv, ct] = stored.slice(ENC_PREFIX.length).split(":");
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: Buffer.from(iv ?? "", "base64url") },
      await aesKey(secret),
      Buffer.from(ct ?? "", "base64url"),
    );
    return new TextDecoder().decode(plain);
  } catch (err) {
    throw new Error("cannot decrypt a signing key: keys.encryptionSecret is wrong", { cause: err });
  }
}

/** Generates a fresh Ed25519 key ready to store; its kid is the RFC 7638 thumbprint. */
export async function generateStoredKey(secret: string | undefined, now = new Date()): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return {
    kid: await calculateJwkThumbprint(publicJwk),
    algorithm: "EdDSA",
    publicJwk,
    privateKey: await sealPrivateKey(await exportPKCS8(privateKey), secret),
    createdAt: now,
    retiredAt: null,
  };
}

/** Reads a configured key: PKCS#8 PEM, SPKI PEM (public only) or a JWK (private or public). */
async function keyFromText(text: string, wantPrivate: boolean): Promise<LoadedKey> {
  const trimmed = text.trim();
  let publicJwk: JWK;
  let signingKey: CryptoKey | undefined;
  if (trimmed.startsWith("{")) {
    const jwk = JSON.parse(trimmed) as JWK;
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") throw new Error("a configured key must be an Ed25519 OKP JWK");
    publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
    if (jwk.d) signingKey = (await importJWK(jwk, "EdDSA")) as CryptoKey;
  } else if (trimmed.includes("PRIVATE KEY")) {
    const pk = await importPKCS8(trimmed, "EdDSA", { extractable: true });
    const full = await exportJWK(pk);
    publicJwk = { kty: full.kty, crv: full.crv, x: full.x };
    signingKey = await importPKCS8(trimmed, "EdDSA");
  } else if (trimmed.includes("PUBLIC KEY")) {
    publicJwk = await exportJWK(await importSPKI(trimmed, "EdDSA", { extractable: true }));
  } else {
    throw new Error("a configured key must be PEM (PKCS#8 or SPKI) or a JWK");
  }
  if (wantPrivate && !signingKey) throw new Error("keys.privateKey must contain a private key");
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, publicJwk: { ...publicJwk, kid, alg: "EdDSA", use: "sig" }, signingKey };
}

/**
 * Signs access tokens with the current key and publishes current + previous keys. Keys come from
 * config, or are generated on first start and kept in the store; every instance reloads them from the
 * store at most every `reloadMs`, so a rotation done elsewhere (CLI, another instance) is picked up.
 */
export class KeyRing implements TokenSigner {
  private loaded: { at: number; keys: LoadedKey[] } | undefined;
  private loading: Promise<LoadedKey[]> | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: KeyRingOptions) {
    if (!options.configured && !options.store) throw new Error("KeyRing needs configured keys or a store");
    this.now = options.now ?? (() => new Date());
  }

  /** Loads the keys, generating the first one when the store has none. Call once at start. */
  async init(): Promise<void> {
    if (!this.options.configured) {
      await this.options.store!.add(await generateStoredKey(this.options.encryptionSecret, this.now()), {
        onlyIfEmpty: true,
      });
    }
    this.loaded = undefined;
    await this.keys();
  }

  /** The kids the JWKS publishes, current first. */
  async kids(): Promise<string[]> {
    return (await this.keys()).map((k) => k.kid);
  }

  /** The public JWKS: the current key and the previous one. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    return { keys: (await this.keys()).map((k) => k.publicJwk) };
  }

  async issue(claims: AccessClaims): Promise<{ token: string; expiresIn: number }> {
    const [current] = await this.keys();
    if (!current?.signingKey) throw new AppError("internal", "no signing key loaded");
    const iat = Math.floor(this.now().getTime() / 1000);
    const token = await new SignJWT({ roles: claims.roles })
      .setProtectedHeader({ alg: "EdDSA", kid: current.kid, typ: "at+jwt" })
      .setSubject(claims.sub)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.options.accessTtlSec)
      .setJti(crypto.randomUUID())
      .sign(current.signingKey);
    return { token, expiresIn: this.options.accessTtlSec };
  }

  async rotate(): Promise<{ kid: string; previousKid: string | null }> {
    if (this.options.configured) {
      throw new AppError(
        "precondition_failed",
        "Signing keys come from config: rotate by moving keys.privateKey to keys.previousKey and setting a new one",
      );
    }
    const key = await generateStoredKey(this.options.encryptionSecret, this.now());
    const { retiredKid } = await this.options.store!.add(key);
    this.loaded = undefined;
    return { kid: key.kid, previousKid: retiredKid };
  }

  private async keys(): Promise<LoadedKey[]> {
    const reloadMs = this.options.reloadMs ?? 30_000;
    if (this.loaded && (this.options.configured || Date.now() - this.loaded.at < reloadMs)) return this.loaded.keys;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    const keys = await this.loading;
    this.loaded = { at: Date.now(), keys };
    return keys;
  }

  private async load(): Promise<LoadedKey[]> {
    const { configured, store, encryptionSecret } = this.options;
    if (configured) {
      const keys = [await keyFromText(configured.current, true)];
      if (configured.previous) keys.push(await keyFromText(configured.previous, false));
      return keys;
    }
    const stored = await store!.recent(2);
    if (stored.length === 0) throw new AppError("internal", "no signing key in the store");
    return Promise.all(
      stored.map(async (k, i) => ({
        kid: k.kid,
        publicJwk: { ...k.publicJwk, kid: k.kid, alg: "EdDSA" as const, use: "sig" as const },
        // Only the current key is ever used to sign, so only it is decrypted.
        signingKey:
          i === 0 ? await importPKCS8(await openPrivateKey(k.privateKey, encryptionSecret), "EdDSA") : undefined,
      })),
    );
  }
}
