// Outbox -> relay -> JetStream -> durable consumer -> inbox, end to end, on a private nats-server that the
// test restarts (SIGKILL) while events flow. Needs the nats-server executable (CI has it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createDatabase, type Database, inTransaction } from "@shared/db";
import {
  createTestDatabase,
  type PrivateNats,
  privateNatsAvailable,
  startPrivateNats,
  type TestDatabase,
} from "@shared/testing";
import { sql } from "drizzle-orm";
import { pgSchema } from "drizzle-orm/pg-core";
import { measureBacklogDrain, measureLatencyAtRate } from "../../bench/events/measure.ts";
import { type SettledMessage, startConsumer } from "./consumer.ts";
import { createEventTables, testEvent, uniqueToken, until } from "./fixtures.ts";
import { enqueueEvent } from "./outbox.ts";
import { jetStreamPublisher } from "./publisher.ts";
import { startOutboxRelay } from "./relay.ts";
import { provisionStreams } from "./streams.ts";
import { inboxTable, outboxTable } from "./tables.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe.skipIf(!privateNatsAvailable())("outbox to consumer over a private nats-server", () => {
  let tdb: TestDatabase;
  let database: Database;
  let nats: PrivateNats;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "events_pipeline" });
    database = createDatabase({
      url: tdb.url,
      schema: "x",
      pool: { max: 20, idleTimeoutSec: 0, connectTimeoutSec: 5 },
    });
    nats = await startPrivateNats();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 5_000 });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
    await database?.close();
    await tdb?.drop();
  });

  async function setup() {
    const token = uniqueToken();
    await createEventTables(database.sql, token);
    await database.sql.unsafe(`create table "${token}".handled (event_id uuid not null, n int not null)`);
    const event = testEvent(token);
    const stream = `${token}_events`.toUpperCase();
    await provisionStreams(jsm, [{ name: stream, subjects: [`${token}.thing.>`] }]);
    const startRelay = () =>
      startOutboxRelay({
        sql: database.sql,
        schema: token,
        publisher: jetStreamPublisher(jetstream(nc), { timeoutMs: 2_000 }),
        logger: silent,
        pollMs: 200,
        batchSize: 500,
        maxBackoffMs: 500,
        lockRetryMs: 100,
      });
    const startOn = (conn: NatsConnection, onSettled?: (m: SettledMessage) => void) =>
      startConsumer({
        ...(onSettled ? { onSettled } : {}),
        js: jetstream(conn),
        jsm,
        stream,
        durable: `${token}_c`,
        events: [event],
        database,
        inbox: inboxTable(pgSchema(token)),
        logger: silent,
        concurrency: 32,
        ackWaitMs: 2_000,
        handle: async (e, tx) => {
          await tx.execute(sql.raw(`insert into "${token}".handled values ('${e.id}', ${e.payload.n})`));
          hooks.handled?.(conn, e.payload.n);
        },
      });
    const hooks: { handled?: (conn: NatsConnection, n: number) => void } = {};
    const relay = startRelay();
    const consumer = await startOn(nc);
    const outbox = outboxTable(pgSchema(token));
    const counts = async () => {
      const [row] = await database.sql.unsafe(
        `select count(*)::int as total, count(distinct event_id)::int as distinct_ids from "${token}".handled`,
      );
      return row as unknown as { total: number; distinct_ids: number };
    };
    const enqueue = (from: number, count: number) =>
      inTransaction(database, async (tx) => {
        for (let n = from; n < from + count; n++) await enqueueEvent(tx, outbox, event, { n });
      });
    return { token, stream, relay, consumer, counts, enqueue, startRelay, startOn, hooks };
  }

  test("every committed event is handled exactly once while NATS is killed and restarted mid-stream", async () => {
    const s = await setup();
    const total = 3_000;
    try {
      let enqueued = 0;
      const producer = (async () => {
        while (enqueued < total) {
          await s.enqueue(enqueued, 50);
          enqueued += 50;
          await Bun.sleep(5);
        }
      })();
      await until("some events are handled", async () => (await s.counts()).total > 300, 20_000);
      await nats.restart({ kill: true, downMs: 1_000 });
      await producer;
      await until("all events are handled", async () => (await s.counts()).total >= total, 60_000);
      await Bun.sleep(500); // a late duplicate would show up here
      expect(await s.counts()).toEqual({ total, distinct_ids: total });
      // Re-sent events (acked by JetStream, then the ack or the mark lost) were dropped by Nats-Msg-Id.
      expect((await jsm.streams.info(s.stream)).state.messages).toBe(total);
      const [unsent] = await database.sql.unsafe(
        `select count(*)::int as n from "${s.token}".outbox where sent_at is null`,
      );
      expect(unsent?.n).toBe(0);
    } finally {
      await s.relay.stop();
      await s.consumer.stop();
    }
  }, 120_000);

  test("relay failover and a consumer that dies mid-batch (acks lost) still handle every event exactly once", async () => {
    const s = await setup();
    // The standby starts once the first relay holds the lead, so which one leads is not a race.
    await until("the first relay leads", () => s.relay.leading, 10_000);
    const standby = s.startRelay(); // waits for the lead
    const total = 3_000;
    // The first consumer runs on a connection of its own, closed without stopping: its batches in flight
    // commit or not, and their acks are lost; JetStream redelivers after ack_wait and the inbox absorbs it.
    const doomed = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    await s.consumer.stop();
    await s.startOn(doomed);
    let second: Awaited<ReturnType<typeof s.startOn>> | undefined;
    let redelivered = 0;
    try {
      let enqueued = 0;
      const producer = (async () => {
        while (enqueued < total) {
          await s.enqueue(enqueued, 50);
          enqueued += 50;
          await Bun.sleep(5);
        }
      })();
      await until("some events are handled", async () => (await s.counts()).total > 500, 20_000);
      expect(s.relay.leading).toBe(true);
      await s.relay.stop(); // the leader goes; the standby takes the lead
      await until("the standby leads", () => standby.leading, 5_000);
      // The consumer dies inside a batch: the batch commits, its acks never leave.
      s.hooks.handled = (conn, n) => {
        if (conn === doomed && n >= 1_200 && !doomed.isClosed()) void doomed.close();
      };
      await until("the first consumer died", () => doomed.isClosed(), 20_000);
      second = await s.startOn(nc, (m) => {
        if (m.deliveryCount > 1) redelivered++;
      });
      await producer;
      await until("all events are handled", async () => (await s.counts()).total >= total, 60_000);
      await Bun.sleep(2_500); // past ack_wait: a late redelivery would show up here
      expect(await s.counts()).toEqual({ total, distinct_ids: total });
      expect((await jsm.streams.info(s.stream)).state.messages).toBe(total);
      const [inbox] = await database.sql.unsafe(`select count(*)::int as n from "${s.token}".inbox`);
      expect(inbox?.n).toBe(total);
      expect(redelivered).toBeGreaterThan(0); // and the inbox turned them into acks
    } finally {
      await standby.stop();
      await second?.stop();
      if (!doomed.isClosed()) await doomed.close();
    }
  }, 120_000);

  test("measured: a backlog of 5000 drains outbox -> consumer ack, and commit-to-ack latency at 500/s (prints both)", async () => {
    const where = { databaseUrl: tdb.url, natsUrl: nats.url, log: (line: string) => console.log(`[events] ${line}`) };
    const drain = await measureBacklogDrain({ ...where, events: 5_000 });
    expect({ handled: drain.handled, distinct: drain.distinct }).toEqual({ handled: 5_000, distinct: 5_000 });
    const latency = await measureLatencyAtRate({ ...where, rate: 500, seconds: 3 });
    expect(latency.handled).toBe(latency.distinct);
    expect(latency.events).toBeGreaterThan(1_400);
  }, 120_000);
});
