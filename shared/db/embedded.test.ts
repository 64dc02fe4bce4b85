import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { DatabaseUrlRequiredError, isCompiledBinary, resolveDatabaseUrl, startEmbeddedPostgres } from "./embedded.ts";

const dataDir = join(resolve(import.meta.dir, "..", ".."), ".data", `embedded-test-${process.pid}`);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("startEmbeddedPostgres", () => {
  test("starts a server that answers select 1 with logical WAL, then stops it", async () => {
    const server = await startEmbeddedPostgres({ dataDir, durable: false });
    const sql = postgres(server.url, { max: 1 });
    try {
      const [row] = await sql`select 1 as one, current_setting('wal_level') as wal`;
      expect(row).toEqual({ one: 1, wal: "logical" });
    } finally {
      await sql.end();
      await server.stop();
    }
    const again = postgres(server.url, { max: 1, connect_timeout: 2 });
    await expect(again`select 1`).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await again.end();
  });

  test("reuses an initialised data directory and keeps its data", async () => {
    const first = await startEmbeddedPostgres({ dataDir, durable: false });
    let sql = postgres(first.url, { max: 1, onnotice: () => {} });
    await sql`create table if not exists kept (v int)`;
    await sql`insert into kept values (42)`;
    await sql.end();
    await first.stop();
    const second = await startEmbeddedPostgres({ dataDir, durable: false });
    sql = postgres(second.url, { max: 1 });
    try {
      expect([...(await sql`select v from kept`)]).toEqual([{ v: 42 }]);
    } finally {
      await sql.end();
      await second.stop();
    }
  });
});

describe("resolveDatabaseUrl", () => {
  test("returns the configured URL without starting anything", async () => {
    const resolved = await resolveDatabaseUrl({ configuredUrl: "postgres://db/app", dataDir: "/nonexistent" });
    expect(resolved).toMatchObject({ url: "postgres://db/app", embedded: false });
  });

  test("from source without a URL, starts the embedded server and creates the database", async () => {
    const resolved = await resolveDatabaseUrl({ dataDir: `${dataDir}-resolve`, database: "devdb" });
    const sql = postgres(resolved.url, { max: 1 });
    try {
      expect(resolved.embedded).toBe(true);
      expect([...(await sql`select current_database() as db`)]).toEqual([{ db: "devdb" }]);
    } finally {
      await sql.end();
      await resolved.stop();
      rmSync(`${dataDir}-resolve`, { recursive: true, force: true });
    }
  });

  test("knows it runs from source, not from a compiled binary", () => {
    expect(isCompiledBinary()).toBe(false);
    expect(new DatabaseUrlRequiredError().message).toContain("DATABASE_URL");
  });
});
