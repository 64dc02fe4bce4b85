import postgres from "postgres";
import { quoteIdent as ident } from "../db/ident.ts";
import type { EventMetrics } from "./metrics.ts";
import type { EventPublisher, OutgoingEvent } from "./publisher.ts";
import { outboxChannel } from "./tables.ts";

/** What the relay logs through (a pino logger fits). */
export interface EventsLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of `startOutboxRelay`. */
export interface OutboxRelayOptions {
  /** The service's pool; the relay also opens one dedicated connection with the same options for its lock and LISTEN. */
  sql: postgres.Sql;
  /** The schema that holds `outbox`; also names the lock and the NOTIFY channel. */
  schema: string;
  publisher: EventPublisher;
  logger: EventsLogger;
  metrics?: EventMetrics;
  /** Poll for unsent rows this often when no notification arrives (default 1000). */
  pollMs?: number;
  /** Rows read and published per round (default 500). */
  batchSize?: number;
  /** Delete sent rows older than this (default one day). */
  retentionMs?: number;
  /** How often to purge and refresh the backlog metrics (default 5000). */
  housekeepingMs?: number;
  /** A follower tries to take the lead this often (default 1000). */
  lockRetryMs?: number;
  /** Longest wait between failed rounds (default 5000). */
  maxBackoffMs?: number;
}

/** A running relay. */
export interface OutboxRelay {
  /** Whether this instance holds the lead right now. */
  readonly leading: boolean;
  /** Stops after the current round and gives up the lead. */
  stop(): Promise<void>;
}

/** Two-key advisory lock: the two-key space never meets the single-key locks other code may take. */
const lockKeys = (schema: string) => ["shop.outbox-relay", schema] as const;

interface OutboxRow {
  id: string;
  subject: string;
  version: number;
  payload: unknown;
  headers: Record<string, string> | null;
  created_at: Date;
}

