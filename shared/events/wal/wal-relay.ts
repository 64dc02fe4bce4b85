// The outbox relay in WAL mode (ADR 0001): tails `<schema>.<table>` inserts through a permanent pgoutput slot,
// publishes them in commit order, marks the rows sent and only then confirms the slot. A crash anywhere in
// between replays from the last confirmed position: at-least-once, and JetStream drops the re-sends by
// `Nats-Msg-Id`.
import postgres from "postgres";
import type { EventMetrics } from "../metrics.ts";
import type { EventPublisher, OutgoingEvent } from "../publisher.ts";
import type { EventsLogger } from "../relay.ts";
import { outboxChannel } from "../tables.ts";
import {
  advanceSlot,
  checkSlotNames,
  defaultSlotNames,
  emitHeartbeat,
  ensureSlot,
  parseHeaders,
  peekBatch,
  retainedBytes,
  type SlotNames,
  type WalOutboxEvent,
} from "./slot.ts";

/** Options of `startWalRelay`. */
export interface WalRelayOptions {
  /** The service's pool, only for its connection options: the relay opens its own single connection (same
   * options) for the lead, the slot and the marks, plus one for LISTEN. Its user needs REPLICATION (or superuser)
   * and must own the outbox table to create the publication. */
  sql: postgres.Sql;
  /** The service's schema; the outbox is `<schema>.<table>`. */
  schema: string;
  /** Resolves once JetStream acknowledged (e.g. `jetStreamPublisher(js)`). */
  publisher: EventPublisher;
  /** Default `outbox`. */
  table?: string;
  /** Permanent logical slot; default `<schema>_outbox_relay`. */
  slotName?: string;
  /** Publication on the outbox table (inserts only); default `<schema>_outbox_pub`. */
  publicationName?: string;
  /** Decoded changes per peek (Begin, Insert, Commit each count); whole transactions are always kept. Default 5000. */
  batchSize?: number;
  /** Publishes awaiting their ack at once. 1 keeps commit order even when a publish fails midway. Default 256. */
  maxInFlight?: number;
  /** Idle poll interval when no notification arrives. Default 50 ms. */
  pollMs?: number;
  /** LISTEN channel that wakes the relay at once; false to only poll. Default `outboxChannel(schema)`. */
  notifyChannel?: string | false;
  /** When idle this long, write a heartbeat message so the slot can be confirmed past unrelated WAL. Default 10 s. */
  heartbeatMs?: number;
  /** Published rows are kept (with `sent_at`) this long, then deleted; 0 deletes them at once. Default 24 h. */
  retentionMs?: number;
  /** How often old sent rows are purged. Default 60 s. */
  purgeEveryMs?: number;
  /** How often `outbox_wal_retained_bytes` is refreshed while leading (also after each confirm). Default 5 s. */
  statsMs?: number;
  /** Reconnect / retry backoff, doubled per failure up to `maxMs`. Default 100 ms .. 5 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** While another instance leads, retry the advisory lock this often. Default 1 s. */
  leaderRetryMs?: number;
  /** `events_published_total{subject}` and `outbox_wal_retained_bytes{slot}` go here when given. */
  metrics?: EventMetrics;
  logger?: EventsLogger;
}

/** A running WAL relay. */
export interface WalRelay {
  /** True while this instance holds the advisory lock and tails the slot (set up, caught up). */
  readonly leading: boolean;
  /** Counters since start. */
  stats(): { published: number; batches: number; confirmedLsn: string | null; failures: number };
  /** Finishes the batch in progress, releases the lead and the connection. Safe to call twice. */
  stop(): Promise<void>;
}

class PublishError extends Error {
  override readonly name = "PublishError";
}

const silent: EventsLogger = { debug() {}, info() {}, warn() {}, error() {} };
/** The notify-mode relay's lock (relay.ts): one relay per schema, whichever the mode, so two never publish at once. */
const lockKeys = (schema: string) => ["shop.outbox-relay", schema] as const;

/** An outbox row decoded from the WAL as the publisher's event (the payload parsed, so both modes send the same bytes). */
export function toOutgoing(event: WalOutboxEvent): OutgoingEvent {
  return {
    id: event.id,
    subject: event.subject,
    version: event.version,
    payload: JSON.parse(event.payload),
    headers: event.headers,
    occurredAt: new Date(event.createdAt),
  };
}

/**
 * Starts the WAL-mode outbox relay and returns at once; it competes for the lead in the background.
 * Setup (publication, slot) is idempotent. The slot is advanced only to the end of the last transaction whose
 * events were all acknowledged and marked sent, so a SIGKILL, a PostgreSQL restart or a NATS outage replays
 * from there. Database errors drop the lead and reconnect with backoff; publish errors retry the batch.
 * @example
 * const relay = startWalRelay({ sql: database.sql, schema: "orders", publisher: jetStreamPublisher(js),
 *   metrics: eventMetrics(registry), logger });
 * // ... at shutdown
 * await relay.stop();
 */
