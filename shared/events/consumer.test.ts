import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import { createDatabase, type Database } from "@shared/db";
import { createTestDatabase, natsForTests, natsTestUrl, type TestDatabase } from "@shared/testing";
import { sql } from "drizzle-orm";
import { pgSchema } from "drizzle-orm/pg-core";
import { Registry } from "prom-client";
import { z } from "zod";
import { startConsumer } from "./consumer.ts";
import { defineEvent } from "./contracts.ts";
import { type CoreEvent, publishCore, subscribeCore } from "./core.ts";
import { createEventTables, testEvent, uniqueToken, until } from "./fixtures.ts";
import { eventMetrics } from "./metrics.ts";
import { jetStreamPublisher } from "./publisher.ts";
import { provisionStreams } from "./streams.ts";
import { inboxTable } from "./tables.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const useNats = await natsForTests();

describe.skipIf(!useNats)("durable consumer against JetStream and PostgreSQL", () => {
  let tdb: TestDatabase;
  let database: Database;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "events_consumer" });
    database = createDatabase({
      url: tdb.url,
      schema: "x",
      pool: { max: 20, idleTimeoutSec: 0, connectTimeoutSec: 5 },
    });
    nc = await connect({ servers: natsTestUrl });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const s of streams) await jsm.streams.delete(s).catch(() => {});
    await nc.close();
    await database.close();
    await tdb.drop();
  });

  /** A schema with inbox and a `handled` table, a test event, its stream and a DLQ stream, all unique. */
  async function setup(options: { duplicateWindowMs?: number } = {}) {
    const token = uniqueToken();
    await createEventTables(database.sql, token);
    await database.sql.unsafe(`create table "${token}".handled (event_id uuid not null, n int not null)`);
    const event = testEvent(token);
    const stream = `${token}_events`.toUpperCase();
    const dlqStream = `${token}_dlq`.toUpperCase();
    streams.push(stream, dlqStream);
    await provisionStreams(jsm, [
      {
        name: stream,
        subjects: [`${token}.thing.>`],
        storage: "memory",
        duplicateWindowMs: options.duplicateWindowMs ?? 60_000,
      },
      { name: dlqStream, subjects: [`${token}.dlq.>`], storage: "memory" },
    ]);
    const handled = async () =>
      (await database.sql.unsafe(`select event_id, n from "${token}".handled order by n`)) as unknown as {
        event_id: string;
        n: number;
      }[];
    return { token, event, stream, dlqStream, inbox: inboxTable(pgSchema(token)), handled };
  }

  const publisher = () => jetStreamPublisher(js);
  const outgoing = (subject: string, n: number, extra: object = {}) => ({
    id: Bun.randomUUIDv7(),
    subject,
    version: 1,
    payload: { n, ...extra },
    headers: { "X-Request-Id": `req-${n}`, traceparent: `00-${"ab".repeat(16)}-${"cd".repeat(8)}-01` },
    occurredAt: new Date(),
  });

  test("each event is handled once, in the inbox transaction, with the request id and trace id of its headers", async () => {
    const s = await setup();
    const seen: { requestId: string; traceId?: string }[] = [];
    const consumer = await startConsumer({
      js,
      jsm,
      stream: s.stream,
      durable: `${s.token}_c`,
      events: [s.event],
      database,
      inbox: s.inbox,
      logger: silent,
      handle: async (e, tx, ctx) => {
        seen.push({ requestId: ctx.requestId, ...(ctx.traceId ? { traceId: ctx.traceId } : {}) });
        await tx.execute(sql.raw(`insert into "${s.token}".handled values ('${e.id}', ${e.payload.n})`));
      },
    });
    try {
      for (let n = 0; n < 20; n++) await publisher().publish(outgoing(s.event.subject, n));
      await until("20 events handled", async () => (await s.handled()).length === 20);
      expect((await s.handled()).map((r) => r.n)).toEqual([...Array(20).keys()]);
      const [inbox] = await database.sql.unsafe(`select count(*)::int as n from "${s.token}".inbox`);
      expect(inbox?.n).toBe(20);
      expect(seen[0]).toEqual({ requestId: "req-0", traceId: "ab".repeat(16) });
    } finally {
      await consumer.stop();
    }
    await until("nothing left unacknowledged", async () => {
      const info = await jsm.consumers.info(s.stream, `${s.token}_c`);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
  });

  test("a redelivered event id changes nothing: the inbox turns it into an ack", async () => {
    // A tiny duplicate window lets the same event id be stored twice, as a relay re-send after the window would.
    const s = await setup({ duplicateWindowMs: 100 });
    const registry = new Registry();
    const metrics = eventMetrics(registry);
    const consumer = await startConsumer({
      js,
      jsm,
      stream: s.stream,
      durable: `${s.token}_c`,
      events: [s.event],
      database,
      inbox: s.inbox,
      logger: silent,
      metrics,
      handle: async (e, tx) => {
        await tx.execute(sql.raw(`insert into "${s.token}".handled values ('${e.id}', ${e.payload.n})`));
      },
    });
    try {
      const e = outgoing(s.event.subject, 7);
      await publisher().publish(e);
      await Bun.sleep(250);
      await publisher().publish(e);
      const info = await jsm.streams.info(s.stream);
      expect(info.state.messages).toBe(2);
      await until("both copies are acked", async () => {
        const values = (await metrics.consumed.get()).values;
        return values.reduce((sum, v) => sum + v.value, 0) === 2;
      });
      expect(await s.handled()).toEqual([{ event_id: e.id, n: 7 }]);
      const results = Object.fromEntries((await metrics.consumed.get()).values.map((v) => [v.labels.result, v.value]));
      expect(results).toEqual({ processed: 1, duplicate: 1 });
    } finally {
      await consumer.stop();
    }
  });

  test("a handler that fails is redelivered and its partial writes were rolled back", async () => {
    const s = await setup();
    let calls = 0;
    const consumer = await startConsumer({
      js,
      jsm,
      stream: s.stream,
      durable: `${s.token}_c`,
      events: [s.event],
      database,
      inbox: s.inbox,
      logger: silent,
      backoffMs: () => 20,
      handle: async (e, tx, ctx) => {
        calls++;
        await tx.execute(sql.raw(`insert into "${s.token}".handled values ('${e.id}', ${e.payload.n})`));
        if (ctx.deliveryCount < 3) throw new Error("database hiccup");
      },
    });
    try {
      await publisher().publish(outgoing(s.event.subject, 1));
      await until("handled", async () => (await s.handled()).length === 1);
      await Bun.sleep(100);
      expect(calls).toBe(3);
      expect(await s.handled()).toHaveLength(1);
    } finally {
      await consumer.stop();
    }
  });

  test("a poison message in a batch lands on the dead-letter subject after maxDeliver and does not block the others", async () => {
    const s = await setup();
    const registry = new Registry();
    const metrics = eventMetrics(registry);
    const poisonDeliveries: number[] = [];
    const poison = outgoing(s.event.subject, 0, { poison: true });
    // Stored before the consumer starts, so the first pull hands all eleven over and they share a batch.
    await publisher().publish(poison);
    for (let n = 1; n <= 10; n++) await publisher().publish(outgoing(s.event.subject, n));
    const txids = new Set<string>();
    const consumer = await startConsumer({
      js,
      jsm,
      stream: s.stream,
      durable: `${s.token}_c`,
      events: [s.event],
      database,
      inbox: s.inbox,
      logger: silent,
      metrics,
      maxDeliver: 3,
      backoffMs: () => 300,
      concurrency: 16,
      batchSize: 16,
      dlqSubject: (subject) => `${s.token}.dlq.${subject}`,
      handle: async (e, tx, ctx) => {
        const [row] = await tx.execute(sql.raw("select txid_current()::text as txid"));
        txids.add(String(row?.txid));
        if (e.payload.poison) {
          poisonDeliveries.push(ctx.deliveryCount);
          throw new Error("cannot handle this one");
        }
        await tx.execute(sql.raw(`insert into "${s.token}".handled values ('${e.id}', ${e.payload.n})`));
      },
    });
    try {
      // The others are done long before the poison message's three deliveries (300 ms apart) are.
      await until("the others are handled", async () => (await s.handled()).length === 10, 5_000);
      expect(Math.max(...poisonDeliveries)).toBeLessThan(3);
      await until(
        "the poison message is dead-lettered",
        async () => (await jsm.streams.info(s.dlqStream)).state.messages === 1,
      );
      // The batch ran the poison handler once, then it ran alone; every delivery after that was alone.
      expect(poisonDeliveries).toEqual([1, 1, 2, 3]);
      expect(txids.size).toBeGreaterThan(1);
      expect((await s.handled()).map((r) => r.n)).toEqual([...Array(10).keys()].map((n) => n + 1));
      const dead = await jsm.streams.getMessage(s.dlqStream, { seq: 1 });
      expect(dead?.subject).toBe(`${s.token}.dlq.${s.event.subject}`);
      expect(dead?.json()).toEqual({ n: 0, poison: true });
      expect(dead?.header.get("Dlq-Error")).toContain("cannot handle this one");
      expect(dead?.header.get("Dlq-Deliveries")).toBe("3");
      expect(dead?.header.get("x-request-id")).toBe("req-0");
      expect(dead?.header.get("Nats-Msg-Id")).toBe(poison.id);
      expect((await metrics.deadLettered.get()).values[0]?.value).toBe(1);
      expect((await metrics.redelivered.get()).values[0]?.value).toBe(2);
      const [inbox] = await database.sql.unsafe(`select count(*)::int as n from "${s.token}".inbox`);
      expect(inbox?.n).toBe(10); // the poison message's inbox row was rolled back each time
      await until("the poison message is no longer pending", async () => {
        const info = await jsm.consumers.info(s.stream, `${s.token}_c`);
        return info.num_ack_pending === 0 && info.num_pending === 0;
      });
    } finally {
      await consumer.stop();
    }
  });

  test("a batch is one transaction: its inbox rows and handler writes commit together, a copy in it counts once", async () => {
    const s = await setup({ duplicateWindowMs: 100 });
    const registry = new Registry();
    const metrics = eventMetrics(registry);
    const first = outgoing(s.event.subject, 0);
    await publisher().publish(first);
    for (let n = 1; n < 20; n++) await publisher().publish(outgoing(s.event.subject, n));
    await Bun.sleep(150);
    await publisher().publish(first); // stored again after the duplicate window: the same event twice
    expect((await jsm.streams.info(s.stream)).state.messages).toBe(21);
    const txids: string[] = [];
    let acked = 0;
    const consumer = await startConsumer({
      js,
      jsm,
      stream: s.stream,
      durable: `${s.token}_c`,
      events: [s.event],
      database,
      inbox: s.inbox,
      logger: silent,
      metrics,
      concurrency: 32,
      onSettled: () => void acked++,
      handle: async (e, tx) => {
        const [row] = await tx.execute(sql.raw("select txid_current()::text as txid"));
        txids.push(String(row?.txid));
        await tx.execute(sql.raw(`insert into "${s.token}".handled values ('${e.id}', ${e.payload.n})`));
      },
    });
    try {
      await until("all 21 acked", () => acked === 21);
      expect((await s.handled()).map((r) => r.n)).toEqual([...Array(20).keys()]);
      expect(new Set(txids).size).toBeLessThan(txids.length); // shared transactions
      expect(txids).toHaveLength(20); // the handler never ran for the copy
      const results = Object.fromEntries((await metrics.consumed.get()).values.map((v) => [v.labels.result, v.value]));
      expect(results).toEqual({ processed: 20, duplicate: 1 });
      const [inbox] = await database.sql.unsafe(`select count(*)::int as n from "${s.token}".inbox`);
      expect(inbox?.n).toBe(20);
    } finally {
      await consumer.stop();
    }
  });

  test("a payload that breaks the contract is dead-lettered at once, without running the handler", async () => {
    const s = await setup();
    let calls = 0;
    const consumer = await startConsumer({
      js,
      jsm,
      stream: s.stream,
      durable: `${s.token}_c`,
      events: [s.event],
      database,
      inbox: s.inbox,
      logger: silent,
      dlqSubject: (subject) => `${s.token}.dlq.${subject}`,
      handle: async () => {
        calls++;
      },
    });
    try {
      const h = natsHeaders();
      h.set("Event-Subject-Version", "1");
      await js.publish(s.event.subject, new TextEncoder().encode(JSON.stringify({ n: "seven" })), {
        msgID: Bun.randomUUIDv7(),
        headers: h,
      });
      await until("dead-lettered", async () => (await jsm.streams.info(s.dlqStream)).state.messages === 1);
      const dead = await jsm.streams.getMessage(s.dlqStream, { seq: 1 });
      expect(dead?.header.get("Dlq-Error")).toContain("/n");
      expect(dead?.header.get("Dlq-Deliveries")).toBe("1");
      expect(calls).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  test("stop lets in-flight handlers finish and acks them before it returns", async () => {
    const s = await setup();
    let started = 0;
    const consumer = await startConsumer({
      js,
      jsm,
      stream: s.stream,
      durable: `${s.token}_c`,
      events: [s.event],
      database,
      inbox: s.inbox,
      logger: silent,
      concurrency: 4,
      handle: async (e, tx) => {
        started++;
        await Bun.sleep(300);
        await tx.execute(sql.raw(`insert into "${s.token}".handled values ('${e.id}', ${e.payload.n})`));
      },
    });
    for (let n = 0; n < 4; n++) await publisher().publish(outgoing(s.event.subject, n));
    await until("four handlers run at once", () => started === 4);
    await consumer.stop();
    expect(await s.handled()).toHaveLength(4);
    await until(
      "all four acked",
      async () => (await jsm.consumers.info(s.stream, `${s.token}_c`)).num_ack_pending === 0,
    );
  });

  test("two instances on one durable share its events: each is handled once, and both handle some", async () => {
    const s = await setup();
    const byInstance = [0, 0];
    const instance = (i: number) =>
      startConsumer({
        js,
        jsm,
        stream: s.stream,
        durable: `${s.token}_shared`,
        events: [s.event],
        database,
        inbox: s.inbox,
        logger: silent,
        concurrency: 2,
        handle: async (e, tx) => {
          byInstance[i]!++;
          // Slow enough that one instance cannot take everything while the other waits for its next pull.
          await Bun.sleep(20);
          await tx.execute(sql.raw(`insert into "${s.token}".handled values ('${e.id}', ${e.payload.n})`));
        },
      });
    const consumers = [await instance(0), await instance(1)];
    try {
      for (let n = 0; n < 60; n++) await publisher().publish(outgoing(s.event.subject, n));
      await until("60 events handled", async () => (await s.handled()).length >= 60);
      await Bun.sleep(300);
      const handled = await s.handled();
      expect(handled.map((r) => r.n).sort((a, b) => a - b)).toEqual([...Array(60).keys()]);
      expect(byInstance[0]! + byInstance[1]!).toBe(60);
      expect(byInstance[0]).toBeGreaterThan(0);
      expect(byInstance[1]).toBeGreaterThan(0);
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
    }
  });

  test("core events over NATS carry the payload, request id and trace id to the subscriber", async () => {
    const event = defineEvent({
      subject: `${uniqueToken()}.cache.purged`,
      version: 1,
      delivery: "core",
      summary: "t",
      payload: z.object({ key: z.string() }),
    });
    const got: CoreEvent<typeof event>[] = [];
    const sub = subscribeCore(nc, event, (e) => void got.push(e), { logger: silent });
    await nc.flush();
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    publishCore(nc, event, { key: "p1" }, { requestId: "r-9", traceId });
    await until("received", () => got.length === 1);
    expect(got[0]?.payload).toEqual({ key: "p1" });
    expect(got[0]?.ctx).toEqual({ requestId: "r-9", traceId });
    await sub.stop();
  });
});
