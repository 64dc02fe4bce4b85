import { afterAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import {
  DatabaseUrlRequiredError,
  isAlive,
  isCompiledBinary,
  resolveDatabaseUrl,
  startEmbeddedPostgres,
} from "./embedded.ts";

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

const starter = join(import.meta.dir, "fixtures/embedded-starter.ts");

/** Runs the starter fixture in a process group of its own, as a terminal runs a command; resolves with the
 * process, its server's URL and pid, and a promise of everything it prints. */
async function startStarter(dir: string) {
  const proc: ChildProcess = spawn("bun", ["run", starter, dir], {
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const exited = new Promise<{ code: number | null; out: string }>((done) =>
    proc.once("exit", (code) => done({ code, out })),
  );
  const server = await new Promise<{ url: string; pid: number }>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`starter printed no server in 30 s: ${out}`)), 30_000);
    proc.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(timer);
        ready(JSON.parse(line));
      }
    });
  });
  return { proc, server, exited };
}

describe("the embedded server's own process group", () => {
  test("a Ctrl-C to the starter's group reaches only the starter, which still uses the server and then stops it", async () => {
    const dir = `${dataDir}-ctrl-c`;
    try {
      const { proc, server, exited } = await startStarter(dir);
      // what a terminal does on Ctrl-C: SIGINT to every process of the foreground group
      process.kill(-proc.pid!, "SIGINT");
      const { code, out } = await exited;
      expect(out).toContain("drained");
      expect(code).toBe(0);
      expect(isAlive(server.pid)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("a server left running by a starter killed outright is stopped, and its data directory serves again", async () => {
    const dir = `${dataDir}-leftover`;
    try {
      const { proc, server: left, exited } = await startStarter(dir);
      process.kill(proc.pid!, "SIGKILL");
      await exited;
      expect(isAlive(left.pid)).toBe(true);
      const next = await startEmbeddedPostgres({ dataDir: dir, durable: false });
      const sql = postgres(next.url, { max: 1 });
      try {
        expect(isAlive(left.pid)).toBe(false);
        expect(next.pid).not.toBe(left.pid);
        expect([...(await sql`select 1 as one`)]).toEqual([{ one: 1 }]);
      } finally {
        await sql.end();
        await next.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
  test("a second start on the directory of a server whose starter still runs is refused, and the server is left alone", async () => {
    const dir = `${dataDir}-in-use`;
    try {
      const { proc, server, exited } = await startStarter(dir);
      try {
        await expect(startEmbeddedPostgres({ dataDir: dir, durable: false })).rejects.toThrow(
          `in use by the server that process ${proc.pid} started`,
        );
        const sql = postgres(server.url, { max: 1 });
        try {
          expect([...(await sql`select 1 as one`)]).toEqual([{ one: 1 }]);
        } finally {
          await sql.end();
        }
      } finally {
        process.kill(-proc.pid!, "SIGINT");
        await exited;
      }
      expect(isAlive(server.pid)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
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