/**
 * Publishes a schema's outbox in notify mode: one leader per schema (advisory lock on a reserved
 * connection), woken by NOTIFY and polling every `pollMs`, publishing each batch with `Nats-Msg-Id` = event
 * id and marking rows sent only after the publisher acknowledged them. Failures (NATS or PostgreSQL down)
 * are retried with backoff forever; a lost connection loses the lead, which is then re-contested.
 * @example const relay = startOutboxRelay({ sql: database.sql, schema: "orders", publisher, logger });
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { sql, schema, publisher, logger, metrics } = options;
  const pollMs = options.pollMs ?? 1_000;
  const batchSize = options.batchSize ?? 500;
  const retentionMs = options.retentionMs ?? 86_400_000;
  const housekeepingMs = options.housekeepingMs ?? 5_000;
  const lockRetryMs = options.lockRetryMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const table = `${ident(schema)}.outbox`;
  const [k1, k2] = lockKeys(schema);
  const log = (obj: object) => ({ schema, ...obj });

  let running = true;
  // The session holding the lock while this instance leads: its backend pid, and pid@server start time.
  let leader: { pid: number; session: string } | null = null;
  let lastHousekeeping = 0;

  // One pending wake-up: a NOTIFY that arrives mid-round makes the next wait return at once. Backoff
  // waits ignore NOTIFY (a busy outbox must not defeat the backoff while NATS is down) but not stop().
  let pendingWake = false;
  let waiter: { done: () => void; byNotify: boolean } | null = null;
  const wake = () => {
    pendingWake = true;
    if (waiter?.byNotify) waiter.done();
  };
  const wait = (ms: number, byNotify = true) =>
    new Promise<void>((resolve) => {
      if (!running || (byNotify && pendingWake)) {
        pendingWake = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        waiter = null;
        if (byNotify) pendingWake = false;
        resolve();
      }
      waiter = { done, byNotify };
    });

  // The lock and the LISTEN live on one dedicated connection (its own single-connection client: postgres.js
  // reserved connections must not be used or released after their socket closed). When that session
  // ends, PostgreSQL releases the lock and drops the LISTEN; the next round sees a new backend pid and
  // contests the lead again, re-LISTENing if it wins.
  const leaderSql = postgres({
    ...(sql.options as unknown as postgres.Options<Record<string, never>>),
    max: 1,
    idle_timeout: null as unknown as number,
    max_lifetime: null,
    fetch_types: false,
    onnotify: (channel: string) => {
      if (channel === outboxChannel(schema)) wake();
    },
  } as postgres.Options<Record<string, never>>);

  /** True while this instance holds the lock on the same backend it was taken on. */
  async function lead(): Promise<boolean> {
    if (leader !== null) {
      try {
        // The pid alone may come again on another server (a promoted standby) where this relay holds no
        // lock and no LISTEN: the server's start time tells the two apart.
        const [row] = await leaderSql<{ session: string }[]>`
          select pg_backend_pid() || '@' || pg_postmaster_start_time() as session`;
        if (row?.session === leader.session) return true;
      } catch {}
      logger.warn(log({ pid: leader.pid }), "outbox relay lost the lead (its session ended)");
      leader = null;
    }
    const [row] = await leaderSql<{ ok: boolean; pid: number; session: string }[]>`
      select pg_try_advisory_lock(hashtext(${k1}), hashtext(${k2})) as ok, pg_backend_pid() as pid,
        pg_backend_pid() || '@' || pg_postmaster_start_time() as session`;
    if (!row?.ok) return false;
    await leaderSql.unsafe(`listen ${ident(outboxChannel(schema))}`);
    leader = { pid: row.pid, session: row.session };
    // Rows committed while nobody listened are read by the round that follows.
    logger.info(log({ pid: row.pid }), "outbox relay took the lead");
    return true;
  }

  /** Publishes one batch; returns how many rows it read and how many publishes failed. */
  async function round(): Promise<{ read: number; failed: number }> {
    const rows = (await sql.unsafe(
      `select id, subject, version, payload, headers, created_at from ${table}
       where sent_at is null order by created_at, id limit $1`,
      [batchSize],
    )) as unknown as OutboxRow[];
    if (!rows.length) return { read: 0, failed: 0 };
    // Sent together on one connection, so the stream stores them in this order; a failed one is re-sent
    // in a later round (and may then land after its successors).
    const events = rows.map(toOutgoing);
    const errors: (unknown | null)[] = publisher.publishBatch
      ? await publisher.publishBatch(events)
      : (await Promise.allSettled(events.map((e) => publisher.publish(e)))).map((r) =>
          r.status === "fulfilled" ? null : r.reason,
        );
    const acked = rows.filter((_, i) => errors[i] === null);
    if (acked.length) {
      // One statement of one shape for the whole batch (an `in (...)` list would prepare one per size).
      await sql.unsafe(`update ${table} set sent_at = now() where id = any($1::uuid[])`, [acked.map((r) => r.id)]);
      if (metrics) for (const r of acked) metrics.published.inc({ subject: r.subject });
    }
    const failed = rows.length - acked.length;
    if (failed) {
      logger.warn(log({ failed, err: errors.find((e) => e !== null) }), "outbox relay could not publish; will retry");
    }
    return { read: rows.length, failed };
  }

  async function housekeeping() {
    if (Date.now() - lastHousekeeping < housekeepingMs) return;
    lastHousekeeping = Date.now();
    const purged = await sql.unsafe(
      `delete from ${table} where id in (select id from ${table}
         where sent_at is not null and sent_at < now() - $1 * interval '1 millisecond' limit 10000)`,
      [retentionMs],
    );
    if (purged.count) logger.debug(log({ purged: purged.count }), "outbox relay purged sent rows");
    if (purged.count === 10_000) lastHousekeeping = 0; // more to purge: again next round
    if (metrics) {
      const [row] = await sql.unsafe(
        `select count(*)::int as n, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age
         from ${table} where sent_at is null`,
      );
      metrics.backlog.set({ schema }, Number(row?.n ?? 0));
      metrics.oldestUnsentAge.set({ schema }, Number(row?.age ?? 0));
    }
  }

  async function loop() {
    let backoff = 0;
    while (running) {
      try {
        if (!(await lead())) {
          await wait(lockRetryMs);
          continue;
        }
        const { read, failed } = await round();
        await housekeeping();
        if (failed) {
          backoff = Math.min(Math.max(backoff * 2, 100), maxBackoffMs);
          await wait(backoff, false);
        } else {
          backoff = 0;
          if (read < batchSize) await wait(pollMs);
        }
      } catch (err) {
        logger.warn(log({ err }), "outbox relay round failed; will retry");
        backoff = Math.min(Math.max(backoff * 2, 100), maxBackoffMs);
        await wait(backoff, false);
      }
    }
  }

  const done = loop();
  return {
    get leading() {
      return leader !== null;
    },
    async stop() {
      running = false;
      waiter?.done();
      await done;
      leader = null;
      // Ending the session releases the lock and the LISTEN; a follower takes over within lockRetryMs.
      await leaderSql.end({ timeout: 5 }).catch(() => {});
    },
  };
}

function toOutgoing(row: OutboxRow): OutgoingEvent {
  return {
    id: row.id,
    subject: row.subject,
    version: row.version,
    payload: row.payload,
    headers: row.headers ?? {},
    occurredAt: new Date(row.created_at),
  };
}
