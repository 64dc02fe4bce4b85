import type postgres from "postgres";
import { quoteIdent as ident } from "./ident.ts";
import { type DbLogger, silentLogger } from "./logger.ts";
import type { EmbeddedMigration } from "./migrations.macro.ts";

/** The journal table drizzle uses, kept in the service's own schema. */
export const journalTable = "__drizzle_migrations";

/** Options of `migrate` and `migrationStatus`. */
export interface MigrateOptions {
  /** The pool; `migrate` reserves one connection of it for the whole run. */
  sql: postgres.Sql;
  /** The service's schema: holds the journal table and names the advisory lock. */
  schema: string;
  /** Usually `embedMigrations("drizzle/<svc>")`. */
  migrations: readonly EmbeddedMigration[];
  logger?: DbLogger;
}

/** A migration `migrate` applied. */
export interface AppliedMigration {
  tag: string;
  hash: string;
  folderMillis: number;
}

/** Where one embedded migration stands in a database. */
export interface MigrationState {
  tag: string;
  /** `changed`: applied, but the file was edited afterwards (its hash differs). */
  state: "applied" | "pending" | "changed";
  /** When it was applied; unknown for rows written by drizzle-kit's own migrator. */
  appliedAt?: Date;
}

/** Thrown when an applied migration was edited afterwards; the service must not start on it. */
export class MigrationChangedError extends Error {
  override readonly name = "MigrationChangedError";
  constructor(readonly tags: string[]) {
    super(
      `applied migration${tags.length > 1 ? "s" : ""} ${tags.join(", ")} changed after being applied ` +
        "(hash differs): restore the original file and add a new migration instead",
    );
  }
}

/** Thrown when the connected role may not run a schema's migrations (e.g. the app role of `db grant`). */
export class MigrationRoleError extends Error {
  override readonly name = "MigrationRoleError";
}

interface JournalRow {
  id: number;
  hash: string;
  created_at: string | null;
  applied_at: Date | null;
}

type Conn = postgres.Sql | postgres.ReservedSql;

/** Both halves of the two-key advisory lock; the two-key space never overlaps single bigint keys used elsewhere. */
const lockKeys = (schema: string) => ["shop.migrate", schema] as const;

/**
 * Refuses, with a message naming the role, to migrate as a role that neither owns the schema (directly, by
 * membership or as superuser) nor may create it: such a run would only end in "permission denied".
 */
async function checkMigrationRole(conn: Conn, schema: string): Promise<void> {
  const [row] = await conn`
    select current_user as me, n.nspowner::regrole::text as owner,
      coalesce(pg_has_role(current_user, n.nspowner, 'USAGE'), false) as owns,
      has_database_privilege(current_database(), 'CREATE') as may_create
    from (select 1) one left join pg_namespace n on n.nspname = ${schema}`;
  if (!row) return;
  if (row.owner === null && !row.may_create) {
    throw new MigrationRoleError(
      `role ${row.me} may not create schema ${schema}: run "db grant" as a superuser first, then migrate as ${schema}_owner`,
    );
  }
  if (row.owner !== null && !row.owns) {
    throw new MigrationRoleError(
      `role ${row.me} cannot run the migrations of schema ${schema}: migrations need the owner role ${row.owner} ` +
        `(run migrate up with its URL; serve as ${row.me} with MIGRATE_ON_START=false)`,
    );
  }
}

