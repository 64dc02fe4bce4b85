import type { Tracer } from "@opentelemetry/api";
import type { BaseConfig } from "../config/index.ts";
import {
  createDatabase,
  type Database,
  type EmbeddedMigration,
  explainUnusableDatabase,
  migrate,
  migrationStatus,
  resolveDatabaseUrl,
} from "../db/index.ts";
import type { Logger } from "../log/index.ts";

/** A service's open database and how to close it (pool first, then the embedded server if one was started). */
export interface OpenDatabase {
  database: Database;
  close(): Promise<void>;
}

/**
 * Opens the database a service's config names; with no URL (from source only) it starts the embedded
 * PostgreSQL shared by every service of the dev stack, database `shop`.
 */
export async function openServiceDatabase(options: {
  schema: string;
  db: BaseConfig["db"];
  logger: Logger;
  /** Traces queries and transactions when given. */
  tracer?: Tracer | null;
}): Promise<OpenDatabase> {
  const resolved = await resolveDatabaseUrl({
    configuredUrl: options.db.url,
    dataDir: options.db.dataDir,
    database: "shop",
    logger: options.logger,
  });
  const database = createDatabase({
    url: resolved.url,
    schema: options.schema,
    pool: options.db.pool,
    logger: options.logger,
    tracer: options.tracer,
  });
  return {
    database,
    async close() {
      await database.close();
      await resolved.stop();
    },
  };
}

/**
 * The `migrate up` and `migrate status` commands of a service's CLI, printing one line per migration.
 * @example migrate: migrateCommands({ schema: "users", migrations, open: (c) => openServiceDatabase(...) })
 */
export function migrateCommands<C>(options: {
  schema: string;
  migrations: readonly EmbeddedMigration[];
  open: (config: C) => Promise<OpenDatabase & { logger: Logger }>;
  print?: (line: string) => void;
}) {
  const print = options.print ?? ((line: string) => console.log(line));
  const withDatabase = async (config: C, fn: (opened: OpenDatabase & { logger: Logger }) => Promise<void>) => {
    const opened = await options.open(config);
    try {
      await fn(opened);
    } catch (err) {
      throw explainUnusableDatabase(err, opened.database.sql);
    } finally {
      await opened.close();
    }
  };
  return {
    up: (config: C) =>
      withDatabase(config, async ({ database, logger }) => {
        const applied = await migrate({
          sql: database.sql,
          schema: options.schema,
          migrations: options.migrations,
          logger,
        });
        print(applied.length ? `applied: ${applied.map((m) => m.tag).join(", ")}` : "up to date");
      }),
    status: (config: C) =>
      withDatabase(config, async ({ database }) => {
        const states = await migrationStatus({
          sql: database.sql,
          schema: options.schema,
          migrations: options.migrations,
        });
        for (const m of states) {
          print(`${m.state.padEnd(8)} ${m.tag}${m.appliedAt ? ` ${m.appliedAt.toISOString()}` : ""}`);
        }
      }),
  };
}
