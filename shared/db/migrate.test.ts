import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@shared/testing/db.ts";
import postgres from "postgres";
import { MigrationChangedError, migrate, migrationStatus } from "./migrate.ts";
import { embedMigrations } from "./migrations.macro.ts" with { type: "macro" };
import type { EmbeddedMigration } from "./migrations.macro.ts";

const migrations = embedMigrations("shared/db/fixtures/basic");
const schema = "kit_fixture";

/** The fixture with one migration's text changed, hashed the way the macro would hash the edited file. */
function edited(tag: string): EmbeddedMigration[] {
  return migrations.map((m) => {
    if (m.tag !== tag) return m;
    const text = `${m.sql.join("--> statement-breakpoint")}\n-- edited`;
    return { ...m, sql: text.split("--> statement-breakpoint"), hash: createHash("sha256").update(text).digest("hex") };
  });
}

const databases: TestDatabase[] = [];
const clients: postgres.Sql[] = [];

/** A fresh database and a client on it; each test gets its own so none sees another's journal. */
async function freshClient(): Promise<{ sql: postgres.Sql; url: string }> {
  const tdb = await createTestDatabase({ prefix: "migrate" });
  databases.push(tdb);
  const sql = postgres(tdb.url, { max: 3, onnotice: () => {} });
  clients.push(sql);
  return { sql, url: tdb.url };
}

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
  await Promise.all(databases.map((d) => d.drop()));
});

describe("migrate", () => {
  let sql: postgres.Sql;
  beforeAll(async () => {
    ({ sql } = await freshClient());
  });

  test("applies every migration in order and records each in drizzle's journal table", async () => {
    const applied = await migrate({ sql, schema, migrations });
    expect(applied.map((m) => m.tag)).toEqual(["0000_init", "0001_parts", "0002_price_check"]);
    const rows =
      await sql`select hash, created_at::text as created_at from kit_fixture.__drizzle_migrations order by id`;
    expect(rows.map((r) => [r.hash, Number(r.created_at)])).toEqual(migrations.map((m) => [m.hash, m.folderMillis]));
    const tables =
      await sql`select table_name from information_schema.tables where table_schema = ${schema} order by 1`;
    expect(tables.map((t) => t.table_name)).toEqual(["__drizzle_migrations", "parts", "widgets"]);
  });

  test("applies nothing the second time", async () => {
    expect(await migrate({ sql, schema, migrations })).toEqual([]);
    const [count] = await sql`select count(*)::int as n from kit_fixture.__drizzle_migrations`;
    expect(count?.n).toBe(3);
  });

  test("reports every migration as applied with the time it was applied", async () => {
    const status = await migrationStatus({ sql, schema, migrations });
    expect(status.map((s) => [s.tag, s.state])).toEqual([
      ["0000_init", "applied"],
      ["0001_parts", "applied"],
      ["0002_price_check", "applied"],
    ]);
    expect(status.every((s) => s.appliedAt instanceof Date)).toBe(true);
  });

  test("refuses to run when an applied migration was edited, naming it", async () => {
    const run = migrate({ sql, schema, migrations: edited("0001_parts") });
    await expect(run).rejects.toBeInstanceOf(MigrationChangedError);
    await expect(migrate({ sql, schema, migrations: edited("0001_parts") })).rejects.toThrow(/0001_parts/);
    const status = await migrationStatus({ sql, schema, migrations: edited("0001_parts") });
    expect(status.find((s) => s.tag === "0001_parts")?.state).toBe("changed");
  });

  test("releases the advisory lock after refusing, so the next run is not blocked", async () => {
    await migrate({ sql, schema, migrations: edited("0000_init") }).catch(() => {});
    const [locks] =
      await sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`;
    expect(locks?.n).toBe(0);
    expect(await migrate({ sql, schema, migrations })).toEqual([]);
  });
});

describe("migrate on a fresh database", () => {
  test("reports everything pending before the first run, without creating anything", async () => {
    const { sql } = await freshClient();
    const status = await migrationStatus({ sql, schema, migrations });
    expect(status.map((s) => s.state)).toEqual(["pending", "pending", "pending"]);
    const [found] = await sql`select count(*)::int as n from pg_namespace where nspname = ${schema}`;
    expect(found?.n).toBe(0);
  });

  test("lets two instances migrate at the same moment: both succeed and each migration applies once", async () => {
    const { url } = await freshClient();
    const a = postgres(url, { max: 2, onnotice: () => {} });
    const b = postgres(url, { max: 2, onnotice: () => {} });
    clients.push(a, b);
    const [fromA, fromB] = await Promise.all([
      migrate({ sql: a, schema, migrations }),
      migrate({ sql: b, schema, migrations }),
    ]);
    expect([...fromA, ...fromB].map((m) => m.tag).sort()).toEqual(["0000_init", "0001_parts", "0002_price_check"]);
    expect(Math.min(fromA.length, fromB.length)).toBe(0);
    const [count] = await a`select count(*)::int as n from kit_fixture.__drizzle_migrations`;
    expect(count?.n).toBe(3);
  });

  test("rolls a failing migration back entirely and records nothing for it", async () => {
    const { sql } = await freshClient();
    const broken: EmbeddedMigration = {
      tag: "0003_broken",
      sql: ['CREATE TABLE "kit_fixture"."half" (id int)', "SELECT * FROM no_such_table"],
      bps: true,
      folderMillis: (migrations.at(-1)?.folderMillis ?? 0) + 1000,
      hash: "x",
    };
    await expect(migrate({ sql, schema, migrations: [...migrations, broken] })).rejects.toThrow(/0003_broken/);
    const [half] = await sql`select to_regclass('kit_fixture.half') as t`;
    expect(half?.t).toBeNull();
    const status = await migrationStatus({ sql, schema, migrations: [...migrations, broken] });
    expect(status.map((s) => s.state)).toEqual(["applied", "applied", "applied", "pending"]);
  });
});
