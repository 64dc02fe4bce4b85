// Least-privilege roles end to end on the real PostgreSQL: `catalog db grant` creates catalog_owner and
// catalog_app, migrations run as the owner, and the catalog serves as catalog_app, which can read and write
// its own tables and nothing else. The service runs from source (`bun main.ts`), on a private nats-server.
//
// Roles belong to the whole server, not to this test's database: the test uses the real names, sets fresh
// random passwords, and leaves the roles behind (the next run updates them). A password is proved set by
// checking the stored SCRAM verifier against the file's password; the roles also log in with it, which a
// server that trusts 127.0.0.1 ignores and the embedded one (scram-sha-256) checks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import { verifierMatches } from "@shared/db/scram.ts";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import { type PrivateNats, privateNatsAvailable, startPrivateNats } from "@shared/testing/nats-server.ts";
import postgres from "postgres";

const root = resolve(import.meta.dir, "../../..");
const main = join(root, "services/catalog/src/main.ts");
const dir = mkdtempSync(join(tmpdir(), "catalog-roles-"));
const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };
const json = { "content-type": "application/json" };
const ownerPassword = `owner-${crypto.randomUUID()}`;
const appPassword = `app-${crypto.randomUUID()}`;

let tdb: TestDatabase;
let superuser: postgres.Sql;
let asApp: postgres.Sql;
/** The test database's URL as one of the two roles, with the password its file set. */
const urlAs = (role: "catalog_owner" | "catalog_app") => {
  const url = new URL(tdb.url);
  url.username = role;
  url.password = role === "catalog_owner" ? ownerPassword : appPassword;
  return url.toString();
};

