// The SQL side of the WAL relay: the publication and the permanent logical slot, peeking a batch of decoded
// outbox inserts, and confirming (advancing) the slot. All of it runs on one connection the relay holds.
import type postgres from "postgres";
import { decodePgOutput, parseLsn } from "./pgoutput.ts";

/** One outbox row as decoded from the WAL. */
export interface WalOutboxEvent {
  id: string;
  subject: string;
  version: number;
  /** The payload's JSON text exactly as PostgreSQL printed the jsonb. */
  payload: string;
  headers: Record<string, string>;
  /** `created_at` as an ISO 8601 string. */
  createdAt: string;
}

/** What one peek returned. */
export interface WalBatch {
  /** Outbox inserts of committed transactions, in commit order. */
  events: WalOutboxEvent[];
  /** Where the slot may be advanced once every event is acknowledged; null when the peek saw no commit or message. */
  confirmLsn: string | null;
  /** Rows the peek returned (Begin, Relation, Insert, Commit, Message...). */
  rows: number;
}

/** Names of the objects the relay owns in PostgreSQL. */
export interface SlotNames {
  schema: string;
  table: string;
  slot: string;
  publication: string;
}

/** The names the relay uses unless told otherwise (`db grant` creates the publication by them in WAL mode). */
export function defaultSlotNames(schema: string): SlotNames {
  return { schema, table: "outbox", slot: `${schema}_outbox_relay`, publication: `${schema}_outbox_pub` };
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks that every name is a plain lowercase identifier (slot names allow nothing else anyway). */
export function checkSlotNames(names: SlotNames): void {
  for (const [key, value] of Object.entries(names)) {
    if (!identifier.test(value)) throw new Error(`WAL relay: ${key} "${value}" must match ${identifier}`);
  }
}

/**
 * Creates the publication (inserts into the outbox only) and then the permanent pgoutput slot, unless they
 * exist. The publication must come first: pgoutput looks it up as of the WAL position it decodes.
 * Returns true when the slot was created now (rows committed before it are not in its WAL stream).
 */
export async function ensureSlot(conn: postgres.Sql, names: SlotNames): Promise<boolean> {
  const [wal] = await conn`select current_setting('wal_level') as level`;
  if (wal?.level !== "logical") {
    throw new Error(`WAL relay needs wal_level=logical; this server has wal_level=${wal?.level}`);
  }
  const pubs = await conn`select 1 from pg_publication where pubname = ${names.publication}`;
  if (!pubs.length) {
    await conn`create publication ${conn(names.publication)} for table ${conn(names.schema)}.${conn(names.table)}
      with (publish = 'insert')`.catch((err: { code?: string }) => {
      if (err.code !== "42710") throw err; // created meanwhile
    });
  }
  const slots = await conn`select plugin, slot_type from pg_replication_slots where slot_name = ${names.slot}`;
  if (slots.length) {
    const [slot] = slots;
    if (slot?.plugin !== "pgoutput") {
      throw new Error(`replication slot ${names.slot} exists with plugin ${slot?.plugin}, expected pgoutput`);
    }
    return false;
  }
  try {
    await conn`select pg_create_logical_replication_slot(${names.slot}, 'pgoutput')`;
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "42710") return false; // created meanwhile
    throw err;
  }
}

interface OutboxColumns {
  id: number;
  subject: number;
  version: number;
  payload: number;
  headers: number;
  createdAt: number;
}

function columnsOf(names: string[]): OutboxColumns {
  const at = (name: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`WAL relay: the outbox table has no column ${name}`);
    return i;
  };
  return {
    id: at("id"),
    subject: at("subject"),
    version: at("version"),
    payload: at("payload"),
    headers: at("headers"),
    createdAt: at("created_at"),
  };
}

