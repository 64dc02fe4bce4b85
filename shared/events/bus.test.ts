import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDatabase, type Database, inTransaction } from "@shared/db";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { sql } from "drizzle-orm";
import { pgSchema } from "drizzle-orm/pg-core";
import { z } from "zod";
import { localEventBus, subjectMatches } from "./bus.ts";
import { defineEvent } from "./contracts.ts";
import { createEventTables, testEvent, uniqueToken, until } from "./fixtures.ts";
import { enqueueEvent } from "./outbox.ts";
import { startOutboxRelay } from "./relay.ts";
import { inboxTable, outboxTable } from "./tables.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

test("subject filters match NATS wildcards", () => {
  expect(subjectMatches("orders.>", "orders.order.placed")).toBe(true);
  expect(subjectMatches("orders.>", "orders")).toBe(false);
  expect(subjectMatches("orders.*.placed", "orders.order.placed")).toBe(true);
  expect(subjectMatches("orders.*", "orders.order.placed")).toBe(false);
  expect(subjectMatches("orders.order.placed", "orders.order.cancelled")).toBe(false);
});

describe("in-process event bus (the dev stack without NATS)", () => {
  let tdb: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    tdb = await createTestDatabase({ prefix: "events_bus" });
    database = createDatabase({
      url: tdb.url,
      schema: "x",
      pool: { max: 10, idleTimeoutSec: 0, connectTimeoutSec: 5 },
    });
  });
  afterAll(async () => {
    await database.close();
    await tdb.drop();
  });

  test("an outboxed event reaches a durable consumer through the relay once, even when published twice", async () => {
    const token = uniqueToken();
    await createEventTables(database.sql, token);
    await database.sql.unsafe(`create table "${token}".handled (event_id uuid not null, n int not null)`);
    const event = testEvent(token);
    const bus = localEventBus(silent);
    const handled = async () =>
      (await database.sql.unsafe(`select n from "${token}".handled order by n`)).map((r) => r.n as number);
    await inTransaction(database, (tx) => enqueueEvent(tx, outboxTable(pgSchema(token)), event, { n: 1 }));
    const relay = startOutboxRelay({
      sql: database.sql,
      schema: token,
      publisher: bus.publisher,
      logger: silent,
      pollMs: 20,
    });
    await until("the relay published it", async () => {
      const [row] = await database.sql.unsafe(`select count(*)::int as n from "${token}".outbox where sent_at is null`);
      return row?.n === 0;
    });
    // The consumer starts after the publish and still gets it, like a JetStream durable with deliver-all.
    const consumer = await bus.consume({
      stream: "ignored",
      durable: `${token}_c`,
      events: [event],
      database,
      inbox: inboxTable(pgSchema(token)),
      logger: silent,
      handle: async (e, tx) => {
        await tx.execute(sql.raw(`insert into "${token}".handled values ('${e.id}', ${e.payload.n})`));
      },
    });
    try {
      await until("handled", async () => (await handled()).length === 1);
      const [row] = await database.sql.unsafe(`select id, created_at from "${token}".outbox`);
      await bus.publisher.publish({
        id: row?.id,
        subject: event.subject,
        version: 1,
        payload: { n: 1 },
        headers: {},
        occurredAt: new Date(),
      });
      await Bun.sleep(100);
      expect(await handled()).toEqual([1]);
    } finally {
      await relay.stop();
      await consumer.stop();
    }
  });

  test("a failing event is retried, then dead-lettered to dlq.<subject>, without blocking the next one", async () => {
    const token = uniqueToken();
    await createEventTables(database.sql, token);
    const event = testEvent(token);
    const bus = localEventBus(silent);
    const done: number[] = [];
    const consumer = await bus.consume({
      stream: "ignored",
      durable: `${token}_c`,
      events: [event],
      database,
      inbox: inboxTable(pgSchema(token)),
      logger: silent,
      maxDeliver: 3,
      backoffMs: () => 30,
      handle: async (e) => {
        if (e.payload.poison) throw new Error("poison");
        done.push(e.payload.n);
      },
    });
    // The dead-letter subject is observable through a core subscription in memory.
    const dlqEvent = defineEvent({
      subject: `dlq.${event.subject}`,
      version: 1,
      delivery: "core",
      summary: "dead letters",
      payload: z.object({ n: z.number(), poison: z.boolean().optional() }),
    });
    const dead: unknown[] = [];
    bus.subscribeCore(dlqEvent, (e) => void dead.push(e.payload));
    try {
      const publish = (n: number, poison?: boolean) =>
        bus.publisher.publish({
          id: Bun.randomUUIDv7(),
          subject: event.subject,
          version: 1,
          payload: poison ? { n, poison } : { n },
          headers: {},
          occurredAt: new Date(),
        });
      await publish(0, true);
      await publish(1);
      await publish(2);
      await until("the others are handled", () => done.length === 2);
      await until("the poison event is dead-lettered", () => dead.length === 1);
      expect(dead).toEqual([{ n: 0, poison: true }]);
    } finally {
      await consumer.stop();
    }
  });

  test("core events reach every subscriber; a payload that breaks the contract is refused at publish", async () => {
    const bus = localEventBus(silent);
    const event = defineEvent({
      subject: `${uniqueToken()}.cache.purged`,
      version: 1,
      delivery: "core",
      summary: "t",
      payload: z.object({ key: z.string() }),
    });
    const a: string[] = [];
    const b: string[] = [];
    bus.subscribeCore(event, (e) => void a.push(`${e.payload.key}:${e.ctx.requestId}`));
    bus.subscribeCore(event, (e) => void b.push(e.payload.key));
    bus.publishCore(event, { key: "p1" }, { requestId: "r1" });
    expect(() => bus.publishCore(event, { key: 1 } as never)).toThrow("payload is invalid");
    await until("both got it", () => a.length === 1 && b.length === 1);
    expect(a).toEqual(["p1:r1"]);
  });
});
