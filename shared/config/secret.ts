import type { z } from "zod";
import { arrayElement, metaOf, objectShape } from "./schema-walk.ts";

/** The text that replaces a secret value in printed configuration. */
export const REDACTED = "[redacted]";

/** Marks a schema as secret so `redact` hides its value (stored as zod metadata `{ secret: true }`). */
export function secret<T extends z.ZodType>(schema: T): T {
  return schema.meta({ secret: true }) as T;
}

/** True when the schema, or any wrapper around it, carries `{ secret: true }` metadata. */
export function isSecret(schema: z.core.$ZodType): boolean {
  return metaOf(schema).secret === true;
}

/** A URL keeps its shape with only the password hidden (each of a list); anything else is replaced whole. */
export function redactValue(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (Array.isArray(value)) return value.map(redactValue);
  if (typeof value === "string" && value.includes(",") && value.includes("://")) {
    return value.split(",").map(redactValue).join(",");
  }
  if (typeof value === "string" && value.includes("://") && URL.canParse(value)) {
    const url = new URL(value);
    if (!url.password) return value;
    // Rebuilt by hand: the URL password setter would percent-encode the brackets.
    return `${url.protocol}//${url.username}:${REDACTED}@${url.host}${url.pathname}${url.search}${url.hash}`;
  }
  return REDACTED;
}

/** A copy of `value` with every field the schema marks secret replaced by "[redacted]" (URL passwords only). */
export function redact<T>(schema: z.core.$ZodType, value: T): T {
  if (isSecret(schema)) return redactValue(value) as T;
  const shape = objectShape(schema);
  if (shape && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      out[key] = shape[key] ? redact(shape[key], child) : child;
    }
    return out as T;
  }
  const element = arrayElement(schema);
  if (element && Array.isArray(value)) return value.map((item) => redact(element, item)) as T;
  return value;
}