/** `2025-01-02 03:04:05.678+00` (any session time zone) as ISO 8601; the raw text when it does not parse. */
export function timestampToIso(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(text);
  if (!m) return text;
  const date = new Date(`${m[1]}T${m[2]}${m[3]}:${m[4] ?? "00"}`);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

/** The outbox `headers` jsonb text as string headers; non-string values are stringified, nulls dropped. */
export function parseHeaders(text: string | null): Record<string, string> {
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  const out: Record<string, string> = {};
  if (parsed && typeof parsed === "object") {
    for (const [k, v] of Object.entries(parsed)) if (v !== null && v !== undefined) out[k] = String(v);
  }
  return out;
}

/**
 * Peeks up to about `maxChanges` decoded changes without consuming them, and extracts the outbox inserts.
 * PostgreSQL only stops a peek between transactions, so a batch never holds half a transaction.
 */
export async function peekBatch(conn: postgres.Sql, names: SlotNames, maxChanges: number): Promise<WalBatch> {
  const rows = await conn<{ lsn: string; data: Uint8Array }[]>`
    select lsn::text as lsn, data from pg_logical_slot_peek_binary_changes(${names.slot}, null, ${maxChanges},
      'proto_version', '1', 'publication_names', ${names.publication}, 'messages', 'true')`;
  const relations = new Map<number, OutboxColumns | null>();
  const events: WalOutboxEvent[] = [];
  let confirmLsn: string | null = null;
  let pending: WalOutboxEvent[] = [];
  for (const row of rows) {
    const msg = decodePgOutput(row.data);
    switch (msg.tag) {
      case "relation":
        relations.set(
          msg.relid,
          msg.namespace === names.schema && msg.name === names.table ? columnsOf(msg.columns.map((c) => c.name)) : null,
        );
        break;
      case "begin":
        pending = [];
        break;
      case "insert": {
        const cols = relations.get(msg.relid);
        if (cols === undefined) throw new Error(`WAL relay: insert into relation ${msg.relid} before its Relation`);
        if (cols === null) break;
        const v = msg.values;
        pending.push({
          id: v[cols.id] ?? "",
          subject: v[cols.subject] ?? "",
          version: Number(v[cols.version] ?? 1),
          payload: v[cols.payload] ?? "null",
          headers: parseHeaders(v[cols.headers] ?? null),
          createdAt: timestampToIso(v[cols.createdAt] ?? ""),
        });
        break;
      }
      case "commit":
        // The row's lsn is the commit record's end: confirming it means "this transaction is done".
        for (const e of pending) events.push(e);
        pending = [];
        confirmLsn = row.lsn;
        break;
      case "message":
        // A non-transactional message (the relay's heartbeat) sits between transactions: everything before
        // it has been returned, so its position can be confirmed too.
        if (!msg.transactional) confirmLsn = row.lsn;
        break;
      default:
        break;
    }
  }
  return { events, confirmLsn, rows: rows.length };
}

/** Confirms the slot up to `lsn`: PostgreSQL may then recycle the WAL before it. Never moves backwards. */
export async function advanceSlot(conn: postgres.Sql, slot: string, lsn: string): Promise<void> {
  const [current] =
    await conn`select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = ${slot}`;
  if (!current) throw new Error(`replication slot ${slot} disappeared`);
  if (current.lsn && parseLsn(current.lsn) >= parseLsn(lsn)) return;
  await conn`select pg_replication_slot_advance(${slot}, ${lsn}::pg_lsn)`;
}

/** WAL bytes the slot keeps on disk: `pg_current_wal_lsn() - confirmed_flush_lsn`; null without the slot. */
export async function retainedBytes(conn: postgres.Sql, slot: string): Promise<number | null> {
  const [row] = await conn`
    select (pg_current_wal_lsn() - confirmed_flush_lsn)::float8 as bytes from pg_replication_slots
    where slot_name = ${slot}`;
  return row ? Number(row.bytes) : null;
}

/** Writes a non-transactional logical message so that an idle slot can be confirmed past unrelated WAL. */
export async function emitHeartbeat(conn: postgres.Sql, prefix: string): Promise<void> {
  await conn`select pg_logical_emit_message(false, ${prefix}, '')`;
}
