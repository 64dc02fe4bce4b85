import { z } from "@hono/zod-openapi";

/** The request header that carries the key (lower case, as the HTTP binding reads headers). */
export const idempotencyKeyHeaderName = "idempotency-key";

// The draft makes the field an RFC 8941 sf-string ("..."); many clients send the bare token, so both are
// taken. Visible ASCII only, at most 255 characters, no quote or backslash inside (no sf-string escapes).
const keyPattern = /^(?:"[\x20\x21\x23-\x5b\x5d-\x7e]{1,255}"|[\x21\x23-\x5b\x5d-\x7e]{1,255})$/;

/** The documented and validated header: optional, so clients that never retry need not send it. */
export const idempotencyKeyHeader = z
  .string()
  .regex(keyPattern, "must be 1-255 visible ASCII characters, optionally quoted (an RFC 8941 string)")
  .optional()
  .openapi({
    description: [
      "Optional; makes a retry safe (draft-ietf-httpapi-idempotency-key-header). A UUID is recommended.",
      "Keys are scoped to the caller and kept 24 hours by default. A retry with the same key and the same",
      "input answers the first success again (same status, body and headers, plus `Idempotent-Replayed: true`);",
      "the same key with another input answers 422; a retry while the first request still runs answers 409.",
      "A request that failed left nothing behind, so its key may be used again.",
    ].join(" "),
    example: '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
  });

/** The key a validated header value carries, its sf-string quotes removed. */
export function keyOf(header: string): string {
  return header.startsWith('"') ? header.slice(1, -1) : header;
}

/**
 * The fingerprint of a request: SHA-256 over the operation name and its validated input, so a key reused
 * for another operation, other path parameters or another body is told apart from a retry.
 */
export function fingerprintOf(operation: string, input: unknown): string {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(operation);
  hasher.update("\n");
  hasher.update(JSON.stringify(input) ?? "");
  return hasher.digest("hex");
}
