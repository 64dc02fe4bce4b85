import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDatabase, type Database, inTransaction } from "@shared/db";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { pgSchema } from "drizzle-orm/pg-core";
import { Registry } from "prom-client";
import { createEventTables, testEvent, uniqueToken, until } from "./fixtures.ts";
import { eventMetrics } from "./metrics.ts";
import { EventPayloadError, enqueueEvent } from "./outbox.ts";
import type { EventPublisher, OutgoingEvent } from "./publisher.ts";
import { startOutboxRelay } from "./relay.ts";
import { outboxTable } from "./tables.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const event = testEvent();

let tdb: TestDatabase;
let database: Database;
beforeAll(async () => {
  tdb = await createTestDatabase({ prefix: "events_relay" });
  database = createDatabase({
    url: tdb.url,
    schema: "unused",
    pool: { max: 10, idleTimeoutSec: 0, connectTimeoutSec: 5 },
  });
});
afterAll(async () => {
  await database.close();
  await tdb.drop();
});

/** A fresh schema with outbox and inbox, so every test starts with an empty outbox of its own. */
async function freshSchema() {
  const name = uniqueToken();
  await createEventTables(database.sql, name);
  return { name, outbox: outboxTable(pgSchema(name)) };
}

/** A publisher that records what it was given; `fail` makes it reject, `hold` keeps acks pending. */
function recordingPublisher() {
  const published: OutgoingEvent[] = [];
  let fail = false;
  let held: (() => void)[] | null = null;
  const publisher: EventPublisher = {
    async publish(e) {
      if (fail) throw new Error("nats is down");
      if (held) await new Promise<void>((resolve) => held!.push(resolve));
      published.push(e);
    },
  };
  return {
    publisher,
    published,
    setFail: (v: boolean) => {
      fail = v;
    },
    hold: () => {
      held = [];
    },
    release: () => {
      const h = held ?? [];
      held = null;
      for (const r of h) r();
    },
    heldCount: () => held?.length ?? 0,
  };
}

async function unsent(schema: string): Promise<number> {
  const [row] = await database.sql.unsafe(`select count(*)::int as n from "${schema}".outbox where sent_at is null`);
  return row?.n as number;
}

