// At the notifier: an `orders.order.placed` whose total disagrees with its lines
// passes the contract but the notifier refuses it; after maxDeliver deliveries it lands on
// `dlq.orders.order.placed` with the error and its original headers, and the good events published behind
// it are recorded meanwhile. The notifier binary on a private nats-server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { provisionStreams } from "@shared/events";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import { type PrivateNats, privateNatsAvailable, startPrivateNats } from "@shared/testing/nats-server.ts";
import postgres from "postgres";

const alice = "0190d9a4-6b1e-7c3a-9f51-0000000000a1";
const product = "0190d9a4-6b1e-7c3a-9f51-00000000f001";
const maxDeliver = 3;

function placed(totalMinor: number) {
  const orderId = Bun.randomUUIDv7();
  return {
    orderId,
    payload: {
      orderId,
      userId: alice,
      totalMinor,
      currency: "EUR",
      lines: [{ productId: product, quantity: 2, unitPriceMinor: 500 }],
      placedAt: new Date().toISOString(),
    },
  };
}

describe.skipIf(!privateNatsAvailable())("a poison event at the notifier", () => {
  let tdb: TestDatabase;
  let nats: PrivateNats;
  let nc: NatsConnection;
  let notifier: RunningBinary;
  let sql: postgres.Sql;

  beforeAll(async () => {
    [tdb, nats] = await Promise.all([createTestDatabase({ prefix: "events_poison" }), startPrivateNats()]);
    nc = await connect({ servers: nats.url });
    // The stream orders would provision.
    await provisionStreams(await jetstreamManager(nc), [
      { name: "ORDERS", subjects: ["orders.order.placed", "orders.order.cancelled"] },
    ]);
    notifier = await startBinary({
      path: copyAlone(await buildService("notifier")),
      args: ["serve"],
      env: {
        DATABASE_URL: tdb.url,
        NATS_URL: nats.url,
        LOG_LEVEL: "warn",
        NOTIFIER_CONSUMER_MAX_DELIVER: String(maxDeliver),
        NOTIFIER_CONSUMER_RETRY_MS: "100",
      },
    });
    sql = postgres(tdb.url, { max: 1, onnotice: () => {} });
  }, 120_000);

  afterAll(async () => {
    await notifier?.stop();
    await sql?.end();
    await nc?.close();
    await nats?.stop();
    await tdb?.drop();
  });

  test(`after ${maxDeliver} deliveries it is dead-lettered with the error, and the events behind it are recorded`, async () => {
    const dead: Msg[] = [];
    const sub = nc.subscribe("dlq.>", {
      callback: (_err, msg) => {
        dead.push(msg);
      },
    });
    const js = jetstream(nc);
    const publish = async (p: ReturnType<typeof placed>["payload"]) => {
      const id = Bun.randomUUIDv7();
      const h = headers();
      h.set("Event-Subject-Version", "1");
      h.set("X-Request-Id", `req-${id}`);
      await js.publish("orders.order.placed", JSON.stringify(p), { msgID: id, headers: h });
      return id;
    };
    const poison = placed(999); // the lines sum to 1000
    const poisonId = await publish(poison.payload);
    const good = [placed(1000), placed(1000), placed(1000)];
    for (const g of good) await publish(g.payload);

    // The good ones do not wait behind the poison one's redeliveries.
    const deadline = Date.now() + 10_000;
    let recorded: string[] = [];
    while (Date.now() < deadline) {
      recorded = (await sql`select data->>'orderId' as id from notifier.notifications`).map((r) => r.id as string);
      if (recorded.length >= good.length && dead.length > 0) break;
      await Bun.sleep(50);
    }
    expect(recorded.sort()).toEqual(good.map((g) => g.orderId).sort());
    expect(dead.length).toBe(1);
    const msg = dead[0]!;
    expect(msg.subject).toBe("dlq.orders.order.placed");
    expect(JSON.parse(new TextDecoder().decode(msg.data))).toEqual(poison.payload);
    expect(msg.headers?.get("Dlq-Error")).toContain("is not the lines' sum");
    expect(msg.headers?.get("Dlq-Deliveries")).toBe(String(maxDeliver));
    expect(msg.headers?.get("nats-msg-id") || msg.headers?.get("Nats-Msg-Id")).toBe(poisonId);
    expect(msg.headers?.get("x-request-id") || msg.headers?.get("X-Request-Id")).toBe(`req-${poisonId}`);
    // Nothing of it was kept: no notification, no inbox row.
    const [inbox] = await sql`select count(*)::int as n from notifier.inbox where event_id = ${poisonId}`;
    expect(inbox!.n).toBe(0);
    await sub.drain();
  }, 30_000);
});
