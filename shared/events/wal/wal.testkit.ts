// Test helpers for the WAL relay: a private PostgreSQL (embedded, wal_level=logical) and a private nats-server
// that a test may stop and restart at will, an outbox table like the kit's, and a JetStream publisher.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type EmbeddedPostgresServer, freePort, startEmbeddedPostgres } from "@shared/db";
import { natsServerNode, requireNatsServer } from "@shared/testing/nats-server.ts";
import postgres from "postgres";
import { type EventPublisher, jetStreamPublisher } from "../publisher.ts";

/** A temporary directory every user can traverse (the embedded server runs as `postgres` when we are root). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** A private PostgreSQL that keeps its port across restarts. */
export interface TestPostgres {
  url: string;
  server: EmbeddedPostgresServer;
  /** Stops (fast shutdown) and starts again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a durable embedded PostgreSQL under `dir/pg`. */
export async function startTestPostgres(dir: string): Promise<TestPostgres> {
  const dataDir = join(dir, "pg");
  let server = await startEmbeddedPostgres({ dataDir, durable: true });
  const port = server.port;
  return {
    url: server.url,
    get server() {
      return server;
    },
    async restart(downMs = 0) {
      await server.stop();
      if (downMs) await Bun.sleep(downMs);
      server = await startEmbeddedPostgres({ dataDir, port, durable: true });
    },
    stop: () => server.stop(),
  };
}

/** Creates `<schema>.outbox` with the kit's columns and a NOTIFY trigger, as a service migration would. */
export async function createOutbox(sql: postgres.Sql, schema: string): Promise<void> {
  await sql.unsafe(`
    create schema if not exists ${schema};
    create table if not exists ${schema}.outbox (
      id uuid primary key, subject text not null, version integer not null, payload jsonb not null,
      headers jsonb not null default '{}'::jsonb, created_at timestamptz not null default now(), sent_at timestamptz);
    create index if not exists outbox_unsent on ${schema}.outbox (created_at, id) where sent_at is null;
    create or replace function ${schema}.outbox_notify() returns trigger language plpgsql as $$
      begin perform pg_notify('${schema}_outbox', ''); return null; end $$;
    create or replace trigger outbox_notify after insert on ${schema}.outbox
      for each statement execute function ${schema}.outbox_notify();`);
}

/**
 * Inserts one event per id in one transaction (one multi-row statement); the subject is `test.<schema>.happened`.
 * Not `sql.begin`: postgres.js 3.4.9 can throw an uncatchable TypeError from a transaction whose server restarts
 * (porsager/postgres#1208), which would crash the test run rather than fail one insert.
 */
export async function insertEvents(sql: postgres.Sql, schema: string, ids: string[]): Promise<void> {
  const rows = ids.map((id, i) => ({
    id,
    subject: `test.${schema}.happened`,
    version: 1,
    payload: sql.json({ n: i, id }),
    headers: sql.json({ "X-Request-Id": `req-${id}` }),
  }));
  await sql`insert into ${sql(schema)}.outbox ${sql(rows, "id", "subject", "version", "payload", "headers")}`;
}

/** A nats-server with JetStream on a fixed port and store, which a test can stop and start again. */
export interface TestNats {
  url: string;
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; keeps the store. */
  stop(): Promise<void>;
}

/** Starts a private nats-server storing JetStream data under `dir/nats`. */
export async function startTestNats(dir: string): Promise<TestNats> {
  const port = await freePort();
  const store = join(dir, "nats");
  mkdirSync(store, { recursive: true });
  const url = `nats://127.0.0.1:${port}`;
  const node = natsServerNode(requireNatsServer(), url, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store]);
  const nats: TestNats = { url, start: () => node.start(), stop: () => node.halt("SIGTERM") };
  await nats.start();
  return nats;
}

/** A NATS client that reconnects forever, JetStream on it, and a publisher for the relay. */
export interface TestJetStream {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  publisher: EventPublisher;
  close(): Promise<void>;
}

/** Connects to `url` (streams are the caller's: `addStream`). */
export async function connectJetStream(url: string): Promise<TestJetStream> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const publisher = jetStreamPublisher(js, { timeoutMs: 2_000 });
  return { nc, js, jsm, publisher, close: () => nc.close() };
}

/** Adds a file-stored stream on `subjects` with a 2 minute duplicate window. */
export async function addStream(t: TestJetStream, stream: string, subjects: string[]): Promise<void> {
  await t.jsm.streams.add({ name: stream, subjects, duplicate_window: 120_000_000_000 });
}

/** The `Nats-Msg-Id` of every message in the stream, in stream order. */
export async function streamMsgIds(t: TestJetStream, stream: string): Promise<string[]> {
  const info = await t.jsm.streams.info(stream);
  const ids: string[] = [];
  const { first_seq, last_seq, messages } = info.state;
  if (!messages) return ids;
  const consumer = await t.js.consumers.get(stream);
  const iter = await consumer.fetch({ max_messages: messages, expires: 5_000 });
  for await (const m of iter) {
    ids.push(m.headers?.get("Nats-Msg-Id") ?? "");
    if (m.seq >= last_seq || ids.length >= messages) break;
  }
  if (ids.length !== messages) throw new Error(`read ${ids.length} of ${messages} messages (from ${first_seq})`);
  return ids;
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** Removes a temporary directory. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The slot's confirmed position as a number, or null. */
export async function confirmedLsn(sql: postgres.Sql, slot: string): Promise<string | null> {
  const [row] = await sql`select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = ${slot}`;
  return row?.lsn ?? null;
}

export { postgres };
