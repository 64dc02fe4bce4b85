// One service's .proto text and lockfile from its contracts: what `bun run gen` writes under proto/.
import type { EndpointContract } from "../endpoint/contract.ts";
import { applyLock, type ProtoLock } from "./lock.ts";
import { protoModelOf } from "./model.ts";
import { protoPathOf } from "./naming.ts";
import { renderProto } from "./render.ts";

/** The generated file and the lockfile to commit beside it. */
export interface GeneratedProto {
  /** `proto/shop/<svc>/v1/<svc>.proto`, relative to the repository root. */
  protoFile: string;
  /** `proto/shop/<svc>/v1/<svc>.lock.json`. */
  lockFile: string;
  text: string;
  lock: ProtoLock;
}

/** The lockfile's path beside the service's proto file. */
export function lockPathOf(service: string): string {
  return protoPathOf(service).replace(/\.proto$/, ".lock.json");
}

/**
 * Generates a service's proto file from its contracts, numbering fields from `lock` (the committed
 * lockfile, or `emptyLock()` the first time).
 * @example const { text, lock: next } = generateProto("catalog", contracts, lock);
 */
export function generateProto(
  service: string,
  contracts: readonly EndpointContract[],
  lock: ProtoLock,
): GeneratedProto {
  const model = protoModelOf(service, contracts);
  const next = applyLock(model, lock);
  const lockFile = lockPathOf(service);
  return { protoFile: protoPathOf(service), lockFile, text: renderProto(model, lockFile), lock: next };
}

/** The endpoint contracts among a module's exports (`import * as m from "./catalog.contract.ts"`). */
export function contractsIn(moduleExports: Record<string, unknown>): EndpointContract[] {
  const seen = new Map<string, EndpointContract>();
  for (const value of Object.values(moduleExports)) {
    if (!isContract(value)) continue;
    seen.set(value.name, value);
  }
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function isContract(value: unknown): value is EndpointContract {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.name === "string" &&
    typeof v.summary === "string" &&
    typeof v.input === "object" &&
    typeof v.output === "object" &&
    Array.isArray(v.errors) &&
    typeof v.idempotent === "boolean"
  );
}
