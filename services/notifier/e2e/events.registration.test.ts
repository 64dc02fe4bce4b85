// A user registered with the auth binary has a profile in the users binary within a
// second, through `auth.user.registered` (auth's outbox, its relay, JetStream, users' durable consumer), and
// the notifier binary greets them. A private nats-server, so streams and durables start empty.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import { type PrivateNats, privateNatsAvailable, startPrivateNats } from "@shared/testing/nats-server.ts";

describe.skipIf(!privateNatsAvailable())("a registration reaches users and notifier through the event", () => {
  let tdb: TestDatabase;
  let nats: PrivateNats;
  const apps: RunningBinary[] = [];
  let auth: RunningBinary;
  let users: RunningBinary;
  let notifier: RunningBinary;

  beforeAll(async () => {
    [tdb, nats] = await Promise.all([createTestDatabase({ prefix: "events_registration" }), startPrivateNats()]);
    const env = { DATABASE_URL: tdb.url, NATS_URL: nats.url, LOG_LEVEL: "warn" };
    const [authBin, usersBin, notifierBin] = await Promise.all(
      ["auth", "users", "notifier"].map((s) => buildService(s).then(copyAlone)),
    );
    // Consumers first: they wait for auth's stream, as in any start order.
    users = await startBinary({ path: usersBin!, args: ["serve"], env });
    notifier = await startBinary({ path: notifierBin!, args: ["serve"], env });
    auth = await startBinary({ path: authBin!, args: ["serve"], env });
    apps.push(users, notifier, auth);
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(apps.map((a) => a.stop()));
    await nats?.stop();
    await tdb?.drop();
  });

  test("the profile appears within a second of the registration answer, and one welcome notification", async () => {
    // The consumers may still be waiting for the stream auth just created.
    await Bun.sleep(1_500);
    const email = `carol.${Date.now()}@example.com`;
    const res = await fetch(`${auth.url}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "Secret-pass-123" }),
    });
    expect(res.status).toBe(201);
    const registered = Date.now();
    const { id } = (await res.json()) as { id: string };
    const asCarol = { "x-user-id": id, "x-user-roles": "user" };
    let profile: Response | null = null;
    while (Date.now() - registered < 1_000) {
      profile = await fetch(`${users.url}/users/${id}`, { headers: asCarol });
      if (profile.status === 200) break;
      await Bun.sleep(10);
    }
    const elapsed = Date.now() - registered;
    expect(profile?.status).toBe(200);
    expect(elapsed).toBeLessThan(1_000);
    expect(await profile!.json()).toMatchObject({ id, email, displayName: email.split("@")[0] });
    console.log(`[registration] profile visible ${elapsed} ms after the registration answer`);

    let notes: { items: { kind: string }[] } = { items: [] };
    for (let i = 0; i < 100 && notes.items.length === 0; i++) {
      notes = (await (await fetch(`${notifier.url}/notifications`, { headers: asCarol })).json()) as typeof notes;
      if (notes.items.length === 0) await Bun.sleep(20);
    }
    expect(notes.items.map((n) => n.kind)).toEqual(["user-registered"]);
  }, 30_000);
});
