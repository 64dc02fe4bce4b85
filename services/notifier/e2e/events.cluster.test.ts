// Several instances on a NATS cluster under faults: a 3-node nats-server cluster with R3 streams, two orders
// and two notifier binaries, one catalog binary, all on one fresh database. At least 2,000 orders are
// placed round-robin over the two orders instances while the node leading the ORDERS stream is SIGKILLed
// for good, one notifier is SIGKILLed for good, and the orders instance whose relay leads is SIGKILLed and,
// once the other instance's relay has taken over, started again. In the end every accepted placement is
// exactly one placed order with exactly one notification.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  createTestDatabase,
  type PrivateNatsCluster,
  parsePrometheusText,
  privateNatsAvailable,
  startPrivateNatsCluster,
  type TestDatabase,
} from "@shared/testing";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import postgres from "postgres";
import { notifierFaultEnv, ordersFaultEnv, placedOrderIds, settleNotifications, startPlacing } from "./placing.ts";

const n = Number(process.env.EVENTS_CLUSTER_N ?? 2_000);
const admin = { "x-user-id": "0190d9a4-6b1e-7c3a-9f51-000000000001", "x-user-roles": "admin" };
const log = (line: string) => console.log(`[cluster] ${line}`);

/** An instance of a binary on its own port, which may be killed and started again there. */
interface Instance {
  name: string;
  url: string;
  running: RunningBinary | null;
  start(): Promise<void>;
  kill(): Promise<void>;
}

