// End-to-end failover: the compiled catalog, orders and notifier binaries on a PostgreSQL primary with a
// synchronous streaming standby (the distribution's binaries, `startPostgresPair`), reached through one
// two-host URL with target_session_attrs=read-write, and a private nats-server. Orders are placed by
// clients that retry each placement with its own Idempotency-Key; mid-load the primary is stopped hard
// (`pg_ctl stop -m immediate`) and the standby promoted. The services must carry on within seconds, say
// not-ready while no primary answers, keep every order they accepted, and the notifier must hold exactly
// one notification per order.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import { type PrivateNats, privateNatsAvailable, startPrivateNats } from "@shared/testing/nats-server.ts";
import { type PostgresPair, postgresPairAvailable, startPostgresPair } from "@shared/testing/pg-pair.ts";
import postgres from "postgres";

const n = Number(process.env.FAILOVER_ORDERS ?? 400);
const clients = 8;
const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-0000000000ad", "x-user-roles": "admin" };
const buyer = (i: number) => ({
  "x-user-id": `0190d9a4-6b1e-7c3a-9f51-${(0xb000 + (i % 20)).toString(16).padStart(12, "0")}`,
  "x-user-roles": "user",
  "content-type": "application/json",
});

describe.skipIf(!postgresPairAvailable() || !privateNatsAvailable())("orders through a PostgreSQL failover", () => {
  let pair: PostgresPair;
  let nats: PrivateNats;
  let sql: postgres.Sql;
  const running: RunningBinary[] = [];

  beforeAll(async () => {
    [pair, nats] = await Promise.all([startPostgresPair(), startPrivateNats()]);
    const setup = postgres(pair.primary.url(), { max: 1, onnotice: () => {} });
    await setup`create database shop`;
    await setup.end();
    const [catalogBin, ordersBin, notifierBin] = await Promise.all(
      ["catalog", "orders", "notifier"].map((name) => buildService(name).then(copyAlone)),
    );
    const common = {
      DATABASE_URL: pair.url("shop"),
      NATS_URL: nats.url,
      LOG_LEVEL: "warn",
    };
    // Each host gets 2 s to answer; statements and idle transactions are bounded too.
    const pool = (svc: string) => ({
      [`${svc}_DB_POOL_CONNECT_TIMEOUT_SEC`]: "2",
      [`${svc}_DB_POOL_STATEMENT_TIMEOUT_MS`]: "10000",
    });
    const start = async (path: string, env: Record<string, string>) => {
      const binary = await startBinary({ path, args: ["serve"], port: await freePort(), timeoutMs: 30_000, env });
      running.push(binary);
      return binary;
    };
    // One after the other: each migrates its own schema at start.
    await start(catalogBin!, { ...common, ...pool("CATALOG") });
    await start(ordersBin!, {
      ...common,
      ...pool("ORDERS"),
      ORDERS_CATALOG_TIMEOUT_MS: "2000",
      ORDERS_CATALOG_BREAKER_OPEN_MS: "200",
    });
    await start(notifierBin!, {
      ...common,
      ...pool("NOTIFIER"),
      NOTIFIER_CONSUMER_ACK_WAIT_MS: "3000",
      NOTIFIER_CONSUMER_RETRY_MS: "200",
    });
    sql = postgres(pair.url("shop"), { max: 2, connect_timeout: 2, onnotice: () => {} });
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(running.map((p) => p.stop("SIGKILL")));
    await sql?.end({ timeout: 1 }).catch(() => {});
    await nats?.stop();
    await pair?.stop();
  });

  test(`${n} orders with the primary crashed and the standby promoted mid-load: none lost, one notification each`, async () => {
    const [catalog, orders] = running as [RunningBinary, RunningBinary, RunningBinary];
    const created = await fetch(`${catalog.url}/products`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ sku: "MUG-FAILOVER", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 1_000_000 }),
    });
    expect(created.status).toBe(201);
    const productId = ((await created.json()) as { id: string }).id;

    const accepted = new Set<string>();
    const statuses = new Map<string, number>();
    const successAt: number[] = [];
    let stopPlacing = false;
    const deadline = Date.now() + 90_000;

    // One placement: its own Idempotency-Key, retried with that key until it is answered 201.
    const placeOne = async (i: number) => {
      const key = crypto.randomUUID();
      for (;;) {
        if (Date.now() > deadline) return;
        let status = "connection";
        try {
          const res = await fetch(`${orders.url}/orders`, {
            method: "POST",
            headers: { ...buyer(i), "idempotency-key": `"${key}"` },
            body: JSON.stringify({ lines: [{ productId, quantity: 1 }] }),
            signal: AbortSignal.timeout(15_000),
          });
          const body = (await res.json().catch(() => ({}))) as { id?: string };
          status = String(res.status);
          if (res.status === 201 && body.id) {
            accepted.add(body.id);
            successAt.push(Date.now());
            return;
          }
        } catch {}
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        await Bun.sleep(50);
      }
    };
    const placing = Array.from({ length: clients }, async (_, c) => {
      for (let i = c; !stopPlacing && accepted.size < n && Date.now() < deadline; i += clients) await placeOne(i);
    });

    // The failover, once a third of the orders are in, while readiness is polled.
    const readiness: { at: number; status: number }[] = [];
    const polling = (async () => {
      while (!stopPlacing) {
        const status = await fetch(`${orders.url}/readyz`, { signal: AbortSignal.timeout(3_000) })
          .then((r) => r.status)
          .catch(() => 0);
        readiness.push({ at: Date.now(), status });
        await Bun.sleep(100);
      }
    })();
    while (accepted.size < n / 3 && Date.now() < deadline) await Bun.sleep(10);
    const crashedAt = Date.now();
    const beforeCrash = accepted.size;
    await pair.crashPrimary();
    await Bun.sleep(1_000); // no primary at all for a while
    await pair.promoteStandby();
    const promotedAt = Date.now();

    await Promise.all(placing);
    stopPlacing = true;
    await polling;

    const firstAfter = successAt.filter((t) => t > promotedAt).sort((a, b) => a - b)[0];
    const sorted = [...successAt].sort((a, b) => a - b);
    const longestGap = Math.max(...sorted.slice(1).map((t, i) => t - sorted[i]!));
    const notReady = readiness.filter((r) => r.at > crashedAt && r.at < promotedAt && r.status === 503).length;
    const readyAgain = readiness.find((r) => r.at > promotedAt && r.status === 200);
    console.log(
      `[failover] ${beforeCrash} placed before the crash; primary down ${promotedAt - crashedAt} ms until promoted; ` +
        `first order accepted ${firstAfter ? firstAfter - promotedAt : "never"} ms after promotion, ` +
        `ready again after ${readyAgain ? readyAgain.at - promotedAt : "never"} ms; ` +
        `longest gap between accepted orders ${longestGap} ms; retried attempts ${JSON.stringify(Object.fromEntries(statuses))}`,
    );

    expect(accepted.size).toBeGreaterThanOrEqual(n);
    // The services carried on within seconds of the promotion and said not-ready while no primary answered.
    expect(firstAfter).toBeDefined();
    expect(firstAfter! - promotedAt).toBeLessThan(10_000);
    expect(notReady).toBeGreaterThan(0);
    expect(readyAgain).toBeDefined();
    // No 500 on the way: only 503 (no primary, or catalog waiting on it), 409 (a retry while its first attempt still runs), or a cut connection.
    expect([...statuses.keys()].filter((s) => !["503", "409", "connection"].includes(s))).toEqual([]);

    // Every accepted order survived the failover, and no placement made two orders.
    const ids = [...accepted];
    const [kept] = await sql<{ n: number }[]>`
      select count(*)::int as n from orders.orders where status = 'placed' and id = any(${ids}::uuid[])`;
    expect(kept!.n).toBe(ids.length);
    const [all] = await sql<{ n: number }[]>`select count(*)::int as n from orders.orders where status = 'placed'`;
    expect(all!.n).toBe(ids.length);

    // Every order event reaches the notifier exactly once.
    const count = async () => {
      const [row] = await sql<{ notes: number; distinct: number; missing: number }[]>`
        select (select count(*)::int from notifier.notifications where kind = 'order-placed') as notes,
               (select count(distinct event_id)::int from notifier.notifications where kind = 'order-placed') as distinct,
               (select count(*)::int from orders.orders o where o.status = 'placed' and not exists (
                  select 1 from notifier.notifications n where n.data->>'orderId' = o.id::text)) as missing`;
      return row!;
    };
    const settleUntil = Date.now() + 30_000;
    let last = await count();
    while (last.missing > 0 && Date.now() < settleUntil) {
      await Bun.sleep(250);
      last = await count();
    }
    await Bun.sleep(2_000); // a duplicate redelivery would land now
    last = await count();
    expect(last.missing).toBe(0);
    expect(last.notes).toBe(ids.length);
    expect(last.distinct).toBe(ids.length);
  }, 120_000);
});