/** Runs the catalog's CLI from source and collects its output. */
async function catalog(args: string[], env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, main, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const grantArgs = () => [
  "db",
  "grant",
  "--owner-password-file",
  file("owner-password", `${ownerPassword}\n`),
  `--app-password-file=${file("app-password", `${appPassword}\n`)}`,
];

/** Everything `db grant` decides, as the catalogs record it, to compare two runs. */
async function privilegeSnapshot() {
  return {
    roles: await superuser`
      select rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolpassword
      from pg_authid where rolname in ('catalog_owner', 'catalog_app') order by rolname`,
    schema: await superuser`select nspowner::regrole::text, nspacl::text from pg_namespace where nspname = 'catalog'`,
    relations: await superuser`
      select c.relname, c.relowner::regrole::text, c.relacl::text from pg_class c
      join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'catalog' order by c.relname`,
    defaults: await superuser`select defaclrole::regrole::text, defaclobjtype, defaclacl::text from pg_default_acl
      order by 1, 2`,
  };
}

/** The SQLSTATE a statement run as catalog_app fails with (null when it succeeds). */
async function sqlStateAsApp(statement: string): Promise<string | null> {
  return asApp.unsafe(statement).then(
    () => null,
    (err: { code?: string }) => err.code ?? "no code",
  );
}

beforeAll(async () => {
  tdb = await createTestDatabase({ prefix: "catalog_roles" });
  superuser = postgres(tdb.url, { max: 1, onnotice: () => {} });
  // another service's schema and table in the same database, as in production
  await migrate({ sql: superuser, schema: "orders", migrations: embedMigrations("drizzle/orders") });
});

afterAll(async () => {
  await asApp?.end({ timeout: 5 });
  await superuser?.end({ timeout: 5 });
  await tdb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("catalog db grant", () => {
  test("creates or updates catalog_owner and catalog_app with the passwords of the files", async () => {
    const run = await catalog(grantArgs(), { DATABASE_URL: tdb.url });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("created schema catalog owned by catalog_owner");
    expect(run.stdout).toContain("role catalog_app: password set");
    const roles = await superuser`
      select rolname, rolpassword, rolsuper, rolcreatedb, rolcreaterole from pg_authid
      where rolname in ('catalog_owner', 'catalog_app') order by rolname`;
    expect(roles.map((r) => [r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole])).toEqual([
      ["catalog_app", false, false, false],
      ["catalog_owner", false, false, false],
    ]);
    const [app, owner] = roles;
    expect(app!.rolpassword).toStartWith("SCRAM-SHA-256$");
    expect(verifierMatches(app!.rolpassword, appPassword, "catalog_app")).toBe(true);
    expect(verifierMatches(app!.rolpassword, ownerPassword, "catalog_app")).toBe(false);
    expect(verifierMatches(owner!.rolpassword, ownerPassword, "catalog_owner")).toBe(true);
  }, 90_000);

  test("migrate up runs as catalog_owner, which then owns everything in the schema", async () => {
    const up = await catalog(["migrate", "up"], { DATABASE_URL: urlAs("catalog_owner") });
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toContain("applied: 0000_init");
    const [owners] = await superuser`
      select array_agg(distinct c.relowner::regrole::text) as owners from pg_class c
      join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'catalog'`;
    expect(owners!.owners).toEqual(["catalog_owner"]);
  }, 90_000);

  test("db grant run twice changes nothing the second time", async () => {
    const before = await privilegeSnapshot();
    const run = await catalog(grantArgs(), { DATABASE_URL: tdb.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("roles and privileges up to date\n");
    expect(await privilegeSnapshot()).toEqual(before);
  }, 90_000);

  test("a schema another role owns is handed over with its tables, sequences and migrations journal", async () => {
    await superuser.unsafe("create table catalog.legacy (id serial primary key)");
    const run = await catalog(grantArgs(), { DATABASE_URL: tdb.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("table catalog.legacy: owner -> catalog_owner");
    const rows = await superuser`
      select c.relname, c.relowner::regrole::text as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'catalog' and c.relname in ('legacy', 'legacy_id_seq', '__drizzle_migrations')`;
    expect(rows.map((r) => r.owner)).toEqual(["catalog_owner", "catalog_owner", "catalog_owner"]);
    await superuser.unsafe("drop table catalog.legacy");
  }, 90_000);
});

describe("catalog_app", () => {
  beforeAll(() => {
    asApp = postgres(urlAs("catalog_app"), { max: 1, onnotice: () => {} });
  });

  test("cannot read another service's tables (orders.orders)", async () => {
    expect(await sqlStateAsApp("select * from orders.orders")).toBe("42501");
  });

  test("cannot create, drop, alter or truncate tables, nor create a schema", async () => {
    expect(await sqlStateAsApp("create table catalog.intruder (id int)")).toBe("42501");
    expect(await sqlStateAsApp("drop table catalog.products")).toBe("42501");
    expect(await sqlStateAsApp("alter table catalog.products add column intruder int")).toBe("42501");
    expect(await sqlStateAsApp("truncate catalog.products")).toBe("42501");
    expect(await sqlStateAsApp("create schema intruder")).toBe("42501");
  });

  test("reads and writes its own tables", async () => {
    expect(await sqlStateAsApp("select count(*) from catalog.products")).toBeNull();
    expect(await sqlStateAsApp("delete from catalog.stock_reservations where false")).toBeNull();
  });

  test("migrate up as catalog_app fails with a message naming the role and the owner role it needs", async () => {
    const run = await catalog(["migrate", "up"], { DATABASE_URL: urlAs("catalog_app") });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      "role catalog_app cannot run the migrations of schema catalog: migrations need the owner role catalog_owner",
    );
  }, 90_000);

  test("serve as catalog_app with migrations on start stops with the same message", async () => {
    const run = await catalog(["serve", "--port=0"], { DATABASE_URL: urlAs("catalog_app") });
    expect(run.code).not.toBe(0);
    expect(run.stderr + run.stdout).toContain("migrations need the owner role catalog_owner");
  }, 90_000);
});

describe.if(privateNatsAvailable())("the catalog serving as catalog_app", () => {
  let nats: PrivateNats;
  let app: RunningBinary;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startPrivateNats();
    app = await startBinary({
      path: process.execPath,
      args: [main, "serve"],
      cwd: root,
      env: { DATABASE_URL: urlAs("catalog_app"), MIGRATE_ON_START: "false", NATS_URL: nats.url, LOG_LEVEL: "warn" },
      timeoutMs: 60_000,
    });
    nc = await connect({ servers: nats.url });
  }, 90_000);

  afterAll(async () => {
    await nc?.close();
    await app?.stop();
    await nats?.stop();
  });

  test("creates and reads a product, reserves its stock over NATS and announces the changes", async () => {
    const changed: string[] = [];
    nc.subscribe("catalog.product.changed", { callback: (_err, msg) => void changed.push(msg.string()) });
    await nc.flush();
    const created = await fetch(`${app.url}/products`, {
      method: "POST",
      headers: { ...admin, ...json },
      body: JSON.stringify({ sku: "ROLE-1", name: "Role chair", priceMinor: 4900, currency: "EUR", stock: 5 }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const orderId = crypto.randomUUID();
    const reply = await nc.request(
      "catalog.stock.reserve",
      JSON.stringify({ orderId, lines: [{ productId: id, quantity: 2 }] }),
      { timeout: 5_000 },
    );
    expect(reply.json()).toEqual({ orderId, status: "held", lines: [{ productId: id, quantity: 2 }] });
    const read = await fetch(`${app.url}/products/${id}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { stock: number }).stock).toBe(3);
    const deadline = Date.now() + 5_000;
    while (changed.length < 2 && Date.now() < deadline) await Bun.sleep(20);
    expect(changed.length).toBeGreaterThanOrEqual(2);
    expect(changed.every((m) => m.includes(id))).toBe(true);
  }, 30_000);
});
