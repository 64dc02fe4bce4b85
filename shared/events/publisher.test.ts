import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsForTests, natsTestUrl } from "@shared/testing";
import { uniqueToken } from "./fixtures.ts";
import { jetStreamPublisher, type OutgoingEvent } from "./publisher.ts";
import { provisionStreams } from "./streams.ts";

const useNats = await natsForTests();

describe.skipIf(!useNats)("JetStream publisher", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];
  beforeAll(async () => {
    nc = await connect({ servers: natsTestUrl });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const s of streams) await jsm.streams.delete(s).catch(() => {});
    await nc.close();
  });

  const event = (subject: string, n: number): OutgoingEvent => ({
    id: Bun.randomUUIDv7(),
    subject,
    version: 1,
    payload: { n },
    headers: { "X-Request-Id": `req-${n}` },
    occurredAt: new Date(),
  });

  test("publishBatch stores a batch in order with pipelined acks, drops re-sent ids and reports failures per event", async () => {
    const token = uniqueToken();
    const stream = `${token}_events`.toUpperCase();
    streams.push(stream);
    await provisionStreams(jsm, [{ name: stream, subjects: [`${token}.thing.>`], storage: "memory" }]);
    const publisher = jetStreamPublisher(jetstream(nc), { timeoutMs: 2_000 });
    expect(publisher.publishBatch).toBeDefined();
    const subject = `${token}.thing.happened`;
    const batch = Array.from({ length: 300 }, (_, n) => event(subject, n));
    expect(await publisher.publishBatch!(batch)).toEqual(batch.map(() => null));
    // Re-sent (as after a lost mark): acknowledged, not stored again. A subject no stream captures fails alone.
    const again = [batch[0]!, event(`${token}.nowhere.happened`, 999), batch[1]!];
    const results = await publisher.publishBatch!(again);
    expect(results[0]).toBeNull();
    expect(results[1]?.message).toContain(`no stream captures ${token}.nowhere.happened`);
    expect(results[2]).toBeNull();
    const info = await jsm.streams.info(stream);
    expect(info.state.messages).toBe(300);
    for (const seq of [1, 150, 300]) {
      const m = await jsm.streams.getMessage(stream, { seq });
      expect(m?.json()).toEqual({ n: seq - 1 });
      expect(m?.header.get("Nats-Msg-Id")).toBe(batch[seq - 1]!.id);
      expect(m?.header.get("X-Request-Id")).toBe(`req-${seq - 1}`);
      expect(m?.header.get("Event-Subject-Version")).toBe("1");
    }
  });
});
