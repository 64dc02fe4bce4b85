/**
 * The one PostgreSQL server of a test run: the configured one, or an embedded one started on first use.
 * State lives here (not in preload.ts) so `db.ts` works in any script, and preload.ts only adds the teardown.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from "@shared/db/embedded.ts";

/** Repository root: this file lives at `<root>/shared/testing/`. */
const root = resolve(import.meta.dir, "..", "..");

let embedded: Promise<EmbeddedPostgresServer> | undefined;

/** Databases handed out in this run, dropped at the end if a test file forgot to. */
export const createdDatabases = new Set<string>();

/** The configured admin URL, if any: TEST_ADMIN_DATABASE_URL, TEST_DATABASE_URL, then DATABASE_URL. */
export function configuredAdminUrl(): string | undefined {
  const env = process.env;
  return env.TEST_ADMIN_DATABASE_URL || env.TEST_DATABASE_URL || env.DATABASE_URL || undefined;
}

/**
 * Reaps the cluster if this process dies without running its teardown (crash, ^C, kill): a detached shell
 * waits for our pid to disappear, stops the postmaster and deletes the directory.
 */
function spawnReaper(dataDir: string): void {
  const script =
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
    `pid=$(head -1 "${dataDir}/postmaster.pid" 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null; ` +
    `sleep 1; rm -rf "${dataDir}"`;
  spawn("sh", ["-c", script], { detached: true, stdio: "ignore" }).unref();
}

async function startForTests(): Promise<EmbeddedPostgresServer> {
  const dataDir = join(root, ".data", `test-pg-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  spawnReaper(dataDir);
  const server = await startEmbeddedPostgres({ dataDir, durable: false });
  process.env.TEST_ADMIN_DATABASE_URL = server.url;
  return server;
}

/** The admin (superuser) URL tests create their databases through; starts the embedded server when needed. */
export async function testAdminUrl(): Promise<string> {
  const configured = configuredAdminUrl();
  if (configured && !embedded) return configured;
  embedded ??= startForTests();
  return (await embedded).url;
}

/** Stops the embedded server if this run started one, and deletes its data. */
export async function stopTestServer(): Promise<void> {
  if (!embedded) return;
  const server = await embedded.catch(() => undefined);
  embedded = undefined;
  if (!server) return;
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
  if (process.env.TEST_ADMIN_DATABASE_URL === server.url) delete process.env.TEST_ADMIN_DATABASE_URL;
}

/** True when this run started an embedded server (so its databases vanish with it). */
export function usesEmbeddedServer(): boolean {
  return embedded !== undefined;
}
