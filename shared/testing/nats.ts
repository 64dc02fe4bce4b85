import { connect as tcpConnect } from "node:net";

/** The NATS server tests use: `NATS_URL`, else the local default. */
export const natsTestUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

function reachable(url: string, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url.replace(/^nats:/, "http:"));
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hostname, port: Number(port || 4222) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Whether tests that need a real NATS server should run. In CI they always run (and fail loudly when
 * NATS is missing); elsewhere, without a server, they are skipped with a message saying why — no npm
 * package ships a NATS server, so a newcomer's `npm test` cannot start one.
 * @example describe.skipIf(!(await natsForTests()))("over NATS", () => { ... });
 */
export async function natsForTests(): Promise<boolean> {
  if (process.env.CI) return true;
  if (await reachable(natsTestUrl)) return true;
  console.warn(`[tests] skipping tests that need NATS: nothing answers at ${natsTestUrl} (set NATS_URL; CI has one)`);
  return false;
}
