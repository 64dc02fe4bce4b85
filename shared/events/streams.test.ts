// Unit tests of provisioning's retries against a stand-in JetStream manager; the real cluster cases are in
// nats-cluster.test.ts.
import { describe, expect, test } from "bun:test";
import { JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import { provisionStreams } from "./streams.ts";

function apiError(code: number, errCode: number, description: string): JetStreamApiError {
  return new JetStreamApiError({ code, err_code: errCode, description });
}

/** A manager whose `info` answers the given errors first, then "not found"; `add` succeeds. */
function managerFailingWith(errors: JetStreamApiError[]) {
  const added: string[] = [];
  let asked = 0;
  const jsm = {
    streams: {
      info: async () => {
        asked++;
        throw errors.shift() ?? apiError(404, 10059, "stream not found");
      },
      add: async (config: { name: string }) => {
        added.push(config.name);
        return {};
      },
      update: async () => ({}),
    },
  } as unknown as JetStreamManager;
  return { jsm, added, asked: () => asked };
}

describe("provisioning streams", () => {
  test("a cluster still electing its leaders is asked again until the stream is made", async () => {
    const unavailable = () => apiError(503, 10008, "JetStream system temporarily unavailable");
    const { jsm, added, asked } = managerFailingWith([unavailable(), unavailable()]);
    const done = await provisionStreams(jsm, [{ name: "LATE", subjects: ["late.>"] }], { retryForMs: 5_000 });
    expect(done.created).toEqual(["LATE"]);
    expect(added).toEqual(["LATE"]);
    expect(asked()).toBe(3);
  });

  test("an error that asking again cannot mend fails at once", async () => {
    const { jsm, added, asked } = managerFailingWith([apiError(400, 10052, "invalid JSON")]);
    await expect(provisionStreams(jsm, [{ name: "BAD", subjects: ["bad.>"] }])).rejects.toThrow("invalid JSON");
    expect(added).toEqual([]);
    expect(asked()).toBe(1);
  });
});
