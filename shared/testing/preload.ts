/**
 * Registered in bunfig.toml `[test] preload`. Costs nothing for test files that need no database: the
 * embedded PostgreSQL starts only when a test first calls `createTestDatabase()`.
 * Admin URL: TEST_DATABASE_URL or DATABASE_URL when set, else the embedded server, whose URL is then
 * exported as TEST_ADMIN_DATABASE_URL.
 */
import { afterAll } from "bun:test";
import { dropTestDatabase } from "./db.ts";
import { configuredAdminUrl, createdDatabases, stopTestServer, usesEmbeddedServer } from "./server.ts";

const configured = configuredAdminUrl();
if (configured) process.env.TEST_ADMIN_DATABASE_URL = configured;

// In a preload, afterAll runs once after the whole run (after every file with --isolate / --parallel).
// Bun's test runner does not emit process "exit", so this is where the server must be stopped.
afterAll(async () => {
  if (!usesEmbeddedServer()) {
    for (const name of [...createdDatabases]) await dropTestDatabase(name).catch(() => {});
    createdDatabases.clear();
  }
  await stopTestServer();
});
