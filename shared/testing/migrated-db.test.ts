import { describe, expect, test } from "bun:test";
import postgres from "postgres";
import { embedMigrations } from "../db/migrations.macro.ts" with { type: "macro" };
import { createMigratedDatabase, useMigratedDatabase } from "./migrated-db.ts";
import { testAdminUrl } from "./server.ts";

const migrations = embedMigrations("shared/db/fixtures/basic");

describe("a test file's migrated database", () => {
  const db = useMigratedDatabase({ schema: "kit_fixture", migrations, truncate: ["kit_fixture.widgets"] });

  test("the migrated tables are there to write to", async () => {
    await db.database.sql`insert into kit_fixture.widgets (name, price) values ('a', 1)`;
    const [row] = await db.database.sql`select count(*)::int as n from kit_fixture.widgets`;
    expect(row!.n).toBe(1);
  });

  test("the tables listed to truncate are empty again in the next test", async () => {
    const [row] = await db.database.sql`select count(*)::int as n from kit_fixture.widgets`;
    expect(row!.n).toBe(0);
    expect(db.url).toContain("kit_fixture_");
  });
});

test("a migrated database is dropped when closed", async () => {
  const migrated = await createMigratedDatabase({ schema: "kit_fixture", migrations, prefix: "migrated_close" });
  const name = new URL(migrated.url).pathname.slice(1);
  await migrated.close();
  const sql = postgres(await testAdminUrl(), { max: 1 });
  try {
    expect(await sql`select 1 from pg_database where datname = ${name}`).toHaveLength(0);
  } finally {
    await sql.end();
  }
});
