import { afterAll, beforeAll, beforeEach } from "bun:test";
import { createDatabase, type Database, migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { notifierRepoContract } from "./notifier.repo.contract.ts";
import { PgNotifierRepo } from "./notifier.repo.ts";

let tdb: TestDatabase;
let database: Database;

beforeAll(async () => {
  tdb = await createTestDatabase({ prefix: "notifier_repo" });
  database = createDatabase({
    url: tdb.url,
    schema: "notifier",
    pool: { max: 4, idleTimeoutSec: 5, connectTimeoutSec: 5 },
  });
  await migrate({ sql: database.sql, schema: "notifier", migrations: embedMigrations("drizzle/notifier") });
});

beforeEach(async () => {
  await database.sql`truncate notifier.notifications, notifier.inbox`;
});

afterAll(async () => {
  await database.close();
  await tdb.drop();
});

notifierRepoContract("the PostgreSQL notifications repository", async () => new PgNotifierRepo(database));