describe.skipIf(!privateNatsAvailable())("several instances on a NATS cluster under faults", () => {
  let cluster: PrivateNatsCluster;
  let tdb: TestDatabase;
  let sql: postgres.Sql;
  const instances: Instance[] = [];
  /** Folders of the binaries copied alone, removed at the end. */
  const copies: string[] = [];

  beforeAll(async () => {
    [cluster, tdb] = await Promise.all([startPrivateNatsCluster(), createTestDatabase({ prefix: "events_cluster" })]);
    sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(instances.map((i) => i.kill()));
    await sql?.end({ timeout: 2 });
    await cluster?.stop();
    await tdb?.drop();
    for (const dir of copies) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function instance(name: string, bin: string, env: Record<string, string>): Promise<Instance> {
    const port = await freePort();
    const common = {
      DATABASE_URL: tdb.url,
      NATS_URL: cluster.url,
      NATS_STREAM_REPLICAS: "3",
      LOG_LEVEL: "warn",
    };
    const it: Instance = {
      name,
      url: `http://127.0.0.1:${port}`,
      running: null,
      async start() {
        it.running = await startBinary({
          path: bin,
          args: ["serve"],
          port,
          timeoutMs: 30_000,
          env: { ...common, ...env },
        });
      },
      async kill() {
        await it.running?.stop("SIGKILL");
        it.running = null;
      },
    };
    instances.push(it);
    await it.start();
    return it;
  }

  /** Events the instance's relay has published since it started (only a leading relay publishes). */
  async function published(it: Instance): Promise<number> {
    const text = await (await fetch(`${it.url}/metrics`)).text();
    return parsePrometheusText(text)
      .filter((s) => s.name === "events_published_total")
      .reduce((sum, s) => sum + s.value, 0);
  }

  test(`${n} orders over two orders and two notifier instances through a NATS node, a notifier and the leading relay dying: one order and one notification each`, async () => {
    const started = Date.now();
    const [ordersBin, notifierBin, catalogBin] = (await Promise.all(
      ["orders", "notifier", "catalog"].map((s) => buildService(s).then(copyAlone)),
    )) as [string, string, string];
    copies.push(...[ordersBin, notifierBin, catalogBin].map((bin) => dirname(bin)));
    log(`built in ${Date.now() - started} ms`);
    const catalog = await instance("catalog", catalogBin, {});
    const created = await fetch(`${catalog.url}/products`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ sku: "MUG", name: "Mug", priceMinor: 1250, currency: "EUR", stock: 1_000_000_000 }),
    });
    expect(created.status).toBe(201);
    const product = (await created.json()) as { id: string };
    // One after the other, so the first one's relay leads at first.
    const ordersEnv = ordersFaultEnv;
    const orders = [await instance("orders-1", ordersBin, ordersEnv), await instance("orders-2", ordersBin, ordersEnv)];
    // Side by side from the start: both provision the dead-letter stream at once.
    const notifiers = await Promise.all(
      ["notifier-1", "notifier-2"].map((name) => instance(name, notifierBin, notifierFaultEnv)),
    );

    // The replicas of the configuration reached every stream the services created.
    const nc = await connect({ servers: cluster.url.split(",") });
    const jsm = await jetstreamManager(nc);
    const streamInfo = () => jsm.streams.info("ORDERS");
    for (const name of ["ORDERS", "DLQ"]) expect((await jsm.streams.info(name)).config.num_replicas).toBe(3);

    const faults: string[] = [];
    const placing = startPlacing({
      n,
      urls: () => orders.filter((o) => o.running).map((o) => o.url),
      productId: product.id,
      placeMs: 150_000,
      log,
    });
    const { stats } = placing;
    const timed = async (name: string, fn: () => Promise<string | undefined>) => {
      await placing.at(stats.placedOk + Math.floor(n / 4));
      const t0 = Date.now();
      const before = stats.placedOk;
      const detail = await fn();
      const line = `${name} at ${before} placed, ${Date.now() - t0} ms${detail ? ` (${detail})` : ""}`;
      faults.push(line);
      log(line);
    };
    let takenOver = 0;
    const chaos = (async () => {
      await timed("the NATS node leading ORDERS SIGKILLed for good", async () => {
        const leader = (await streamInfo()).cluster?.leader;
        const node = cluster.nodes.find((x) => x.name === leader) ?? cluster.nodes[0]!;
        await node.kill();
        return node.name;
      });
      await timed("notifier-2 SIGKILLed for good", () => notifiers[1]!.kill().then(() => undefined));
      await timed("the orders instance whose relay leads SIGKILLed, then started again", async () => {
        const counts = await Promise.all(orders.map(published));
        const leader = counts[0]! >= counts[1]! ? 0 : 1;
        const survivor = orders[1 - leader]!;
        await orders[leader]!.kill();
        const [{ now }] = (await sql<{ now: Date }[]>`select now()`) as unknown as [{ now: Date }];
        // Orders committed after the kill are published by the survivor's relay alone: wait until some are notified.
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          const [row] = await sql<{ n: number }[]>`
            select count(*)::int as n from notifier.notifications x join orders.orders o on x.data->>'orderId' = o.id::text
            where o.created_at > ${now}`;
          takenOver = row!.n;
          if (takenOver >= 50) break;
          await Bun.sleep(200);
        }
        if (takenOver < 50) {
          for (const node of cluster.nodes) {
            const get = (path: string) =>
              fetch(`${node.monitorUrl}${path}`).then(
                (r) => r.text(),
                (e) => String(e),
              );
            log(`${node.name} connz: ${await get("/connz?subs=1")}`);
            log(`${node.name} subsz: ${await get("/subsz?subs=1&test=orders.order.placed")}`);
            log(`${node.name} routez: ${await get("/routez")}`);
            log(`${node.name} jsz: ${await get("/jsz?consumers=1")}`);
          }
        }
        await orders[leader]!.start();
        return `${orders[leader]!.name} led; ${survivor.name} took over and ${takenOver} later orders were notified before it came back`;
      });
    })();

    try {
      await Promise.all([placing.done, chaos]);
      log(
        `placed ${stats.placedOk} in ${Date.now() - started} ms since the build (${stats.failedAttempts} failed attempts retried, ${stats.replayed} answered by a replay)`,
      );
      const counted = await settleNotifications(sql, 60_000);
      log(`orders ${counted.orders}, notifications ${counted.notifications}, settled in ${counted.settleMs} ms`);
      const info = await streamInfo();
      log(`ORDERS: leader ${info.cluster?.leader}, ${info.state.messages} messages`);

      expect(faults).toHaveLength(3);
      expect(stats.placedOk).toBeGreaterThanOrEqual(n);
      expect(stats.abandoned).toBe(0);
      // The survivor's relay took the lead while the leading instance was down.
      expect(takenOver).toBeGreaterThanOrEqual(50);
      // One order per accepted placement: the ids it was answered with are exactly the placed orders.
      expect(new Set(stats.orderIds).size).toBe(stats.placedOk);
      expect(await placedOrderIds(sql)).toEqual(new Set(stats.orderIds));
      // One notification per order, each from a distinct event, none missing.
      expect(counted.notifications).toBe(counted.orders);
      expect(counted.distinctEvents).toBe(counted.orders);
      expect(counted.ordersWithoutNotification).toBe(0);
      expect(Date.now() - started).toBeLessThan(180_000);
    } catch (err) {
      for (const it of instances) {
        const out = it.running ? [...it.running.stdout, ...it.running.stderr].slice(-8).join("\n") : "(not running)";
        log(`${it.name} output:\n${out}`);
      }
      throw err;
    } finally {
      placing.stop();
      await chaos.catch(() => {});
      await nc.close();
    }
  }, 240_000);
});
