// The WAL relay in a child process that is SIGKILLed mid-batch, twice, and started again: nothing is lost, and
// the stream still holds every event once, in commit order. Needs nats-server (skipped without it unless CI).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { natsServerBinary } from "@shared/testing/nats-server.ts";
import {
  addStream,
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

const runs = Boolean(process.env.CI) || natsServerBinary() !== null;

describe.skipIf(!runs)("WAL relay killed with SIGKILL", () => {
  let dir: string;
  let pg: TestPostgres;
  let nats: TestNats;
  let sql: postgres.Sql;
  let bus: TestJetStream;
  const children: ReturnType<typeof Bun.spawn>[] = [];

  beforeAll(async () => {
    dir = tempDir("wal-kill-");
    [pg, nats] = await Promise.all([startTestPostgres(dir), startTestNats(dir)]);
    sql = postgres(pg.url, { max: 2, onnotice: () => {} });
    bus = await connectJetStream(nats.url);
    await createOutbox(sql, "killed");
    await addStream(bus, "KILLED", ["test.killed.>"]);
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await bus?.close();
    await sql?.end({ timeout: 2 });
    await nats?.stop();
    await pg?.stop();
    removeDir(dir);
  }, 30_000);

  /** Starts a relay process and resolves once it leads. */
  async function startChild() {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "wal-relay.child.ts")], {
      env: { ...process.env, WAL_PG_URL: pg.url, WAL_NATS_URL: nats.url, WAL_SCHEMA: "killed" },
      stdout: "pipe",
      stderr: "inherit",
    });
    children.push(child);
    const reader = child.stdout.getReader();
    let out = "";
    while (!out.includes("leading")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`relay child exited before leading: ${out}`);
      out += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    return child;
  }

  const count = async () => (await bus.jsm.streams.info("KILLED")).state.messages;

  async function insertMany(n: number, perTx: number) {
    const ids: string[] = [];
    for (let i = 0; i < n; i += perTx) {
      const tx = Array.from({ length: perTx }, () => Bun.randomUUIDv7());
      await insertEvents(sql, "killed", tx);
      ids.push(...tx);
    }
    return ids;
  }

  test("killing the relay mid-batch and starting it again loses nothing and duplicates nothing", async () => {
    const first = await startChild();
    const expected = await insertMany(6_000, 100);
    await waitFor(async () => (await count()) >= 400, 20_000, "the first relay to publish");
    first.kill("SIGKILL");
    await first.exited;
    const afterFirst = await count();
    expect(afterFirst).toBeLessThan(expected.length); // it really died mid-way

    expected.push(...(await insertMany(1_000, 50))); // committed while no relay runs
    const second = await startChild();
    await waitFor(async () => (await count()) >= afterFirst + 400, 20_000, "the second relay to publish");
    second.kill("SIGKILL");
    await second.exited;
    expect(await count()).toBeLessThan(expected.length);

    await startChild();
    await waitFor(async () => (await count()) >= expected.length, 30_000, "every event");
    await Bun.sleep(500);
    expect(await count()).toBe(expected.length);
    expect(await streamMsgIds(bus, "KILLED")).toEqual(expected);
    await waitFor(
      async () => (await sql`select count(*)::int as n from killed.outbox where sent_at is null`)[0]?.n === 0,
      5_000,
      "every row marked sent",
    );
  }, 90_000);
});