describe("outbox relay (notify mode) against PostgreSQL", () => {
  test("an enqueued event is published once its transaction commits, with its id and context headers", async () => {
    const { name, outbox } = await freshSchema();
    const rec = recordingPublisher();
    const relay = startOutboxRelay({
      sql: database.sql,
      schema: name,
      publisher: rec.publisher,
      logger: silent,
      pollMs: 60_000,
    });
    try {
      const traceId = "0af7651916cd43dd8448eb211c80319c";
      const id = await inTransaction(database, (tx) =>
        enqueueEvent(tx, outbox, event, { n: 1 }, { requestId: "req-1", traceId }),
      );
      // pollMs is a minute: only the NOTIFY can have woken the relay this fast.
      await until("the event is published", () => rec.published.length === 1, 3_000);
      const [out] = rec.published;
      expect(out!.id).toBe(id);
      expect(out!.subject).toBe(event.subject);
      expect(out!.payload).toEqual({ n: 1 });
      expect(out!.headers["X-Request-Id"]).toBe("req-1");
      expect(out!.headers.traceparent).toStartWith(`00-${traceId}-`);
      await until("the row is marked sent", async () => (await unsent(name)) === 0);
    } finally {
      await relay.stop();
    }
  });

  test("an event enqueued in a transaction that rolls back is never published", async () => {
    const { name, outbox } = await freshSchema();
    const rec = recordingPublisher();
    const relay = startOutboxRelay({
      sql: database.sql,
      schema: name,
      publisher: rec.publisher,
      logger: silent,
      pollMs: 20,
    });
    try {
      await expect(
        inTransaction(database, async (tx) => {
          await enqueueEvent(tx, outbox, event, { n: 1 });
          throw new Error("business rule failed");
        }),
      ).rejects.toThrow("business rule failed");
      await inTransaction(database, (tx) => enqueueEvent(tx, outbox, event, { n: 2 }));
      await until("the committed event is published", () => rec.published.length >= 1);
      await Bun.sleep(100);
      expect(rec.published.map((e) => e.payload)).toEqual([{ n: 2 }]);
    } finally {
      await relay.stop();
    }
  });

  test("a payload that breaks its contract is refused and writes nothing", async () => {
    const { name, outbox } = await freshSchema();
    await expect(
      inTransaction(database, (tx) => enqueueEvent(tx, outbox, event, { n: 1.5 } as never)),
    ).rejects.toBeInstanceOf(EventPayloadError);
    const [row] = await database.sql.unsafe(`select count(*)::int as n from "${name}".outbox`);
    expect(row?.n).toBe(0);
  });

  test("rows are marked sent only after the publisher acknowledged them, and retried while it fails", async () => {
    const { name, outbox } = await freshSchema();
    const rec = recordingPublisher();
    rec.setFail(true);
    const relay = startOutboxRelay({
      sql: database.sql,
      schema: name,
      publisher: rec.publisher,
      logger: silent,
      pollMs: 20,
      maxBackoffMs: 50,
    });
    try {
      await inTransaction(database, async (tx) => {
        for (let n = 0; n < 5; n++) await enqueueEvent(tx, outbox, event, { n });
      });
      await Bun.sleep(300);
      expect(await unsent(name)).toBe(5);
      // Acks pending: published by the relay but not acknowledged yet, so still unsent.
      rec.hold();
      rec.setFail(false);
      await until("the relay publishes and waits for acks", () => rec.heldCount() === 5);
      await Bun.sleep(100);
      expect(await unsent(name)).toBe(5);
      rec.release();
      await until("all rows are marked sent", async () => (await unsent(name)) === 0);
      expect(rec.published.map((e) => (e.payload as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await relay.stop();
    }
  });

  test("two relays on one schema: only one publishes, and the other takes over when it stops", async () => {
    const { name, outbox } = await freshSchema();
    const a = recordingPublisher();
    const b = recordingPublisher();
    const opts = { sql: database.sql, schema: name, logger: silent, pollMs: 20, lockRetryMs: 50 };
    const first = startOutboxRelay({ ...opts, publisher: a.publisher });
    await until("the first relay leads", () => first.leading);
    const second = startOutboxRelay({ ...opts, publisher: b.publisher });
    try {
      for (let n = 0; n < 20; n++) await inTransaction(database, (tx) => enqueueEvent(tx, outbox, event, { n }));
      await until("the leader publishes all", () => a.published.length === 20);
      await Bun.sleep(200);
      expect(b.published).toHaveLength(0);
      expect(second.leading).toBe(false);
      await first.stop();
      await until("the second relay takes the lead", () => second.leading, 3_000);
      for (let n = 20; n < 25; n++) await inTransaction(database, (tx) => enqueueEvent(tx, outbox, event, { n }));
      await until("the new leader publishes the rest", () => b.published.length === 5);
      expect(a.published).toHaveLength(20);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  test("a relay whose PostgreSQL connections are killed reconnects, leads again and keeps publishing", async () => {
    const { name, outbox } = await freshSchema();
    const rec = recordingPublisher();
    // The relay on a pool of its own, so only its sessions are killed.
    const relayDb = createDatabase({
      url: tdb.url,
      schema: name,
      applicationName: "events-relay-victim",
      pool: { max: 4, idleTimeoutSec: 0, connectTimeoutSec: 5 },
    });
    const relay = startOutboxRelay({
      sql: relayDb.sql,
      schema: name,
      publisher: rec.publisher,
      logger: silent,
      pollMs: 50,
      lockRetryMs: 50,
      maxBackoffMs: 100,
    });
    try {
      await until("the relay leads", () => relay.leading);
      // One event through first, so the relay's sessions are open before they are killed. Killed while
      // still being set up (postgres.js fetches types on connect, the likely path), a session made the
      // driver reject a promise nobody awaits, which the test runner reports as an error.
      await inTransaction(database, (tx) => enqueueEvent(tx, outbox, event, { n: -1 }));
      await until("the first event is published", () => rec.published.length === 1);
      // Every session of this pool except ours: the lock holder and the listener die.
      await database.sql`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and backend_type = 'client backend'
          and application_name = 'events-relay-victim'`;
      for (let n = 0; n < 3; n++) await inTransaction(database, (tx) => enqueueEvent(tx, outbox, event, { n }));
      // A publish cut off by the kill may be repeated (JetStream drops it by Nats-Msg-Id): count ids.
      await until("the events are published", () => new Set(rec.published.map((e) => e.id)).size === 4, 10_000);
      await until("the relay leads again", () => relay.leading);
      // Rows are marked after the publish is acknowledged, so the mark may trail the publish a little.
      await until("every row is marked sent", async () => (await unsent(name)) === 0, 10_000);
    } finally {
      await relay.stop();
      await relayDb.close();
    }
    // a connection attempt caught by the kill may take the pool's connect timeout (5 s) to give up
  }, 20_000);

  test("sent rows older than the retention are purged, and the backlog metrics count the unsent ones", async () => {
    const { name, outbox } = await freshSchema();
    const registry = new Registry();
    const metrics = eventMetrics(registry);
    const rec = recordingPublisher();
    await inTransaction(database, async (tx) => {
      for (let n = 0; n < 3; n++) await enqueueEvent(tx, outbox, event, { n });
    });
    await database.sql.unsafe(`update "${name}".outbox set created_at = now() - interval '30 seconds'`);
    rec.setFail(true);
    const relay = startOutboxRelay({
      sql: database.sql,
      schema: name,
      publisher: rec.publisher,
      logger: silent,
      metrics,
      pollMs: 20,
      housekeepingMs: 20,
      retentionMs: 200,
      maxBackoffMs: 20,
    });
    try {
      await until("the backlog gauge counts 3", async () => (await metrics.backlog.get()).values[0]?.value === 3);
      const age = (await metrics.oldestUnsentAge.get()).values[0]?.value ?? 0;
      expect(age).toBeGreaterThanOrEqual(29);
      rec.setFail(false);
      await until("the backlog drains", async () => (await metrics.backlog.get()).values[0]?.value === 0);
      expect((await metrics.published.get()).values[0]?.value).toBe(3);
      await until("sent rows are purged", async () => {
        const [row] = await database.sql.unsafe(`select count(*)::int as n from "${name}".outbox`);
        return row?.n === 0;
      });
    } finally {
      await relay.stop();
    }
  });
});
