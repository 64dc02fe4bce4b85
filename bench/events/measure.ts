// Measures the durable event pipeline end to end: outbox commit -> relay -> JetStream (PubAck) -> durable
// consumer (inbox insert and one handler write in its transaction) -> ack. Two figures:
// events/s draining a backlog, and commit-to-ack latency percentiles at a fixed rate. Each run uses a
// schema, a stream and a durable of its own, and removes them afterwards.
//
// As a library (bench/events/run.ts): `measureBacklogDrain(...)` and `measureLatencyAtRate(...)`.
// As a script: `bun bench/events/measure.ts [--drain|--latency] [--events 5000] [--rate 500] [--seconds 10]
// [--concurrency 32] [--batch 32] [--repeat 3]`
// (DATABASE_URL or TEST_ADMIN_DATABASE_URL, else 127.0.0.1:5432; NATS_URL, else 127.0.0.1:4222).
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createDatabase, type Database, inTransaction } from "@shared/db";
import { type ConsumerOptions, type RunningConsumer, startConsumer } from "@shared/events/consumer.ts";
import { createEventTables, testEvent, uniqueToken, until } from "@shared/events/fixtures.ts";
import { enqueueEvent } from "@shared/events/outbox.ts";
import { jetStreamPublisher } from "@shared/events/publisher.ts";
import { type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from "@shared/events/relay.ts";
import { provisionStreams } from "@shared/events/streams.ts";
import { inboxTable, outboxTable } from "@shared/events/tables.ts";
import { startWalRelay } from "@shared/events/wal/wal-relay.ts";
import { sql as dsql } from "drizzle-orm";
import { pgSchema } from "drizzle-orm/pg-core";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Where and how to measure. */
export interface PipelineMeasureOptions {
  /** A database the run may create a schema in (dropped afterwards). */
  databaseUrl: string;
  /** A NATS server with JetStream. */
  natsUrl: string;
  /** Pool size of the one database the relay, the producer and the consumer share (default 20). */
  poolMax?: number;
  /** Stream storage (default `file`, as in production). */
  storage?: "file" | "memory";
  /** Relay options besides the wiring (default batchSize 500). */
  /** `mode: "wal"` tails the outbox through a logical replication slot (needs wal_level=logical). */
  relay?: Partial<Pick<OutboxRelayOptions, "batchSize" | "pollMs">> & { mode?: "notify" | "wal" } & Record<
      string,
      unknown
    >;
  /** Consumer options besides the wiring (default concurrency 32). */
  consumer?: Partial<Pick<ConsumerOptions<never, never>, "concurrency" | "batchSize" | "transactions" | "ackWaitMs">> &
    Record<string, unknown>;
  /** Called with progress lines; default silent. */
  log?: (line: string) => void;
}

/** Result of `measureBacklogDrain`. */
export interface DrainResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Handler rows at the end: must equal `events` (none lost, none twice). */
  handled: number;
  distinct: number;
}

/** Result of `measureLatencyAtRate`. */
export interface LatencyResult {
  /** Requested events per second. */
  rate: number;
  /** Events measured (after the warm-up). */
  events: number;
  /** Events per second actually committed. */
  achievedRate: number;
  /** Commit (the producer's transaction resolved) to ack (the consumer acked after its commit), ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  handled: number;
  distinct: number;
}

interface Rig {
  database: Database;
  nc: NatsConnection;
  token: string;
  stream: string;
  enqueue(from: number, count: number): Promise<string[]>;
  startRelay(): OutboxRelay;
  startConsumer(onAck?: (id: string) => void): Promise<RunningConsumer>;
  counts(): Promise<{ total: number; distinct_ids: number }>;
  close(): Promise<void>;
}

async function rig(options: PipelineMeasureOptions): Promise<Rig> {
  const database = createDatabase({
    url: options.databaseUrl,
    schema: "measure",
    pool: { max: options.poolMax ?? 20, idleTimeoutSec: 0, connectTimeoutSec: 5 },
  });
  const nc = await connect({ servers: options.natsUrl, maxReconnectAttempts: -1, timeout: 5_000 });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const token = uniqueToken();
  await createEventTables(database.sql, token);
  await database.sql.unsafe(`create table "${token}".handled (event_id uuid not null, n int not null)`);
  const event = testEvent(token);
  const stream = `${token}_events`.toUpperCase();
  await provisionStreams(jsm, [{ name: stream, subjects: [`${token}.thing.>`], storage: options.storage ?? "file" }]);
  const outbox = outboxTable(pgSchema(token));
  const handledTable = dsql.raw(`"${token}".handled`);
  return {
    database,
    nc,
    token,
    stream,
    enqueue: (from, count) =>
      inTransaction(database, async (tx) => {
        const ids: string[] = [];
        for (let n = from; n < from + count; n++) ids.push(await enqueueEvent(tx, outbox, event, { n }));
        return ids;
      }),
    startRelay: () =>
      options.relay?.mode === "wal"
        ? startWalRelay({ sql: database.sql, schema: token, publisher: jetStreamPublisher(js), logger: silent })
        : startOutboxRelay({
            sql: database.sql,
            schema: token,
            publisher: jetStreamPublisher(js),
            logger: silent,
            batchSize: 500,
            ...options.relay,
          }),
    startConsumer: (onAck) =>
      startConsumer({
        js,
        jsm,
        stream,
        durable: `${token}_c`,
        events: [event],
        database,
        inbox: inboxTable(pgSchema(token)),
        logger: silent,
        concurrency: 32,
        ...options.consumer,
        handle: async (e, tx) => {
          await tx.execute(dsql`insert into ${handledTable} values (${e.id}, ${e.payload.n})`);
        },
        ...(onAck ? { onSettled: (s) => s.id && s.outcome !== "retry" && onAck(s.id) } : {}),
      }),
    async counts() {
      const [row] = await database.sql.unsafe(
        `select count(*)::int as total, count(distinct event_id)::int as distinct_ids from "${token}".handled`,
      );
      return row as unknown as { total: number; distinct_ids: number };
    },
    async close() {
      await jsm.streams.delete(stream).catch(() => {});
      await database.sql.unsafe(`drop schema "${token}" cascade`).catch(() => {});
      await nc.close();
      await database.close();
    },
  };
}

/**
 * Commits `events` outbox rows (500 per transaction) with the relay stopped and the consumer running,
 * then starts the relay and times until the consumer has handled them all.
 * @example const r = await measureBacklogDrain({ databaseUrl, natsUrl, events: 5000 }); // r.eventsPerSecond
 */
export async function measureBacklogDrain(options: PipelineMeasureOptions & { events?: number }): Promise<DrainResult> {
  const total = options.events ?? 5_000;
  const r = await rig(options);
  let relay: OutboxRelay | undefined;
  let consumer: RunningConsumer | undefined;
  try {
    for (let i = 0; i < total; i += 500) await r.enqueue(i, Math.min(500, total - i));
    let acked = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    consumer = await r.startConsumer(() => {
      if (++acked === total) done();
    });
    const started = performance.now();
    relay = r.startRelay();
    let timer: Timer | undefined;
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, 120_000)))]);
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    await relay.stop();
    await consumer.stop();
    const c = await r.counts();
    const result = {
      events: total,
      seconds,
      eventsPerSecond: Math.round(total / seconds),
      handled: c.total,
      distinct: c.distinct_ids,
    };
    options.log?.(
      `drain ${total}: ${seconds.toFixed(2)} s, ${result.eventsPerSecond} events/s (handled ${c.total}, distinct ${c.distinct_ids})`,
    );
    return result;
  } finally {
    await relay?.stop();
    await consumer?.stop();
    await r.close();
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) : 0;

