// PostgreSQL's SCRAM-SHA-256 password verifiers (RFC 5802, 7677): made here so that `db grant` sends the
// server a verifier instead of the password (which statement logs would keep), and compared here so that
// granting twice with the same password file changes nothing.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

const iterations = 4096; // PostgreSQL's default scram_iterations

function keys(password: string, salt: Buffer, rounds: number): { stored: Buffer; server: Buffer } {
  // SASLprep is approximated by NFKC, which covers what PostgreSQL applies to ordinary passwords
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, rounds, 32, "sha256");
  const client = createHmac("sha256", salted).update("Client Key").digest();
  return {
    stored: createHash("sha256").update(client).digest(),
    server: createHmac("sha256", salted).update("Server Key").digest(),
  };
}

/** A verifier PostgreSQL stores as it is: `SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>`. */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const { stored, server } = keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${stored.toString("base64")}:${server.toString("base64")}`;
}

/** Whether a stored `rolpassword` (SCRAM or md5) is the verifier of `password` for `role`. */
export function verifierMatches(stored: string | null, password: string, role: string): boolean {
  if (!stored) return false;
  if (stored.startsWith("md5")) {
    return (
      stored ===
      `md5${createHash("md5")
        .update(password + role)
        .digest("hex")}`
    );
  }
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored);
  if (!m) return false;
  const expected = Buffer.from(m[3]!, "base64");
  const { stored: derived } = keys(password, Buffer.from(m[2]!, "base64"), Number(m[1]));
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}