export function startWalRelay(options: WalRelayOptions): WalRelay {
  const { schema, publisher } = options;
  const defaults = defaultSlotNames(schema);
  const names: SlotNames = {
    schema,
    table: options.table ?? defaults.table,
    slot: options.slotName ?? defaults.slot,
    publication: options.publicationName ?? defaults.publication,
  };
  checkSlotNames(names);
  const batchSize = options.batchSize ?? 5000;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 256);
  const pollMs = options.pollMs ?? 50;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const retentionMs = options.retentionMs ?? 24 * 3600_000;
  const purgeEveryMs = options.purgeEveryMs ?? 60_000;
  const statsMs = options.statsMs ?? 5_000;
  const backoffInitial = options.backoff?.initialMs ?? 100;
  const backoffMax = options.backoff?.maxMs ?? 5_000;
  const leaderRetryMs = options.leaderRetryMs ?? 1_000;
  const channel = options.notifyChannel === undefined ? outboxChannel(schema) : options.notifyChannel;
  const logger = options.logger ?? silent;
  const metrics = options.metrics;
  const [k1, k2] = lockKeys(schema);
  // Identifiers checked by checkSlotNames, so plain interpolation is safe.
  const outboxTable = `"${names.schema}"."${names.table}"`;

  let stopping = false;
  let leading = false;
  let wake: (() => void) | undefined;
  let woken = false;
  const counts = { published: 0, batches: 0, confirmedLsn: null as string | null, failures: 0 };
  let unlisten: (() => Promise<void>) | undefined;
  /** The leader's client while it leads; the stats timer reads the gauge through it. */
  let leaderSql: postgres.Sql | undefined;
  let listenSql: postgres.Sql | undefined;
  const baseOptions = options.sql.options as unknown as postgres.Options<Record<string, never>>;
  const clientOptions = {
    ...baseOptions,
    fetch_types: false,
    onnotice: () => {},
    connection: { ...baseOptions.connection, application_name: `${schema}-outbox-wal-relay` },
  } as postgres.Options<Record<string, never>>;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stopping) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        woken = false;
        resolve();
      }
      wake = done;
    });
  const nudge = () => {
    woken = true;
    wake?.();
  };

  async function listen() {
    if (!channel || unlisten) return;
    try {
      // postgres.js re-listens by itself after a reconnect; notifications sent meanwhile are lost (the poll covers them).
      listenSql ??= postgres({ ...clientOptions, max: 1 });
      const meta = await listenSql.listen(channel, nudge);
      unlisten = meta.unlisten;
    } catch (err) {
      logger.debug({ err, channel }, "WAL relay: LISTEN failed; polling only");
    }
  }

  // On the pool and on its own timer, so the gauge keeps moving while the loop waits on a failing publish.
  let refreshing = false;
  async function refreshRetained() {
    const conn = leaderSql;
    if (!metrics || refreshing || !leading || !conn) return;
    refreshing = true;
    try {
      const bytes = await retainedBytes(conn, names.slot);
      if (bytes !== null) metrics.walRetainedBytes.set({ slot: names.slot }, bytes);
    } catch {
      // the database is away; the gauge keeps its last value
    } finally {
      refreshing = false;
    }
  }
  const statsTimer = metrics ? setInterval(refreshRetained, statsMs) : undefined;
  statsTimer?.unref?.();

  async function publishAll(events: WalOutboxEvent[]) {
    for (let i = 0; i < events.length; i += maxInFlight) {
      const window = events.slice(i, i + maxInFlight);
      // Issued synchronously in order on one connection, so the stream stores them in commit order.
      await Promise.all(window.map((e) => publisher.publish(toOutgoing(e)))).catch((err: unknown) => {
        throw new PublishError(`publish failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
      counts.published += window.length;
      if (metrics) for (const e of window) metrics.published.inc({ subject: e.subject });
    }
  }

  async function markSent(conn: postgres.Sql, ids: string[]) {
    if (!ids.length) return;
    // An array literal built here: without fetched types postgres.js cannot serialise a JS array. The ids are
    // uuids PostgreSQL printed itself.
    const literal = `{${ids.join(",")}}`;
    if (retentionMs === 0) {
      await conn.unsafe(`delete from ${outboxTable} where id = any($1::uuid[])`, [literal]);
    } else {
      await conn.unsafe(`update ${outboxTable} set sent_at = now() where id = any($1::uuid[]) and sent_at is null`, [
        literal,
      ]);
    }
  }

  /** Rows committed before the slot existed never reach its WAL stream: publish them from the table once. */
  async function catchUp(conn: postgres.Sql) {
    const limit = Math.min(batchSize, 1000);
    for (;;) {
      const rows = await conn.unsafe<
        { id: string; subject: string; version: number; payload: string; headers: string | null; created_at: Date }[]
      >(
        `select id, subject, version, payload::text as payload, headers::text as headers, created_at
        from ${outboxTable} where sent_at is null order by created_at, id limit $1`,
        [limit],
      );
      if (!rows.length) return;
      const events = rows.map((r) => ({
        id: r.id,
        subject: r.subject,
        version: r.version,
        payload: r.payload,
        headers: parseHeaders(r.headers),
        createdAt: new Date(r.created_at).toISOString(),
      }));
      await publishAll(events);
      await markSent(
        conn,
        events.map((e) => e.id),
      );
      if (rows.length < limit) return;
    }
  }

  /** Tails the slot on the leader connection until stopped or a database error. */
  async function tail(conn: postgres.Sql, lost: () => boolean) {
    let backoff = backoffInitial;
    let lastActivity = Date.now();
    let lastPurge = 0;
    while (!stopping) {
      // postgres.js would silently reconnect, and the new session would not hold the lock.
      if (lost()) throw new Error("WAL relay: the leader connection closed");
      const now = Date.now();
      if (retentionMs > 0 && now - lastPurge >= purgeEveryMs) {
        lastPurge = now;
        await conn.unsafe(`delete from ${outboxTable} where sent_at < now() - $1 * interval '1 second'`, [
          retentionMs / 1000,
        ]);
      }
      const batch = await peekBatch(conn, names, batchSize);
      if (batch.rows === 0) {
        if (Date.now() - lastActivity >= heartbeatMs) {
          await emitHeartbeat(conn, "outbox_relay_heartbeat");
          lastActivity = Date.now();
          continue;
        }
        await sleep(pollMs);
        continue;
      }
      lastActivity = Date.now();
      try {
        await publishAll(batch.events);
      } catch (err) {
        if (!(err instanceof PublishError)) throw err;
        counts.failures++;
        logger.warn({ err, events: batch.events.length, backoffMs: backoff }, "WAL relay: publish failed; retrying");
        await sleep(backoff);
        backoff = Math.min(backoff * 2, backoffMax);
        continue;
      }
      backoff = backoffInitial;
      // Marks first: a crash between the two replays the batch (dropped as duplicates) rather than leaving
      // rows that were published but never marked.
      await markSent(
        conn,
        batch.events.map((e) => e.id),
      );
      if (batch.confirmLsn) {
        await advanceSlot(conn, names.slot, batch.confirmLsn);
        counts.confirmedLsn = batch.confirmLsn;
      }
      counts.batches++;
      void refreshRetained();
    }
  }

  async function lead(): Promise<boolean> {
    let closed = false;
    // A client of its own with one connection, ended after any error: a reserved pool connection whose backend
    // died throws uncatchable errors on its next query (porsager/postgres#1208).
    const conn = postgres({
      ...clientOptions,
      max: 1,
      idle_timeout: null as unknown as number,
      max_lifetime: null,
      onclose: () => {
        closed = true;
      },
    });
    let clean = false;
    try {
      const [row] = await conn`select pg_try_advisory_lock(hashtext(${k1}), hashtext(${k2})) as locked`;
      if (!row?.locked) {
        clean = true;
        return false;
      }
      const created = await ensureSlot(conn, names);
      if (created) {
        logger.info({ slot: names.slot, publication: names.publication }, "WAL relay: slot created");
        await catchUp(conn);
      }
      await listen();
      leading = true;
      leaderSql = conn;
      logger.info({ slot: names.slot }, "WAL relay: leading");
      await tail(conn, () => closed);
      await conn`select pg_advisory_unlock(hashtext(${k1}), hashtext(${k2}))`;
      clean = true;
      return true;
    } finally {
      leading = false;
      leaderSql = undefined;
      // After an error the connection may be dead: end without waiting for queries (the session's end
      // releases the lock anyway).
      await conn.end({ timeout: clean ? 5 : 0 }).catch(() => {});
    }
  }

  const loop = (async () => {
    let backoff = backoffInitial;
    while (!stopping) {
      try {
        const led = await lead();
        if (!led) await sleep(leaderRetryMs);
        backoff = backoffInitial;
      } catch (err) {
        counts.failures++;
        logger.warn({ err, backoffMs: backoff }, "WAL relay: database error; reconnecting");
        await sleep(backoff);
        backoff = Math.min(backoff * 2, backoffMax);
      }
    }
  })();

  let stopped: Promise<void> | undefined;
  return {
    get leading() {
      return leading;
    },
    stats: () => ({ ...counts }),
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(statsTimer);
        nudge();
        await loop;
        await unlisten?.().catch(() => {});
        await listenSql?.end({ timeout: 1 }).catch(() => {});
      })();
      return stopped;
    },
  };
}
