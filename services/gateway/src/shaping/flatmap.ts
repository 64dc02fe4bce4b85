// `proxy.flatmap_filter`: move, del and append on dotted paths where `*` stands for every element of an
// array (or every key of an object) and a number for one array index. Operations run in order.
import type { FlatmapOp } from "../config/config.schema.ts";
import type { Data } from "./data.ts";

type Container = Data | unknown[];

const isContainer = (v: unknown): v is Container => typeof v === "object" && v !== null;

function keysOf(c: Container): (string | number)[] {
  return Array.isArray(c) ? c.map((_, i) => i) : Object.keys(c);
}

function child(c: Container, key: string): unknown {
  if (Array.isArray(c)) {
    const i = Number(key);
    return Number.isInteger(i) ? c[i] : undefined;
  }
  return Object.hasOwn(c, key) ? c[key] : undefined;
}

function get(c: unknown, parts: string[]): unknown {
  let cur = c;
  for (const p of parts) {
    if (!isContainer(cur)) return undefined;
    cur = child(cur, p);
  }
  return cur;
}

function has(c: unknown, parts: string[]): boolean {
  let cur = c;
  for (const p of parts) {
    if (!isContainer(cur)) return false;
    if (Array.isArray(cur) ? !(Number(p) in cur) : !Object.hasOwn(cur, p)) return false;
    cur = child(cur, p);
  }
  return true;
}

function remove(c: unknown, parts: string[]): void {
  if (parts.length === 0) return;
  const parent = get(c, parts.slice(0, -1));
  const last = parts[parts.length - 1]!;
  if (!isContainer(parent)) return;
  if (last === "*") {
    if (Array.isArray(parent)) parent.length = 0;
    else for (const k of Object.keys(parent)) delete parent[k];
  } else if (Array.isArray(parent)) {
    const i = Number(last);
    if (Number.isInteger(i) && i < parent.length) parent.splice(i, 1);
  } else delete parent[last];
}

function set(c: Container, parts: string[], value: unknown): void {
  let cur: Container = c;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    let next = child(cur, p);
    if (!isContainer(next)) {
      next = {};
      if (Array.isArray(cur)) cur[Number(p)] = next;
      else cur[p] = next;
    }
    cur = next as Container;
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(cur)) cur[Number(last)] = value;
  else cur[last] = value;
}

/**
 * Runs `fn(container, srcRest, dstRest)` for every expansion of the wildcards that `src` and `dst` share
 * as a common prefix (`items.*.a` -> `items.*.b` renames inside every item).
 */
function pairwise(
  root: Container,
  src: string[],
  dst: string[],
  fn: (c: Container, s: string[], d: string[]) => void,
): void {
  let i = 0;
  while (i < src.length - 1 && i < dst.length - 1 && src[i] === dst[i]) i++;
  const prefix = src.slice(0, i);
  const visit = (c: unknown, depth: number) => {
    if (!isContainer(c)) return;
    if (depth === prefix.length) {
      fn(c, src.slice(i), dst.slice(i));
      return;
    }
    const p = prefix[depth]!;
    if (p === "*") for (const k of keysOf(c)) visit(child(c, String(k)), depth + 1);
    else visit(child(c, p), depth + 1);
  };
  visit(root, 0);
}

/** Deletes every match of a path that may contain wildcards anywhere. */
function delWild(c: unknown, parts: string[]): void {
  const star = parts.indexOf("*");
  if (star === -1 || star === parts.length - 1) {
    remove(c, parts);
    return;
  }
  const base = get(c, parts.slice(0, star));
  if (!isContainer(base)) return;
  for (const k of keysOf(base)) delWild(child(base, String(k)), parts.slice(star + 1));
}

/** Applies flatmap operations to a copy-free decoded response and returns it. */
export function applyFlatmap(data: Data, ops: FlatmapOp[]): Data {
  for (const op of ops) {
    const src = op.args[0]!.split(".");
    if (op.type === "del") {
      delWild(data, src);
      continue;
    }
    const dstArg = op.args[1];
    if (!dstArg) continue;
    const dst = dstArg.split(".");
    pairwise(data, src, dst, (c, s, d) => {
      if (s.includes("*") || d.includes("*") || !has(c, s)) return;
      const value = get(c, s);
      remove(c, s);
      if (op.type === "move") {
        set(c, d, value);
      } else {
        const existing = get(c, d);
        const list = Array.isArray(existing) ? existing : existing === undefined ? [] : [existing];
        set(c, d, list.concat(Array.isArray(value) ? value : [value]));
      }
    });
  }
  return data;
}
