// The WAL relay against its own PostgreSQL (embedded, wal_level=logical, restarted freely here) and its own
// nats-server. Needs the nats-server executable; skipped without it unless CI is set.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { natsServerBinary } from "@shared/testing/nats-server.ts";
import { Registry } from "prom-client";
import { eventMetrics } from "../metrics.ts";
import {
  addStream,
  confirmedLsn,
  connectJetStream,
  createOutbox,
  insertEvents,
  postgres,
  removeDir,
  startTestNats,
  startTestPostgres,
  streamMsgIds,
  type TestJetStream,
  type TestNats,
  type TestPostgres,
  tempDir,
  waitFor,
} from "./wal.testkit.ts";
import { startWalRelay, type WalRelay, type WalRelayOptions } from "./wal-relay.ts";

const runs = Boolean(process.env.CI) || natsServerBinary() !== null;
if (!runs) console.warn("[tests] skipping the WAL relay tests: no nats-server found (set NATS_SERVER_BIN)");

describe.skipIf(!runs)("WAL relay", () => {
  let dir: string;
  let pg: TestPostgres;
  let nats: TestNats;
  let sql: postgres.Sql;
  let bus: TestJetStream;
  const relays: WalRelay[] = [];

  beforeAll(async () => {
    dir = tempDir("wal-relay-");
    [pg, nats] = await Promise.all([startTestPostgres(dir), startTestNats(dir)]);
    sql = postgres(pg.url, { max: 6, onnotice: () => {}, connect_timeout: 2 });
    bus = await connectJetStream(nats.url);
  }, 60_000);

  // Each relay holds one pooled connection while it leads.
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await bus?.close();
    await sql?.end({ timeout: 2 });
    await nats?.stop();
    await pg?.stop();
    removeDir(dir);
  }, 30_000);

  /** A fresh outbox schema and its own stream, so tests share nothing but the servers. */
  async function scenario(schema: string) {
    await createOutbox(sql, schema);
    const stream = schema.toUpperCase();
    await addStream(bus, stream, [`test.${schema}.>`]);
    const registry = new Registry();
    const start = (extra: Partial<WalRelayOptions> = {}) => {
      const relay = startWalRelay({
        // A client that never connects, as in a fresh process: the relay only takes its options.
        sql: postgres(pg.url),
        schema,
        publisher: bus.publisher,
        metrics: eventMetrics(registry),
        pollMs: 20,
        statsMs: 100,
        heartbeatMs: 200,
        backoff: { initialMs: 50, maxMs: 500 },
        leaderRetryMs: 100,
        ...extra,
      });
      relays.push(relay);
      return relay;
    };
    const ids = () => streamMsgIds(bus, stream);
    const count = async () => (await bus.jsm.streams.info(stream)).state.messages;
    const retained = async () => (await registry.getSingleMetric("outbox_wal_retained_bytes")?.get())?.values[0]?.value;
    return { stream, registry, start, ids, count, retained, slot: `${schema}_outbox_relay` };
  }

  test("events of committed transactions are published in commit order, exactly once per event id", async () => {
    const s = await scenario("ordered");
    const relay = s.start({ maxInFlight: 64 });
    await waitFor(() => relay.leading, 10_000, "the lead");
    const expected: string[] = [];
    for (let t = 0; t < 60; t++) {
      const ids = Array.from({ length: 1 + (t % 25) }, () => Bun.randomUUIDv7());
      await insertEvents(sql, "ordered", ids);
      expected.push(...ids);
    }
    await waitFor(async () => (await s.count()) >= expected.length, 20_000, "every event in the stream");
    await Bun.sleep(300); // anything published twice or late would show up now
    expect(await s.count()).toBe(expected.length);
    expect(await s.ids()).toEqual(expected);
    // Nothing was even re-sent (the stream's duplicate window would have hidden it).
    expect(relay.stats().published).toBe(expected.length);
    const [unsent] = await sql`select count(*)::int as n from ordered.outbox where sent_at is null`;
    expect(unsent?.n).toBe(0);
    expect(await confirmedLsn(sql, s.slot)).toBe(relay.stats().confirmedLsn);
  });

  test("rolled-back inserts are never published", async () => {
    const s = await scenario("rollback");
    const relay = s.start();
    await waitFor(() => relay.leading, 10_000, "the lead");
    const rolledBack = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
    await sql
      .begin(async (tx) => {
        for (const id of rolledBack) {
          await tx`insert into rollback.outbox (id, subject, version, payload) values (${id}, 'test.rollback.happened', 1, '{}')`;
        }
        throw new Error("roll back");
      })
      .catch(() => {});
    const committed = [Bun.randomUUIDv7()];
    await insertEvents(sql, "rollback", committed);
    await waitFor(async () => (await s.count()) >= 1, 10_000, "the committed event");
    await Bun.sleep(300);
    expect(await s.ids()).toEqual(committed);
  });

  test("rows committed before the slot existed are published when the relay first starts", async () => {
    const s = await scenario("before");
    const early = [Bun.randomUUIDv7(), Bun.randomUUIDv7(), Bun.randomUUIDv7()];
    await insertEvents(sql, "before", early);
    const relay = s.start();
    await waitFor(async () => (await s.count()) >= 3, 10_000, "the early events");
    const late = [Bun.randomUUIDv7()];
    await insertEvents(sql, "before", late);
    await waitFor(async () => (await s.count()) >= 4, 10_000, "the late event");
    await Bun.sleep(300);
    expect(await s.ids()).toEqual([...early, ...late]);
    expect(relay.leading).toBe(true);
  });

  test("only one relay leads a slot; the other takes over when it stops", async () => {
    const s = await scenario("leader");
    const first = s.start();
    await waitFor(() => first.leading, 10_000, "the first lead");
    const second = s.start();
    await Bun.sleep(400);
    expect(second.leading).toBe(false);
    await first.stop();
    await waitFor(() => second.leading, 10_000, "the second lead");
    const ids = [Bun.randomUUIDv7()];
    await insertEvents(sql, "leader", ids);
    await waitFor(async () => (await s.count()) >= 1, 10_000, "the event");
    expect(await s.ids()).toEqual(ids);
  }, 30_000);

  test("while NATS is down the slot does not advance and retained WAL grows; afterwards every event arrives and it shrinks", async () => {
    const s = await scenario("natsdown");
    const relay = s.start();
    await waitFor(() => relay.leading, 10_000, "the lead");
    const before = [Bun.randomUUIDv7()];
    await insertEvents(sql, "natsdown", before);
    await waitFor(async () => (await s.count()) >= 1, 10_000, "the first event");
    await Bun.sleep(500); // a heartbeat confirms the slot past the marks
    const lsnBefore = await confirmedLsn(sql, s.slot);
    const retainedBefore = (await s.retained()) ?? Number.NaN;

    await nats.stop();
    const during: string[] = [];
    let retainedDuring = Number.NaN;
    try {
      for (let t = 0; t < 20; t++) {
        const ids = Array.from({ length: 50 }, () => Bun.randomUUIDv7());
        await insertEvents(sql, "natsdown", ids);
        during.push(...ids);
      }
      await Bun.sleep(1_500);
      expect(await confirmedLsn(sql, s.slot)).toBe(lsnBefore);
      retainedDuring = (await s.retained()) ?? Number.NaN;
      expect(retainedDuring).toBeGreaterThan(retainedBefore + 20 * 50 * 50);
      const [unsent] = await sql`select count(*)::int as n from natsdown.outbox where sent_at is null`;
      expect(unsent?.n).toBe(during.length);
    } finally {
      await nats.start();
    }

    await waitFor(async () => (await s.count().catch(() => 0)) >= 1 + during.length, 30_000, "the held-back events");
    await Bun.sleep(300);
    expect(await s.ids()).toEqual([...before, ...during]);
    await waitFor(async () => ((await s.retained()) ?? Infinity) < retainedDuring / 4, 5_000, "retained WAL to shrink");
    expect(relay.stats().failures).toBeGreaterThan(0);
  }, 60_000);

  test("restarting PostgreSQL while the relay runs loses nothing", async () => {
    const s = await scenario("pgrestart");
    const relay = s.start();
    await waitFor(() => relay.leading, 10_000, "the lead");
    const committed: string[] = [];
    const attempted = new Set<string>();
    let inserting = true;
    const inserter = (async () => {
      while (inserting) {
        const ids = Array.from({ length: 10 }, () => Bun.randomUUIDv7());
        for (const id of ids) attempted.add(id);
        try {
          await insertEvents(sql, "pgrestart", ids);
          committed.push(...ids);
        } catch {
          await Bun.sleep(50); // the server is down; the outcome of this transaction is unknown
        }
      }
    })();
    await waitFor(() => committed.length >= 500, 20_000, "some events");
    await pg.restart(300);
    await waitFor(() => relay.leading, 20_000, "the lead again");
    const mark = committed.length;
    await waitFor(() => committed.length >= mark + 500, 20_000, "events after the restart");
    inserting = false;
    await inserter;

    await waitFor(
      async () => {
        const ids = new Set(await s.ids());
        return committed.every((id) => ids.has(id));
      },
      30_000,
      "every committed event",
    );
    const ids = await s.ids();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => attempted.has(id))).toBe(true);
    expect(relay.stats().failures).toBeGreaterThan(0); // it did see the restart
  }, 90_000);

  test("a PostgreSQL restart while NATS is down keeps the unacknowledged events in the slot", async () => {
    const s = await scenario("bothdown");
    const relay = s.start();
    await waitFor(() => relay.leading, 10_000, "the lead");
    await nats.stop();
    const ids = Array.from({ length: 200 }, () => Bun.randomUUIDv7());
    await insertEvents(sql, "bothdown", ids);
    try {
      await Bun.sleep(500);
      await pg.restart(200);
      await Bun.sleep(500);
    } finally {
      await nats.start();
    }
    await waitFor(async () => (await s.count().catch(() => 0)) >= ids.length, 30_000, "the events");
    await Bun.sleep(300);
    expect(await s.ids()).toEqual(ids);
  }, 60_000);
});
