import { describe, expect, test } from "bun:test";
import postgres from "postgres";
import { createTestDatabase } from "./db.ts";
import { testAdminUrl } from "./server.ts";

async function exists(name: string): Promise<boolean> {
  const admin = postgres(await testAdminUrl(), { max: 1 });
  try {
    return (await admin`select 1 from pg_database where datname = ${name}`).length === 1;
  } finally {
    await admin.end();
  }
}

describe("createTestDatabase", () => {
  test("creates a fresh, empty database of its own and drops it again", async () => {
    const tdb = await createTestDatabase({ prefix: "Testing-Db" });
    expect(tdb.name).toMatch(/^testing_db_/);
    const sql = postgres(tdb.url, { max: 1 });
    try {
      const [row] = await sql`select current_database() as db, count(*)::int as tables
        from information_schema.tables where table_schema = 'public'`;
      expect(row).toEqual({ db: tdb.name, tables: 0 });
    } finally {
      await sql.end();
    }
    await tdb.drop();
    expect(await exists(tdb.name)).toBe(false);
  });

  test("gives every caller a different database", async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    expect(a?.name).not.toBe(b?.name);
    await Promise.all([a?.drop(), b?.drop()]);
  });

  test("drops a database even while a client is still connected to it", async () => {
    const tdb = await createTestDatabase();
    const sql = postgres(tdb.url, { max: 1 });
    await sql`select 1`;
    await tdb.drop();
    expect(await exists(tdb.name)).toBe(false);
    await sql.end({ timeout: 0 }).catch(() => {});
  });
});
