import type { z } from "zod";
import { globalRegistry } from "zod";

type AnySchema = z.core.$ZodType;

// Wrappers that do not change which keys or leaf type a value has.
const wrapperTypes = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

function defOf(schema: AnySchema): z.core.$ZodTypeDef & Record<string, unknown> {
  return schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
}

/** The chain of schemas from `schema` down through optional/default/pipe wrappers to the core type. */
export function unwrapChain(schema: AnySchema): AnySchema[] {
  const chain: AnySchema[] = [schema];
  let current = schema;
  for (;;) {
    const def = defOf(current);
    const next = wrapperTypes.has(def.type)
      ? (def.innerType as AnySchema)
      : def.type === "pipe"
        ? (def.in as AnySchema)
        : undefined;
    if (!next) return chain;
    chain.push(next);
    current = next;
  }
}

/** The core schema under optional/default/pipe wrappers. */
export function unwrap(schema: AnySchema): AnySchema {
  const chain = unwrapChain(schema);
  return chain[chain.length - 1]!;
}

/** The zod type name of the core schema (`string`, `number`, `object`, ...). */
export function coreType(schema: AnySchema): string {
  return defOf(unwrap(schema)).type;
}

/** The element schema of an array schema. */
export function arrayElement(schema: AnySchema): AnySchema | undefined {
  const core = unwrap(schema);
  return defOf(core).type === "array" ? (defOf(core).element as AnySchema) : undefined;
}

/** The shape of an object schema, or undefined for anything else. */
export function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  const core = unwrap(schema);
  return defOf(core).type === "object" ? (defOf(core).shape as Record<string, AnySchema>) : undefined;
}

/** The schema at a path of object keys, or undefined when the path leaves the schema. */
export function schemaAt(schema: AnySchema, path: readonly string[]): AnySchema | undefined {
  let current: AnySchema | undefined = schema;
  for (const key of path) {
    const shape: Record<string, AnySchema> | undefined = current ? objectShape(current) : undefined;
    if (!shape || !Object.hasOwn(shape, key)) return undefined;
    current = shape[key];
  }
  return current;
}

/** Every path to a non-object value (leaf) in an object schema. */
export function leafPaths(schema: AnySchema, prefix: string[] = []): string[][] {
  const shape = objectShape(schema);
  if (!shape) return [prefix];
  return Object.entries(shape).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

/** Metadata attached with `.meta()` anywhere along the wrapper chain (outer wins). */
export function metaOf(schema: AnySchema): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const s of unwrapChain(schema).reverse()) Object.assign(merged, globalRegistry.get(s) ?? {});
  return merged;
}
