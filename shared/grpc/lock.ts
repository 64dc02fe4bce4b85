// The field-number lockfile: numbers once given are never changed. A field or enum value that goes away
// becomes reserved (number and name); one that comes back under its old name gets its old number; a new
// one takes the next free number. Entries of messages no longer generated are kept, so they never reuse
// numbers either.
import { enumsOf, messagesOf, type ProtoFileModel, type Reserved } from "./model.ts";

/** Numbers of one message's fields (or one enum's values) by name, and the reserved ones. */
export interface LockEntry {
  numbers: Record<string, number>;
  reserved: Record<string, number>;
}

/** The committed lockfile of one proto file. */
export interface ProtoLock {
  messages: Record<string, LockEntry>;
  enums: Record<string, LockEntry>;
}

/** A lockfile with nothing in it (a service's first generation). */
export function emptyLock(): ProtoLock {
  return { messages: {}, enums: {} };
}

// 19000-19999 are reserved for the protobuf implementation.
const isUsable = (n: number) => n < 19_000 || n > 19_999;

function assign(
  entry: LockEntry | undefined,
  names: string[],
  firstFree: number,
): { numbers: Map<string, number>; entry: LockEntry; reserved: Reserved[] } {
  const numbers = { ...(entry?.numbers ?? {}) };
  const reserved = { ...(entry?.reserved ?? {}) };
  const used = new Set([...Object.values(numbers), ...Object.values(reserved)]);
  let next = Math.max(firstFree - 1, ...used) + 1;
  const out = new Map<string, number>();
  for (const name of names) {
    let n = numbers[name] ?? reserved[name];
    if (n === undefined) {
      while (!isUsable(next)) next++;
      n = next++;
    }
    delete reserved[name];
    numbers[name] = n;
    out.set(name, n);
  }
  for (const [name, n] of Object.entries(numbers)) {
    if (out.has(name)) continue;
    delete numbers[name];
    reserved[name] = n;
  }
  const sorted = (r: Record<string, number>) =>
    Object.fromEntries(Object.entries(r).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)));
  const kept = sorted(reserved);
  return {
    numbers: out,
    entry: { numbers: sorted(numbers), reserved: kept },
    reserved: Object.entries(kept).map(([name, number]) => ({ name, number })),
  };
}

/** Numbers a message's fields or an enum's values from its lock entry, in place, then sorts them by number. */
function numbered(items: { name: string; number: number }[], entry: LockEntry | undefined) {
  const r = assign(
    entry,
    items.map((i) => i.name),
    1,
  );
  for (const item of items) item.number = r.numbers.get(item.name)!;
  items.sort((a, b) => a.number - b.number);
  return r;
}

/**
 * Numbers the model's fields and enum values from `lock` (in place) and returns the lockfile to commit.
 * Fields new to the lock are numbered in schema order after every number the message ever used.
 */
export function applyLock(model: ProtoFileModel, lock: ProtoLock): ProtoLock {
  const next: ProtoLock = { messages: { ...lock.messages }, enums: { ...lock.enums } };
  for (const message of messagesOf(model)) {
    const r = numbered(message.fields, lock.messages[message.path]);
    message.reserved = r.reserved;
    next.messages[message.path] = r.entry;
  }
  for (const e of enumsOf(model)) {
    const r = numbered(e.values, lock.enums[e.path]);
    e.reserved = r.reserved;
    next.enums[e.path] = r.entry;
  }
  const sortedKeys = <T>(r: Record<string, T>) =>
    Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { messages: sortedKeys(next.messages), enums: sortedKeys(next.enums) };
}

/** Reads a lockfile's JSON, refusing anything that is not one (a hand-edited file that lost its shape). */
export function parseLock(text: string, file: string): ProtoLock {
  const data = JSON.parse(text) as Partial<ProtoLock>;
  const ok = (r: unknown) =>
    typeof r === "object" &&
    r !== null &&
    Object.values(r).every(
      (e) => typeof e === "object" && e !== null && typeof e.numbers === "object" && typeof e.reserved === "object",
    );
  if (!ok(data.messages) || !ok(data.enums)) throw new Error(`${file} is not a proto lockfile`);
  return { messages: data.messages!, enums: data.enums! };
}

/** The lockfile as committed: stable key order, two-space indent, trailing newline. */
export function renderLock(lock: ProtoLock): string {
  return `${JSON.stringify(lock, null, 2)}\n`;
}
