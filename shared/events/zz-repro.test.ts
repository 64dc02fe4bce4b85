import { test } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { natsEventBus } from "@shared/events/bus.ts";
import { startPrivateNatsCluster } from "@shared/testing";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
test("repro", async () => {
  const cluster = await startPrivateNatsCluster();
  try {
    const urls = cluster.url.split(",");
    const ncs = await Promise.all(
      urls.map((_, i) =>
        connect({
          servers: [...urls.slice(i), ...urls.slice(0, i)],
          noRandomize: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 100,
        }),
      ),
    );
    const buses = await Promise.all(ncs.map((nc) => natsEventBus(nc, silent, { replicas: 3 })));
    await buses[0]!.provision([{ name: "S", subjects: ["s.x"] }]);
    const jsm = await jetstreamManager(ncs[0]!);
    const ev = () => ({
      id: Bun.randomUUIDv7(),
      subject: "s.x",
      version: 1,
      payload: {},
      headers: {},
      occurredAt: new Date(),
    });
    for (const b of buses) console.log("batch", await b.publisher.publishBatch!([ev()]));
    const leader = (await jsm.streams.info("S")).cluster?.leader;
    const idx = cluster.nodes.findIndex((n) => n.name === leader);
    console.log("leader", leader, idx);
    await cluster.nodes[idx]!.kill();
    const t0 = Date.now();
    for (let i = 0; i < 30; i++) {
      const r = await Promise.all(
        buses.map((b) =>
          b.publisher.publishBatch!([ev()]).then(
            (x) => (x[0] ? "503" : "ok"),
            (e) => String(e),
          ),
        ),
      );
      console.log(Date.now() - t0, r.join(" "), ncs.map((nc) => nc.getServer()).join(" "));
      await Bun.sleep(1000);
    }
  } finally {
    await cluster.stop();
  }
}, 120000);
