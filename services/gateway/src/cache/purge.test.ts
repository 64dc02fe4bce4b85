import { expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { createHttpCache } from "./http-cache.ts";
import { subscribePurge } from "./purge.ts";

// needs the NATS server of the dev stack / CI at NATS_URL (default 127.0.0.1:4222)
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

async function until(cond: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(5);
  return cond();
}

test("a message on the purge subject empties every subscribed cache (needs NATS)", async () => {
  const subject = `test.catalog.product.changed.${crypto.randomUUID()}`;
  const caches = [createHttpCache({}), createHttpCache({})];
  for (const c of caches)
    c.store(
      "http://catalog/products",
      { method: "GET", headers: new Headers() },
      {
        status: 200,
        headers: { "cache-control": "max-age=600" },
        body: "[]",
      },
    );
  const logged: object[] = [];
  const purger = await subscribePurge({
    nats: { url: natsUrl },
    subject,
    cache: caches,
    logger: { info: (o) => logged.push(o), warn: (o) => logged.push(o) },
  });
  const publisher = await connect({ servers: natsUrl });
  try {
    // a message on another subject changes nothing
    publisher.publish(`${subject}.other`, JSON.stringify({ id: "p1" }));
    await publisher.flush();
    await Bun.sleep(50);
    expect(caches.map((c) => c.stats().items)).toEqual([1, 1]);

    publisher.publish(subject, JSON.stringify({ id: "p1" }));
    await publisher.flush();
    expect(await until(() => purger.purges() === 1)).toBe(true);
    expect(caches.map((c) => c.stats().items)).toEqual([0, 0]);
    expect(logged).toContainEqual({ subject, reason: "message" });
  } finally {
    await publisher.close();
    await purger.close();
  }
});

test("the purge subscription rejects when NATS cannot be reached", async () => {
  const cache = createHttpCache({});
  await expect(
    subscribePurge({ nats: { url: "nats://127.0.0.1:1" }, subject: "x", cache }).then((p) => p.close()),
  ).rejects.toThrow();
});
