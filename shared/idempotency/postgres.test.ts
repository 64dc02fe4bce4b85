import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { pgSchema } from "drizzle-orm/pg-core";
import { createDatabase, type Database, inTransaction } from "../db/index.ts";
import { createTestDatabase, type TestDatabase } from "../testing/db.ts";
import { PgIdempotencyStore } from "./postgres.ts";
import { idempotencyStoreContract } from "./store.contract.ts";
import { idempotencyKeysTable } from "./table.ts";

const table = idempotencyKeysTable(pgSchema("kit"));
let tdb: TestDatabase;
let database: Database;

beforeAll(async () => {
  tdb = await createTestDatabase({ prefix: "idempotency" });
  database = createDatabase({ url: tdb.url, schema: "kit", pool: { max: 4, idleTimeoutSec: 5, connectTimeoutSec: 5 } });
  // What drizzle-kit generates from idempotencyKeysTable (a service's migration has the same statements).
  await database.sql.unsafe(`
    create schema kit;
    create table kit.idempotency_keys (
      scope text not null, key text not null, fingerprint text not null, status integer not null,
      headers jsonb not null, body text, created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      constraint idempotency_keys_pkey primary key (scope, key));
    create index idempotency_keys_expires_idx on kit.idempotency_keys (expires_at);`);
});

afterAll(async () => {
  await database?.close();
  await tdb?.drop();
});

idempotencyStoreContract("the PostgreSQL idempotency store", async () => {
  await database.sql`truncate kit.idempotency_keys`;
  return {
    store: new PgIdempotencyStore(database, table, { ttlMs: 60_000, purgeBatch: 1 }),
    expireAll: async () => {
      await database.sql`update kit.idempotency_keys set expires_at = now() - interval '1 second'`;
    },
    count: async () => (await database.sql<{ n: number }[]>`select count(*)::int as n from kit.idempotency_keys`)[0]!.n,
  };
});

describe("the PostgreSQL idempotency store and the business change", () => {
  const insertThing = (id: string) =>
    inTransaction(database, (tx) => tx.execute(sql`insert into kit.things (id) values (${id})`));
  const things = async () => (await database.sql<{ n: number }[]>`select count(*)::int as n from kit.things`)[0]!.n;
  const keys = async () =>
    (await database.sql<{ n: number }[]>`select count(*)::int as n from kit.idempotency_keys`)[0]!.n;
  const answer = { status: 201, body: "{}", headers: {} };

  test("commit together: the handler's own transaction joins the key's", async () => {
    await database.sql.unsafe("create table if not exists kit.things (id text primary key); truncate kit.things");
    await database.sql`truncate kit.idempotency_keys`;
    const store = new PgIdempotencyStore(database, table, { ttlMs: 60_000 });
    const claim = { scope: "u", key: "k1", fingerprint: "f" };
    await store.run(claim, async () => {
      await insertThing("t1");
      return answer;
    });
    expect([await things(), await keys()]).toEqual([1, 1]);
    // A failure after the change was written (a crash before the commit) leaves neither the change nor the key.
    const failed = store.run({ ...claim, key: "k2" }, async () => {
      await insertThing("t2");
      throw new Error("lost before the commit");
    });
    expect(failed).rejects.toThrow("lost before the commit");
    await failed.catch(() => {});
    expect([await things(), await keys()]).toEqual([1, 1]);
  });
});
