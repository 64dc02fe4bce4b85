// A throwaway database for one benchmark run, on the server DATABASE_URL names (local PostgreSQL by default).
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "@shared/db/embedded.ts";
import postgres from "postgres";

/** A database made for one run: its URL, and `drop` to remove it at the end. */
export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates a database named `<prefix>_<time>` on the configured server (or the one `adminUrl` names). */
export async function createBenchDatabase(
  prefix: string,
  adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
): Promise<BenchDatabase> {
  const name = `${prefix}_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * A database on a PostgreSQL server of the run's own, every process of it pinned to `cpu`, so that the server
 * measured (pinned to another CPU) has its CPU to itself: the shared server's backends would otherwise run on
 * whichever CPU is free, the measured one too, and move the figures from run to run. `drop` stops the server
 * and removes its files.
 */
export async function createPinnedBenchDatabase(prefix: string, cpu: number): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-pg-`));
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o777); // the server runs as user postgres
  const server = await startEmbeddedPostgres({ dataDir: join(dataDir, "data"), durable: false });
  try {
    pinTree(server.pid, cpu);
    const database = await createBenchDatabase(prefix, server.url);
    return {
      url: database.url,
      async drop() {
        await database.drop();
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Pins a process and its children (PostgreSQL's background processes; later backends inherit it). */
function pinTree(pid: number, cpu: number): void {
  const children = Bun.spawnSync(["pgrep", "-P", String(pid)])
    .stdout.toString()
    .split(/\s+/)
    .filter(Boolean);
  for (const each of [String(pid), ...children]) {
    const pinned = Bun.spawnSync(["taskset", "-a", "-p", "-c", String(cpu), each], { stdout: "ignore" });
    if (pinned.exitCode !== 0) throw new Error(`taskset could not pin process ${each}: ${pinned.stderr.toString()}`);
  }
}