/**
 * Commits one event per transaction at a fixed `rate` (open loop: a slow commit does not delay the next
 * one) for `seconds`, with the relay and the consumer running, and reports commit-to-ack latency
 * percentiles of the events after `warmupSeconds`.
 * @example const r = await measureLatencyAtRate({ databaseUrl, natsUrl, rate: 500, seconds: 10 }); // r.p99
 */
export async function measureLatencyAtRate(
  options: PipelineMeasureOptions & { rate?: number; seconds?: number; warmupSeconds?: number },
): Promise<LatencyResult> {
  const rate = options.rate ?? 500;
  const seconds = options.seconds ?? 10;
  const warmup = options.warmupSeconds ?? 1;
  const r = await rig(options);
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  const early = new Map<string, number>(); // acked before the producer saw its commit resolve
  let relay: OutboxRelay | undefined;
  let consumer: RunningConsumer | undefined;
  try {
    consumer = await r.startConsumer((id) => {
      const now = performance.now();
      const t = committedAt.get(id);
      if (t === undefined) {
        early.set(id, now);
        return;
      }
      committedAt.delete(id);
      if (t >= 0) latencies.push(now - t);
    });
    relay = r.startRelay();
    await until("the relay leads", () => relay?.leading === true);
    const total = Math.round(rate * (seconds + warmup));
    const warmupEvents = Math.round(rate * warmup);
    const start = performance.now();
    const pending = new Set<Promise<void>>();
    let firstMeasured = 0;
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await Bun.sleep(wait);
      if (i === warmupEvents) firstMeasured = performance.now();
      const measured = i >= warmupEvents;
      const p: Promise<void> = r
        .enqueue(i, 1)
        .then(([id]) => {
          const now = performance.now();
          if (!id) return;
          const ackedAt = early.get(id);
          if (ackedAt !== undefined) {
            early.delete(id);
            if (measured) latencies.push(Math.max(0, ackedAt - now));
          } else if (measured) committedAt.set(id, now);
          else committedAt.set(id, -1);
        })
        .finally(() => pending.delete(p));
      pending.add(p);
    }
    await Promise.all(pending);
    const producedSeconds = (performance.now() - firstMeasured) / 1000;
    await until("every event is acked", () => committedAt.size === 0, 60_000);
    await relay.stop();
    await consumer.stop();
    const c = await r.counts();
    latencies.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 10) / 10;
    const result: LatencyResult = {
      rate,
      events: latencies.length,
      achievedRate: Math.round(latencies.length / producedSeconds),
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? 0),
      handled: c.total,
      distinct: c.distinct_ids,
    };
    options.log?.(
      `latency at ${rate}/s (achieved ${result.achievedRate}/s, ${result.events} events): p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, max ${result.max} ms (handled ${c.total}, distinct ${c.distinct_ids})`,
    );
    return result;
  } finally {
    await relay?.stop();
    await consumer?.stop();
    await r.close();
  }
}

if (import.meta.main) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const options: PipelineMeasureOptions = {
    databaseUrl:
      process.env.DATABASE_URL ?? process.env.TEST_ADMIN_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    natsUrl: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
    log: (line) => console.log(`[events] ${line}`),
    consumer: {
      concurrency: arg("concurrency", 32),
      ...(process.argv.includes("--batch") ? { batchSize: arg("batch", 32) } : {}),
    },
  };
  const repeat = arg("repeat", 1);
  const only = process.argv.includes("--drain") ? "drain" : process.argv.includes("--latency") ? "latency" : "both";
  for (let i = 0; i < repeat; i++) {
    if (only !== "latency") await measureBacklogDrain({ ...options, events: arg("events", 5_000) });
    if (only !== "drain") {
      await measureLatencyAtRate({ ...options, rate: arg("rate", 500), seconds: arg("seconds", 10) });
    }
  }
}
