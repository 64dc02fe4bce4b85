import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@shared/testing/db.ts";
import { sql } from "drizzle-orm";
import { createDatabase, type Database } from "./database.ts";
import { toAppError } from "./errors.ts";
import { widgets } from "./fixtures/tables.ts";
import { migrate } from "./migrate.ts";
import { embedMigrations } from "./migrations.macro.ts" with { type: "macro" };
import { afterCommit, executorOf, inTransaction } from "./transaction.ts";

let tdb: TestDatabase;
let database: Database;

beforeAll(async () => {
  tdb = await createTestDatabase({ prefix: "tx" });
  database = createDatabase({
    url: tdb.url,
    schema: "kit_fixture",
    pool: { max: 4, idleTimeoutSec: 5, connectTimeoutSec: 5 },
  });
  await migrate({ sql: database.sql, schema: "kit_fixture", migrations: embedMigrations("shared/db/fixtures/basic") });
});

afterAll(async () => {
  await database.close(1);
  await tdb.drop();
});

beforeEach(async () => {
  await database.db.delete(widgets);
});

const names = async () => (await database.db.select({ name: widgets.name }).from(widgets)).map((r) => r.name).sort();

describe("inTransaction", () => {
  test("commits what fn wrote and returns fn's result", async () => {
    const id = await inTransaction(database, async (tx) => {
      const [row] = await tx.insert(widgets).values({ name: "a", price: 1 }).returning({ id: widgets.id });
      return row?.id;
    });
    expect(typeof id).toBe("number");
    expect(await names()).toEqual(["a"]);
  });

  test("reuses the outer transaction when called inside one", async () => {
    const backendPids = await inTransaction(database, async (outerTx) => {
      const [outer] = await outerTx.execute<{ pid: number; xid: string }>(
        "select pg_backend_pid() as pid, txid_current()::text as xid",
      );
      const inner = await inTransaction(database, async (innerTx) => {
        expect(innerTx).toBe(outerTx);
        const [row] = await innerTx.execute<{ pid: number; xid: string }>(
          "select pg_backend_pid() as pid, txid_current()::text as xid",
        );
        return row;
      });
      return [outer, inner];
    });
    expect(backendPids[1]).toEqual(backendPids[0]);
  });

  test("rolls back everything, outer writes included, when the inner fn throws", async () => {
    const run = inTransaction(database, async (tx) => {
      await tx.insert(widgets).values({ name: "outer", price: 1 });
      await inTransaction(database, async (inner) => {
        await inner.insert(widgets).values({ name: "inner", price: 2 });
        throw new Error("boom");
      });
    });
    await expect(run).rejects.toThrow("boom");
    expect(await names()).toEqual([]);
  });

  test("lets repositories join the open transaction through executorOf", async () => {
    const repoInsert = (name: string) => executorOf(database).insert(widgets).values({ name, price: 3 });
    await expect(
      inTransaction(database, async () => {
        await repoInsert("via-executor");
        throw new Error("undo");
      }),
    ).rejects.toThrow("undo");
    expect(await names()).toEqual([]);
    await repoInsert("outside");
    expect(await names()).toEqual(["outside"]);
  });

  test("keeps two databases' transactions apart (the context belongs to the database object)", async () => {
    const other = createDatabase({
      url: tdb.url,
      schema: "kit_fixture",
      pool: { max: 1, idleTimeoutSec: 5, connectTimeoutSec: 5 },
    });
    try {
      await inTransaction(database, async () => {
        expect(executorOf(other)).toBe(other.db);
      });
    } finally {
      await other.close();
    }
  });

  test("runs afterCommit callbacks once the outermost transaction commits, never after a rollback", async () => {
    const seen: string[] = [];
    await inTransaction(database, async (tx) => {
      await inTransaction(database, async () => {
        afterCommit(database, () => seen.push(`inner sees ${seen.length}`));
      });
      await tx.insert(widgets).values({ name: "x", price: 1 });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(["inner sees 0"]);
    const failed = inTransaction(database, async () => {
      afterCommit(database, () => seen.push("rolled back"));
      throw new Error("undo");
    });
    await expect(failed).rejects.toThrow("undo");
    afterCommit(database, () => seen.push("no transaction: at once"));
    expect(seen).toEqual(["inner sees 0", "no transaction: at once"]);
  });
});

describe("inTransaction with retry", () => {
  const killOwnSession = (tx: Parameters<Parameters<typeof inTransaction>[1]>[0]) =>
    tx.execute(sql`select pg_terminate_backend(pg_backend_pid())`);

  test("runs the whole transaction again when its connection died before COMMIT, and commits it once", async () => {
    let attempts = 0;
    await inTransaction(
      database,
      async (tx) => {
        attempts++;
        await tx.insert(widgets).values({ name: `try-${attempts}`, price: 1 });
        if (attempts === 1) await killOwnSession(tx);
      },
      { retry: { delayMs: 10 } },
    );
    expect(attempts).toBe(2);
    expect(await names()).toEqual(["try-2"]);
  });

  test("without retry the lost connection is thrown, as unavailable, and nothing is written", async () => {
    const err = await inTransaction(database, async (tx) => {
      await tx.insert(widgets).values({ name: "lost", price: 1 });
      await killOwnSession(tx);
    }).catch((e: unknown) => e);
    expect(toAppError(err)?.code).toBe("unavailable");
    expect(await names()).toEqual([]);
  });

  test("a connection lost during COMMIT is not retried: its outcome is unknown", async () => {
    // A deferred constraint trigger runs at COMMIT and ends its own session there: the COMMIT's answer is lost.
    await database.sql
      .unsafe(`
      create table if not exists kit_fixture.commit_killer (id int);
      create or replace function kit_fixture.kill_at_commit() returns trigger language plpgsql as
        $$ begin perform pg_terminate_backend(pg_backend_pid()); return null; end $$;
      drop trigger if exists kill_at_commit on kit_fixture.commit_killer;
      create constraint trigger kill_at_commit after insert on kit_fixture.commit_killer
        deferrable initially deferred for each row execute function kit_fixture.kill_at_commit();`)
      .simple();
    let attempts = 0;
    const err = await inTransaction(
      database,
      async (tx) => {
        attempts++;
        await tx.execute(sql`insert into kit_fixture.commit_killer values (1)`);
      },
      { retry: { delayMs: 10 } },
    ).catch((e: unknown) => e);
    expect(attempts).toBe(1);
    expect(toAppError(err)?.code).toBe("unavailable");
  });

  test("a pool whose every transaction lost its session serves the next query at once", async () => {
    // Three times the pool's size, half of them at the same time: a lost session must hand its connection back.
    const lose = () => inTransaction(database, killOwnSession).catch((e: unknown) => toAppError(e)?.code);
    const codes = [];
    for (let round = 0; round < 6; round++) codes.push(...(await Promise.all([lose(), lose()])));
    expect(codes).toEqual(Array(12).fill("unavailable"));
    const answer = await Promise.race([
      database.sql`select 1 as one`.then((rows) => rows[0]?.one),
      Bun.sleep(2_000).then(() => "no answer within 2 s"),
    ]);
    expect(answer).toBe(1);
  });

  test("a statement issued after the session died fails and never runs outside the transaction", async () => {
    const err = await inTransaction(database, async (tx) => {
      await killOwnSession(tx).catch(() => undefined);
      await tx.insert(widgets).values({ name: "after the session died", price: 1 });
    }).catch((e: unknown) => e);
    expect(toAppError(err)?.code).toBe("unavailable");
    await Bun.sleep(50);
    expect(await names()).toEqual([]);
  });
});
