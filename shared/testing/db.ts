import { withDatabase } from "@shared/db/embedded.ts";
import { quoteIdent } from "@shared/db/ident.ts";
import postgres from "postgres";
import { createdDatabases, testAdminUrl } from "./server.ts";

/** A database of its own for one test file. */
export interface TestDatabase {
  /** URL of the fresh database (superuser credentials). */
  url: string;
  name: string;
  /** Drops the database, disconnecting anyone still on it. */
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (admin: postgres.Sql) => Promise<T>): Promise<T> {
  const admin = postgres(await testAdminUrl(), { max: 1, onnotice: () => {} });
  try {
    return await fn(admin);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * Creates a fresh, uniquely named database on the test server (the configured one, or the embedded one
 * started on first call).
 *
 * @example
 * let tdb: TestDatabase;
 * beforeAll(async () => { tdb = await createTestDatabase(); });
 * afterAll(() => tdb.drop());
 */
export async function createTestDatabase(options: { prefix?: string } = {}): Promise<TestDatabase> {
  const prefix = (options.prefix ?? "t")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 30);
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdmin((admin) => admin.unsafe(`create database ${quoteIdent(name)}`));
  createdDatabases.add(name);
  const url = withDatabase(await testAdminUrl(), name);
  return {
    url,
    name,
    async drop() {
      if (!createdDatabases.delete(name)) return;
      await dropTestDatabase(name);
    },
  };
}

/** Drops a test database by name (WITH FORCE: open connections are terminated). */
export async function dropTestDatabase(name: string): Promise<void> {
  await withAdmin((admin) => admin.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`));
}
