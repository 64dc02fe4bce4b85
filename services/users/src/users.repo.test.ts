import { afterAll, beforeAll, beforeEach } from "bun:test";
import { createDatabase, type Database, migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { usersRepoContract } from "./users.repo.contract.ts";
import { PgUsersRepo } from "./users.repo.ts";

let tdb: TestDatabase;
let database: Database;

beforeAll(async () => {
  tdb = await createTestDatabase({ prefix: "users_repo" });
  database = createDatabase({
    url: tdb.url,
    schema: "users",
    pool: { max: 4, idleTimeoutSec: 5, connectTimeoutSec: 5 },
  });
  await migrate({ sql: database.sql, schema: "users", migrations: embedMigrations("drizzle/users") });
});

beforeEach(async () => {
  await database.sql`truncate users.profiles`;
});

afterAll(async () => {
  await database.close();
  await tdb.drop();
});

usersRepoContract("the PostgreSQL users repository", async () => new PgUsersRepo(database));
