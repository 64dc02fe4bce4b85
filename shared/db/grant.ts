// Least-privilege roles of one service: `<schema>_owner` owns the schema and runs migrations,
// `<schema>_app` logs in for `serve` with DML on that schema only. Run with a superuser; idempotent.
import type postgres from "postgres";
import { quoteIdent as ident } from "./ident.ts";
import { scramVerifier, verifierMatches } from "./scram.ts";

/** The role names of a schema: `<schema>_owner` and `<schema>_app`. */
export function serviceRoles(schema: string): { owner: string; app: string } {
  return { owner: `${schema}_owner`, app: `${schema}_app` };
}

/** Options of `grantServiceRoles`. */
export interface GrantOptions {
  /** A superuser's pool on the service's database. */
  sql: postgres.Sql;
  schema: string;
  /** Set when given (kept as it is when absent: trust, peer or certificate authentication need none). */
  ownerPassword?: string;
  appPassword?: string;
  /** WAL relay mode: the app role gets REPLICATION, and the outbox gets its publication (owned by the owner). */
  wal?: { table: string; publication: string };
}

/** What `grantServiceRoles` did: each change in words (none on a second run), and what is left to do. */
export interface GrantReport {
  owner: string;
  app: string;
  changes: string[];
  notes: string[];
}

/** Thrown when the connecting role cannot create roles and hand over ownership. */
export class GrantNotAllowedError extends Error {
  override readonly name = "GrantNotAllowedError";
}

type Tx = postgres.TransactionSql;

interface RoleRow {
  rolcanlogin: boolean;
  rolsuper: boolean;
  rolcreatedb: boolean;
  rolcreaterole: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolpassword: string | null;
}

/** Creates the role, or brings its attributes and password to what is asked; returns the changes made. */
async function ensureRole(tx: Tx, role: string, want: { replication: boolean; password?: string }): Promise<string[]> {
  const changes: string[] = [];
  let [row] = await tx<RoleRow[]>`
    select rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolpassword
    from pg_authid where rolname = ${role}`;
  if (!row) {
    await tx.unsafe(`create role ${ident(role)} login`);
    changes.push(`created role ${role}`);
    row = {
      rolcanlogin: true,
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
      rolpassword: null,
    };
  }
  const attributes: string[] = [];
  if (!row.rolcanlogin) attributes.push("login");
  if (row.rolsuper) attributes.push("nosuperuser");
  if (row.rolcreatedb) attributes.push("nocreatedb");
  if (row.rolcreaterole) attributes.push("nocreaterole");
  if (row.rolbypassrls) attributes.push("nobypassrls");
  if (row.rolreplication !== want.replication) attributes.push(want.replication ? "replication" : "noreplication");
  if (attributes.length) {
    await tx.unsafe(`alter role ${ident(role)} ${attributes.join(" ")}`);
    changes.push(`role ${role}: ${attributes.join(", ")}`);
  }
  if (want.password !== undefined && !verifierMatches(row.rolpassword, want.password, role)) {
    // a verifier, not the password: statement logs never see it
    const [q] = await tx`select quote_literal(${scramVerifier(want.password)}) as literal`;
    await tx.unsafe(`alter role ${ident(role)} password ${q!.literal}`);
    changes.push(`role ${role}: password set`);
  }
  return changes;
}

/** Hands the schema, and everything in it not yet the owner's, to the owner role. */
async function ensureOwnership(tx: Tx, schema: string, owner: string): Promise<string[]> {
  const changes: string[] = [];
  const [ns] = await tx`select nspowner::regrole::text as owner from pg_namespace where nspname = ${schema}`;
  if (!ns) {
    await tx.unsafe(`create schema ${ident(schema)} authorization ${ident(owner)}`);
    return [`created schema ${schema} owned by ${owner}`];
  }
  if (ns.owner !== owner) {
    await tx.unsafe(`alter schema ${ident(schema)} owner to ${ident(owner)}`);
    changes.push(`schema ${schema}: owner ${ns.owner} -> ${owner}`);
  }
  // Tables first: their serial and identity sequences follow them; what is left are sequences of their own.
  const kinds = [
    { relkind: ["r", "p", "f"], keyword: "table" },
    { relkind: ["v"], keyword: "view" },
    { relkind: ["m"], keyword: "materialized view" },
    { relkind: ["S"], keyword: "sequence" },
  ];
  for (const { relkind, keyword } of kinds) {
    const rows = await tx`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind::text = any(${relkind}) and c.relowner <> ${owner}::regrole
      order by c.relname`;
    for (const { relname } of rows) {
      await tx.unsafe(`alter ${keyword} ${ident(schema)}.${ident(relname)} owner to ${ident(owner)}`);
      changes.push(`${keyword} ${schema}.${relname}: owner -> ${owner}`);
    }
  }
  const types = await tx`
    select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = ${schema} and t.typtype in ('e', 'd', 'r') and t.typowner <> ${owner}::regrole`;
  for (const { typname } of types) {
    await tx.unsafe(`alter type ${ident(schema)}.${ident(typname)} owner to ${ident(owner)}`);
    changes.push(`type ${schema}.${typname}: owner -> ${owner}`);
  }
  return changes;
}

