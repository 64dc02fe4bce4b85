import type { z } from "zod";
import { arrayElement, coreType } from "./schema-walk.ts";

const truthy = new Set(["true", "1", "yes", "on"]);
const falsy = new Set(["false", "0", "no", "off"]);

/**
 * Converts a string from env or a flag to the type the schema expects.
 * A string that does not convert is returned unchanged so the schema reports it with its value.
 */
export function coerceString(schema: z.core.$ZodType, raw: string): unknown {
  switch (coreType(schema)) {
    case "number":
    case "bigint": {
      const trimmed = raw.trim();
      const n = Number(trimmed);
      return trimmed !== "" && Number.isFinite(n) ? n : raw;
    }
    case "boolean": {
      const lower = raw.trim().toLowerCase();
      return truthy.has(lower) ? true : falsy.has(lower) ? false : raw;
    }
    case "array": {
      const element = arrayElement(schema)!;
      if (raw.trim() === "") return [];
      return raw.split(",").map((part) => coerceString(element, part.trim()));
    }
    case "object":
    case "record":
      // Structured values can only come as JSON from env or flags.
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}
