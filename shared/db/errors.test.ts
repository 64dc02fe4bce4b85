import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AppError } from "@shared/errors";
import { createTestDatabase, type TestDatabase } from "@shared/testing/db.ts";
import { createDatabase, type Database } from "./database.ts";
import { freePort } from "./embedded.ts";
import { explainUnusableDatabase, isDriverBackgroundError, pgErrorOf, toAppError } from "./errors.ts";
import { parts, widgets } from "./fixtures/tables.ts";
import { migrate } from "./migrate.ts";
import { embedMigrations } from "./migrations.macro.ts" with { type: "macro" };

let tdb: TestDatabase;
let database: Database;
const pool = { max: 2, idleTimeoutSec: 5, connectTimeoutSec: 2 };

beforeAll(async () => {
  tdb = await createTestDatabase({ prefix: "errors" });
  database = createDatabase({ url: tdb.url, schema: "kit_fixture", pool });
  await migrate({ sql: database.sql, schema: "kit_fixture", migrations: embedMigrations("shared/db/fixtures/basic") });
  const [taken] = await database.db.insert(widgets).values({ name: "taken", price: 1 }).returning();
  await database.db.insert(parts).values({ widgetId: taken!.id });
});

afterAll(async () => {
  await database.close();
  await tdb.drop();
});

/** The error a promise rejects with. */
async function failure(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (err) {
    return err;
  }
  throw new Error("expected the query to fail");
}

describe("toAppError", () => {
  test("turns a real unique violation (wrapped by drizzle) into conflict naming the constraint", async () => {
    const err = await failure(database.db.insert(widgets).values({ name: "taken", price: 2 }));
    const app = toAppError(err);
    expect(app).toBeInstanceOf(AppError);
    expect(app?.code).toBe("conflict");
    expect(app?.message).toContain("widgets_name_unique");
    expect(app?.cause).toBe(err);
    expect(pgErrorOf(err)).toMatchObject({ code: "23505", constraint: "widgets_name_unique", table: "widgets" });
  });

  test("turns a reference to a missing row into invalid_argument", async () => {
    const err = await failure(database.db.insert(parts).values({ widgetId: 999_999 }));
    expect(toAppError(err)?.code).toBe("invalid_argument");
  });

  test("turns deleting a still-referenced row into conflict", async () => {
    const err = await failure(database.db.delete(widgets));
    expect(toAppError(err)?.code).toBe("conflict");
  });

  test("turns a check violation and malformed text into invalid_argument", async () => {
    const check = await failure(database.db.insert(widgets).values({ name: "neg", price: -1 }));
    expect(toAppError(check)?.code).toBe("invalid_argument");
    const text = await failure(database.sql`select ${"not-a-uuid"}::uuid`);
    expect(toAppError(text)?.code).toBe("invalid_argument");
  });

  test("turns a refused connection into unavailable", async () => {
    const down = createDatabase({ url: `postgres://x@127.0.0.1:${await freePort()}/x`, schema: "x", pool });
    try {
      const err = await failure(down.ping());
      expect(toAppError(err)?.code).toBe("unavailable");
    } finally {
      await down.close(0);
    }
  });

  test("leaves other errors unmapped so the caller decides", async () => {
    expect(toAppError(await failure(database.sql`select * from no_such_table`))).toBeNull();
    expect(toAppError(new Error("plain"))).toBeNull();
    expect(toAppError("not even an error")).toBeNull();
  });
});

describe("isDriverBackgroundError", () => {
  test("recognises what the driver leaves behind: a server error, a socket or driver connection error", async () => {
    const server = await failure(database.sql`select * from no_such_table`);
    expect(isDriverBackgroundError(server)).toBe(true);
    const refused = await failure(
      createDatabase({ url: `postgres://postgres@127.0.0.1:${await freePort()}/x`, schema: "x", pool }).ping(),
    );
    expect(isDriverBackgroundError(refused)).toBe(true);
    expect(isDriverBackgroundError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe(true);
  });

  test("leaves our own bugs alone: plain errors, other codes and things that are not errors", () => {
    expect(isDriverBackgroundError(new TypeError("x is undefined"))).toBe(false);
    expect(isDriverBackgroundError(Object.assign(new Error("nope"), { code: "ERR_INVALID_ARG_TYPE" }))).toBe(false);
    expect(isDriverBackgroundError({ name: "PostgresError", code: "57014" })).toBe(false);
    expect(isDriverBackgroundError("57014")).toBe(false);
    expect(isDriverBackgroundError(undefined)).toBe(false);
  });
});

describe("explainUnusableDatabase", () => {
  test("a refused connection says where and why, and never the password", async () => {
    const port = await freePort();
    const url = `postgres://app:s3cret@127.0.0.1:${port}/shop`;
    const down = createDatabase({ url, schema: "x", pool });
    try {
      const err = explainUnusableDatabase(await failure(down.ping()), down.sql) as Error & { code: string };
      expect(err.message).toBe(
        `cannot use the database at 127.0.0.1:${port}/shop: nothing listens there (is PostgreSQL running, and is the port right?)`,
      );
      expect(err.code).toBe("ECONNREFUSED");
      expect(err.message).not.toContain("s3cret");
    } finally {
      await down.close(0);
    }
  });

  test("a database that does not exist on a running server is named", async () => {
    const url = new URL(tdb.url);
    url.pathname = "/no_such_database_here";
    const missing = createDatabase({ url: url.href, schema: "x", pool });
    try {
      const err = explainUnusableDatabase(await failure(missing.ping()), missing.sql) as Error;
      expect(err.message).toBe(
        `cannot use the database at ${url.hostname}:${url.port || "5432"}/no_such_database_here: the database does not exist`,
      );
    } finally {
      await missing.close(0);
    }
  });

  test("other errors, such as a constraint violation, are returned as they are", async () => {
    const err = await failure(database.db.insert(widgets).values({ name: "neg", price: -1 }));
    expect(explainUnusableDatabase(err, database.sql)).toBe(err);
  });
});
