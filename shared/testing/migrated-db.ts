import { afterAll, beforeAll, beforeEach } from "bun:test";
import { createDatabase, type Database, type EmbeddedMigration, migrate, type PoolOptions } from "../db/index.ts";
import { createTestDatabase } from "./db.ts";

/** Options of {@link createMigratedDatabase}. */
export interface MigratedDatabaseOptions {
  /** The service's schema. */
  schema: string;
  /** The service's migrations: `embedMigrations("drizzle/<svc>")`, imported as a macro by the test file. */
  migrations: readonly EmbeddedMigration[];
  /** Start of the database's name (default: the schema). */
  prefix?: string;
  /** Default: 4 connections, 5 s idle and connect timeouts. */
  pool?: PoolOptions;
}

/** A fresh database with a service's schema migrated in. */
export interface MigratedDatabase {
  database: Database;
  /** URL of the database (superuser credentials), for a second pool of other settings. */
  url: string;
  /** Ends the pool and drops the database. */
  close(): Promise<void>;
}

const testPool: PoolOptions = { max: 4, idleTimeoutSec: 5, connectTimeoutSec: 5 };

/** Creates a fresh test database and migrates it with a service's migrations. */
export async function createMigratedDatabase(options: MigratedDatabaseOptions): Promise<MigratedDatabase> {
  const { schema } = options;
  const tdb = await createTestDatabase({ prefix: options.prefix ?? schema });
  const database = createDatabase({ url: tdb.url, schema, pool: options.pool ?? testPool });
  try {
    await migrate({ sql: database.sql, schema, migrations: options.migrations });
  } catch (err) {
    await database.close();
    await tdb.drop();
    throw err;
  }
  return {
    database,
    url: tdb.url,
    async close() {
      await database.close();
      await tdb.drop();
    },
  };
}

/**
 * One test file's database: created and migrated before its tests, the `truncate` tables emptied before
 * each test (cascading), closed and dropped after. Read `database` and `url` inside tests and hooks.
 * @example
 * const db = useMigratedDatabase({ schema: "users", migrations: embedMigrations("drizzle/users"), truncate: ["users.profiles"] });
 * usersRepoContract("the PostgreSQL users repository", async () => new PgUsersRepo(db.database));
 */
export function useMigratedDatabase(options: MigratedDatabaseOptions & { truncate?: readonly string[] }): {
  readonly database: Database;
  readonly url: string;
} {
  let migrated: MigratedDatabase | undefined;
  const current = () => {
    if (!migrated) throw new Error("the test database exists only inside tests and their hooks");
    return migrated;
  };
  beforeAll(async () => {
    migrated = await createMigratedDatabase(options);
  });
  if (options.truncate?.length) {
    const statement = `truncate ${options.truncate.join(", ")} cascade`;
    beforeEach(async () => {
      await current().database.sql.unsafe(statement);
    });
  }
  afterAll(async () => {
    await migrated?.close();
  });
  return {
    get database() {
      return current().database;
    },
    get url() {
      return current().url;
    },
  };
}
