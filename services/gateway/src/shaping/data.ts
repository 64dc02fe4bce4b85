/** A decoded JSON object, the unit every shaping rule works on. */
export type Data = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Data => typeof v === "object" && v !== null && !Array.isArray(v);