/** `CREATE SCHEMA IF NOT EXISTS "<schema>"`: the first migration's own line, which the migrator has already done. */
function createsOwnSchema(statement: string, schema: string): boolean {
  const m = /^\s*create\s+schema\s+if\s+not\s+exists\s+("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s*;?\s*$/i.exec(statement);
  if (!m) return false;
  const name = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replaceAll('""', '"') : m[1]!.toLowerCase();
  return name === schema;
}

async function ensureJournal(conn: Conn, schema: string): Promise<void> {
  const table = `${ident(schema)}.${ident(journalTable)}`;
  // Checked first: CREATE SCHEMA IF NOT EXISTS still demands CREATE on the database, which a least-privilege
  // service role that merely owns its existing schema lacks.
  const found = await conn`select 1 from pg_namespace where nspname = ${schema}`;
  if (!found.length) await conn.unsafe(`create schema if not exists ${ident(schema)}`);
  // drizzle's own columns; applied_at is ours and nullable, so drizzle-kit's migrator still works on this table.
  await conn.unsafe(
    `create table if not exists ${table} (id serial primary key, hash text not null, created_at bigint, applied_at timestamptz)`,
  );
  await conn.unsafe(`alter table ${table} add column if not exists applied_at timestamptz`);
}

async function readJournal(conn: Conn, schema: string): Promise<JournalRow[]> {
  const exists = await conn`select to_regclass(${`${ident(schema)}.${ident(journalTable)}`}) as t`;
  if (!exists[0]?.t) return [];
  const hasAppliedAt = await conn`
    select 1 from information_schema.columns
    where table_schema = ${schema} and table_name = ${journalTable} and column_name = 'applied_at'`;
  const appliedAt = hasAppliedAt.length ? "applied_at" : "null::timestamptz as applied_at";
  return (await conn.unsafe(
    `select id, hash, created_at::text, ${appliedAt} from ${ident(schema)}.${ident(journalTable)} order by id`,
  )) as unknown as JournalRow[];
}

/**
 * Matches journal rows to embedded migrations the way drizzle does, by `created_at` = the journal's `when`,
 * and reports each embedded migration's state plus rows that match none (applied by a newer build).
 */
function compare(migrations: readonly EmbeddedMigration[], rows: JournalRow[]) {
  const byMillis = new Map<string, JournalRow>();
  for (const row of rows) if (row.created_at !== null) byMillis.set(row.created_at, row);
  const states = migrations.map((m) => {
    const row = byMillis.get(String(m.folderMillis));
    byMillis.delete(String(m.folderMillis));
    const state: MigrationState["state"] = !row ? "pending" : row.hash === m.hash ? "applied" : "changed";
    // Simple-protocol results may carry the timestamp as text; normalise to a Date.
    return { migration: m, state, appliedAt: row?.applied_at ? new Date(row.applied_at) : undefined };
  });
  return { states, unknown: [...byMillis.values()] };
}

/**
 * Applies pending migrations under a per-schema advisory lock held on one dedicated connection, so instances
 * starting together take turns and the later ones find nothing to do. Each migration runs in its own
 * transaction and is recorded in `<schema>.__drizzle_migrations`. Refuses to run (MigrationChangedError) when an
 * applied migration was edited. Returns what it applied, in order.
 */
export async function migrate(options: MigrateOptions): Promise<AppliedMigration[]> {
  const { sql, schema, migrations } = options;
  const logger = options.logger ?? silentLogger;
  const [k1, k2] = lockKeys(schema);
  const conn = await sql.reserve();
  let locked = false;
  try {
    // Waiting for another instance's migrations, or one long migration, may outlast the pool's statement timeout.
    await conn`select set_config('statement_timeout', '0', false)`;
    const [got] = await conn`select pg_try_advisory_lock(hashtext(${k1}), hashtext(${k2})) as ok`;
    if (!got?.ok) {
      logger.info({ schema }, "waiting for the migration lock held by another instance");
      await conn`select pg_advisory_lock(hashtext(${k1}), hashtext(${k2}))`;
    }
    locked = true;
    await checkMigrationRole(conn, schema);
    await ensureJournal(conn, schema);
    const { states, unknown } = compare(migrations, await readJournal(conn, schema));
    const changed = states.filter((s) => s.state === "changed").map((s) => s.migration.tag);
    if (changed.length) throw new MigrationChangedError(changed);
    if (unknown.length) {
      logger.warn(
        { schema, rows: unknown.map((r) => r.id) },
        "the database has migrations this build does not know (applied by a newer version?)",
      );
    }
    const applied: AppliedMigration[] = [];
    for (const { migration } of states.filter((s) => s.state === "pending")) {
      const started = performance.now();
      await conn.unsafe("begin");
      try {
        for (const statement of migration.sql) {
          // The schema exists by now (ensureJournal); repeating its creation would still demand CREATE on the
          // database, which the owner role of `db grant` lacks.
          if (createsOwnSchema(statement, schema)) continue;
          // simple protocol: a hand-written migration may hold several statements without breakpoints
          if (statement.trim()) await conn.unsafe(statement).simple();
        }
        await conn.unsafe(
          `insert into ${ident(schema)}.${ident(journalTable)} (hash, created_at, applied_at) values ($1, $2, now())`,
          [migration.hash, migration.folderMillis],
        );
        await conn.unsafe("commit");
      } catch (err) {
        await conn.unsafe("rollback").catch(() => {});
        throw new Error(`migration ${migration.tag} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push({ tag: migration.tag, hash: migration.hash, folderMillis: migration.folderMillis });
      logger.info({ schema, tag: migration.tag, ms: Math.round(performance.now() - started) }, "migration applied");
    }
    if (!applied.length) logger.debug({ schema }, "migrations up to date");
    return applied;
  } finally {
    if (locked) {
      // A broken connection releases the lock by itself; then this fails and there is nothing to do.
      await conn`select pg_advisory_unlock(hashtext(${k1}), hashtext(${k2}))`.catch(() => {});
    }
    await conn`reset statement_timeout`.catch(() => {});
    conn.release();
  }
}

/** Reports each embedded migration as applied, pending or changed, without taking the lock or creating anything. */
export async function migrationStatus(options: Omit<MigrateOptions, "logger">): Promise<MigrationState[]> {
  const rows = await readJournal(options.sql, options.schema);
  return compare(options.migrations, rows).states.map(({ migration, state, appliedAt }) => ({
    tag: migration.tag,
    state,
    ...(appliedAt ? { appliedAt } : {}),
  }));
}