/** The app role's privileges: connect, use the schema, DML on its tables and sequences, now and later. */
async function grantApp(tx: Tx, schema: string, roles: { owner: string; app: string }): Promise<void> {
  const s = ident(schema);
  const app = ident(roles.app);
  const [db] = await tx`select current_database() as name`;
  for (const role of [roles.owner, roles.app]) {
    await tx.unsafe(`grant connect on database ${ident(db!.name)} to ${ident(role)}`);
  }
  await tx.unsafe(`grant usage on schema ${s} to ${app}`);
  await tx.unsafe(`grant select, insert, update, delete on all tables in schema ${s} to ${app}`);
  await tx.unsafe(`grant usage, select, update on all sequences in schema ${s} to ${app}`);
  const future = `alter default privileges for role ${ident(roles.owner)} in schema ${s} grant`;
  await tx.unsafe(`${future} select, insert, update, delete on tables to ${app}`);
  await tx.unsafe(`${future} usage, select, update on sequences to ${app}`);
}

/** The WAL relay's publication on the outbox, owned by the owner role; a note when the outbox is not there yet. */
async function ensurePublication(
  tx: Tx,
  schema: string,
  owner: string,
  wal: NonNullable<GrantOptions["wal"]>,
): Promise<{ changes: string[]; notes: string[] }> {
  const [pub] =
    await tx`select pubowner::regrole::text as owner from pg_publication where pubname = ${wal.publication}`;
  const changes: string[] = [];
  if (!pub) {
    const [table] = await tx`select to_regclass(${`${ident(schema)}.${ident(wal.table)}`}) as t`;
    if (!table?.t) {
      return {
        changes,
        notes: [
          `${schema}.${wal.table} does not exist yet: run db grant again after migrate up to create the WAL relay's publication ${wal.publication}`,
        ],
      };
    }
    await tx.unsafe(
      `create publication ${ident(wal.publication)} for table ${ident(schema)}.${ident(wal.table)} with (publish = 'insert')`,
    );
    changes.push(`created publication ${wal.publication} on ${schema}.${wal.table}`);
  }
  if (pub?.owner !== owner) {
    await tx.unsafe(`alter publication ${ident(wal.publication)} owner to ${ident(owner)}`);
    if (pub) changes.push(`publication ${wal.publication}: owner ${pub.owner} -> ${owner}`);
  }
  return { changes, notes: [] };
}

/**
 * Creates or updates the two roles of a service's schema and their privileges, in one transaction:
 * `<schema>_owner` (LOGIN, owns the schema and everything in it, runs migrations) and `<schema>_app` (LOGIN,
 * USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on its tables, USAGE/SELECT/UPDATE on its sequences, the
 * same on whatever the owner creates later, nothing else; REPLICATION in WAL relay mode). Neither may create
 * databases or roles. A second run with the same options changes nothing.
 * @example await grantServiceRoles({ sql: admin, schema: "catalog", appPassword: readFileSync(f, "utf8").trim() });
 */
export async function grantServiceRoles(options: GrantOptions): Promise<GrantReport> {
  const { sql, schema } = options;
  const roles = serviceRoles(schema);
  const [me] = await sql`select current_user as name, rolsuper from pg_roles where rolname = current_user`;
  if (!me?.rolsuper) {
    throw new GrantNotAllowedError(
      `db grant needs a superuser (it creates roles and hands over ownership); ${me?.name ?? "this role"} is not one: pass --admin-url`,
    );
  }
  const report: GrantReport = { ...roles, changes: [], notes: [] };
  await sql.begin(async (tx) => {
    // one grant at a time per database; roles are shared by all databases, so a concurrent create still
    // surfaces as duplicate_object, and running again settles it
    await tx`select pg_advisory_xact_lock(hashtext('shop.db-grant'), hashtext(${schema}))`;
    report.changes.push(
      ...(await ensureRole(tx, roles.owner, { replication: false, password: options.ownerPassword })),
    );
    report.changes.push(
      ...(await ensureRole(tx, roles.app, { replication: Boolean(options.wal), password: options.appPassword })),
    );
    report.changes.push(...(await ensureOwnership(tx, schema, roles.owner)));
    await grantApp(tx, schema, roles);
    if (options.wal) {
      const { changes, notes } = await ensurePublication(tx, schema, roles.owner, options.wal);
      report.changes.push(...changes);
      report.notes.push(...notes);
    }
  });
  return report;
}
