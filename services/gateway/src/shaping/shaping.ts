// Backend response shaping in KrakenD's order: `target`, then `allow` (or `deny`), then `mapping`, then
// `group`. When a backend has `proxy.flatmap_filter`, its operations replace allow/deny/mapping.
import type { FlatmapOp } from "../config/config.schema.ts";
import { type Data, isObject } from "./data.ts";
import { applyFlatmap } from "./flatmap.ts";

/** What one backend asks of its response. */
export interface ShapingRules {
  target?: string;
  allow?: string[];
  deny?: string[];
  mapping?: Record<string, string>;
  group?: string;
  flatmap?: FlatmapOp[];
}

/** `target`: keep only the object under a dotted path; anything else yields an empty object. */
export function extractTarget(data: Data, target: string): Data {
  let cur: unknown = data;
  for (const part of target.split(".")) {
    if (!isObject(cur) || !(part in cur)) return {};
    cur = cur[part];
  }
  return isObject(cur) ? cur : {};
}

type AllowTree = { [key: string]: AllowTree | true };

function allowTree(paths: string[]): AllowTree {
  const root: AllowTree = {};
  for (const p of paths) {
    const parts = p.split(".");
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const k = parts[i]!;
      const child = node[k];
      if (child === true) break;
      if (!child) node[k] = {};
      node = node[k] as AllowTree;
    }
    node[parts[parts.length - 1]!] = true;
  }
  return root;
}

function prune(data: Data, tree: AllowTree): Data {
  const out: Data = {};
  for (const [k, rule] of Object.entries(tree)) {
    if (!(k in data)) continue;
    const v = data[k];
    if (rule === true) out[k] = v;
    else if (isObject(v)) {
      const sub = prune(v, rule);
      if (Object.keys(sub).length > 0) out[k] = sub;
    }
  }
  return out;
}

function denyPath(data: Data, parts: string[]): void {
  let cur: unknown = data;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!isObject(cur)) return;
    cur = cur[parts[i]!];
  }
  if (isObject(cur)) delete cur[parts[parts.length - 1]!];
}

/** Compiles a backend's rules once into a function applied to each response. */
export function compileShaping(rules: ShapingRules): (data: Data) => Data {
  const { target, group, flatmap } = rules;
  const allow = rules.allow?.length ? allowTree(rules.allow) : null;
  const deny = rules.deny?.length ? rules.deny.map((d) => d.split(".")) : null;
  const mapping = rules.mapping && Object.keys(rules.mapping).length > 0 ? Object.entries(rules.mapping) : null;
  if (!target && !group && !flatmap?.length && !allow && !deny && !mapping) return (d) => d;
  return (input) => {
    let data = target ? extractTarget(input, target) : input;
    if (flatmap?.length) {
      data = applyFlatmap(data, flatmap);
    } else {
      if (allow) data = prune(data, allow);
      else if (deny) for (const parts of deny) denyPath(data, parts);
      if (mapping) {
        for (const [from, to] of mapping) {
          if (from in data) {
            const v = data[from];
            delete data[from];
            data[to] = v;
          }
        }
      }
    }
    return group ? { [group]: data } : data;
  };
}
