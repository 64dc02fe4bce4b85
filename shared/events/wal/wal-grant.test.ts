// `db grant` in WAL relay mode, on a private embedded PostgreSQL (wal_level=logical, scram-sha-256 logins, so
// the passwords `db grant` sets are proved by logging in with them): the owner migrates, the app role gets
// REPLICATION and the outbox its publication, and the WAL relay then runs as the app role.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { grantServiceRoles, migrate } from "@shared/db";
import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
import postgres from "postgres";
import type { OutgoingEvent } from "../publisher.ts";
import { defaultSlotNames } from "./slot.ts";
import { startTestPostgres, type TestPostgres, tempDir } from "./wal.testkit.ts";
import { startWalRelay } from "./wal-relay.ts";

const dir = tempDir("wal-grant-");
const ownerPassword = "owner-pw-1";
const appPassword = "app-pw-1";
let pg: TestPostgres;
let admin: postgres.Sql;
const connections: postgres.Sql[] = [];

const urlAs = (role: string, password: string) => {
  const url = new URL(pg.url);
  url.username = role;
  url.password = password;
  return url.toString();
};
const open = (role: string, password: string) => {
  const sql = postgres(urlAs(role, password), { max: 2, onnotice: () => {} });
  connections.push(sql);
  return sql;
};
const wal = defaultSlotNames("orders");

beforeAll(async () => {
  pg = await startTestPostgres(dir);
  admin = postgres(pg.url, { max: 1, onnotice: () => {} });
}, 60_000);

afterAll(async () => {
  for (const sql of connections) await sql.end({ timeout: 5 });
  await admin?.end({ timeout: 5 });
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("db grant in WAL relay mode", () => {
  test("before the outbox exists the app role gets REPLICATION and a note says to grant again after migrating", async () => {
    const report = await grantServiceRoles({ sql: admin, schema: "orders", ownerPassword, appPassword, wal });
    expect(report.changes).toContain("created role orders_app");
    expect(report.notes).toEqual([
      "orders.outbox does not exist yet: run db grant again after migrate up to create the WAL relay's publication orders_outbox_pub",
    ]);
    const [app] = await admin`select rolreplication from pg_roles where rolname = 'orders_app'`;
    expect(app?.rolreplication).toBe(true);
  });

  test("the owner logs in with its password and migrates; a wrong password is refused", async () => {
    const owner = open("orders_owner", ownerPassword);
    const applied = await migrate({ sql: owner, schema: "orders", migrations: embedMigrations("drizzle/orders") });
    expect(applied.length).toBeGreaterThan(0);
    const wrong = open("orders_owner", "not-the-password");
    const code = await wrong`select 1`.then(
      () => null,
      (err: { code?: string }) => err.code,
    );
    expect(code).toBe("28P01");
  }, 30_000);

  test("granting again creates the outbox's publication, owned by the owner role; a third run changes nothing", async () => {
    const report = await grantServiceRoles({ sql: admin, schema: "orders", ownerPassword, appPassword, wal });
    expect(report.changes).toEqual(["created publication orders_outbox_pub on orders.outbox"]);
    expect(report.notes).toEqual([]);
    const [pub] = await admin`select pubowner::regrole::text as owner, pubinsert, pubupdate from pg_publication
      where pubname = 'orders_outbox_pub'`;
    expect(pub).toEqual({ owner: "orders_owner", pubinsert: true, pubupdate: false });
    const again = await grantServiceRoles({ sql: admin, schema: "orders", ownerPassword, appPassword, wal });
    expect(again.changes).toEqual([]);
  });

  test("the WAL relay runs as the app role: it creates its slot and publishes what the app commits", async () => {
    const app = open("orders_app", appPassword);
    const published: OutgoingEvent[] = [];
    const relay = startWalRelay({
      sql: app,
      schema: "orders",
      publisher: { publish: async (event) => void published.push(event) },
      pollMs: 20,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    try {
      const id = crypto.randomUUID();
      await app`insert into orders.outbox (id, subject, version, payload) values (${id}, 'orders.order.placed', 1, '{"n":1}')`;
      const deadline = Date.now() + 15_000;
      while (!published.some((e) => e.id === id) && Date.now() < deadline) await Bun.sleep(25);
      expect(published.map((e) => e.id)).toContain(id);
      expect(relay.stats().failures).toBe(0);
    } finally {
      await relay.stop();
    }
    const [slot] = await admin`select plugin from pg_replication_slots where slot_name = ${wal.slot}`;
    expect(slot?.plugin).toBe("pgoutput");
  }, 30_000);
});
