import type { Tracer } from "@opentelemetry/api";
import type { GrantFlags, Writer } from "../cli/index.ts";
import { type BaseConfig, ConfigError, readSecretFile } from "../config/index.ts";
import {
  createDatabase,
  type Database,
  type EmbeddedMigration,
  explainUnusableDatabase,
  grantServiceRoles,
  migrate,
  migrationStatus,
  resolveDatabaseUrl,
} from "../db/index.ts";
import { defaultSlotNames } from "../events/wal/slot.ts";
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

/** A password from the file a `db grant` flag names, without its trailing newline; ConfigError naming the flag. */
function readPasswordFile(flag: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const password = readSecretFile(file, { key: "", source: `flag ${flag}` });
  if (password) return password;
  throw new ConfigError([{ key: "", message: `the password file ${file} is empty`, source: `flag ${flag}` }]);
}

/**
 * The `db grant` command of a service's CLI: the schema's roles created or updated with a superuser's URL
 * (`--admin-url`, else the config's database URL), printing what changed. In WAL relay mode the app role
 * gets REPLICATION and the outbox its publication.
 * @example grant: grantCommand<C>({ schema: "orders", walRelay: (c) => c.relay?.mode === "wal" })
 */
export function grantCommand<C extends BaseConfig>(options: { schema: string; walRelay: (config: C) => boolean }) {
  return async (config: C, flags: GrantFlags, out: Writer): Promise<void> => {
    const url = flags.adminUrl ?? config.db.url;
    if (!url) {
      throw new ConfigError([
        { key: "db.url", message: "db grant needs a superuser's URL: --admin-url or DATABASE_URL", source: "default" },
      ]);
    }
    const ownerPassword = readPasswordFile("--owner-password-file", flags.ownerPasswordFile);
    const appPassword = readPasswordFile("--app-password-file", flags.appPasswordFile);
    const database = createDatabase({
      url,
      schema: options.schema,
      pool: { max: 1, idleTimeoutSec: 1, connectTimeoutSec: config.db.pool.connectTimeoutSec },
      applicationName: `${options.schema}-grant`,
    });
    try {
      const { table, publication } = defaultSlotNames(options.schema);
      const report = await grantServiceRoles({
        sql: database.sql,
        schema: options.schema,
        ownerPassword,
        appPassword,
        wal: options.walRelay(config) ? { table, publication } : undefined,
      });
      out.write(report.changes.length ? `${report.changes.join("\n")}\n` : "roles and privileges up to date\n");
      for (const note of report.notes) out.write(`note: ${note}\n`);
    } catch (err) {
      throw explainUnusableDatabase(err, database.sql);
    } finally {
      await database.close();
    }
  };
}
