// A private nats-server for one test file or benchmark: its own port and store, so nothing else serving
// a subject on the shared NATS (`catalog.products.get`, a stream name) can interfere, and a test may
// stop and restart it. Needs the `nats-server` executable
// (Debian's package puts it in /usr/sbin; CI installs it); without it the caller skips, except in CI.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectionOptions, connect } from "@nats-io/transport-node";
import { freePort } from "./binary.ts";

/** A running private nats-server. */
export interface PrivateNats {
  url: string;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and deletes its store. */
  stop(): Promise<void>;
  /** Stops the server (SIGKILL with `kill`), waits `downMs`, and starts it again on the same port and store. */
  restart(options?: { kill?: boolean; downMs?: number }): Promise<void>;
}

/** Where the nats-server executable is: `NATS_SERVER_BIN`, /usr/sbin, /usr/bin, else the PATH. */
export function natsServerBinary(): string | null {
  const candidates = [process.env.NATS_SERVER_BIN, "/usr/sbin/nats-server", "/usr/bin/nats-server"];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return Bun.which("nats-server");
}

/** Whether tests needing a private nats-server run: always in CI, elsewhere only when the binary exists. */
export function privateNatsAvailable(): boolean {
  if (process.env.CI) return true;
  if (natsServerBinary()) return true;
  console.warn("[tests] skipping tests that need a private nats-server: none found (set NATS_SERVER_BIN)");
  return false;
}

/** Options of {@link startPrivateNats}, for a server that demands authentication or TLS. */
export interface PrivateNatsOptions {
  /** A nats-server config file (authorization, tls blocks); the port, address and store still come from flags. */
  configFile?: string;
  /** How the readiness check connects (credentials, `tls`); default: no authentication. */
  ready?: Omit<ConnectionOptions, "servers">;
  /** The URL's scheme: `tls` for a server that requires TLS. Default `nats`. */
  scheme?: "nats" | "tls";
}

/**
 * Starts nats-server on a free loopback port with JetStream in a temporary store, and resolves once a
 * client connects. `restart` brings it back on the same port and store (JetStream state survives).
 * @example const nats = await startPrivateNats(); try { ... } finally { await nats.stop(); }
 */
export async function startPrivateNats(options: PrivateNatsOptions = {}): Promise<PrivateNats> {
  const bin = natsServerBinary();
  if (!bin) throw new Error("nats-server not found (install it or set NATS_SERVER_BIN)");
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), "nats-"));
  const url = `${options.scheme ?? "nats"}://127.0.0.1:${port}`;
  const config = options.configFile ? ["-c", options.configFile] : [];
  let proc: ReturnType<typeof spawnServer>;
  function spawnServer() {
    return Bun.spawn([bin!, ...config, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
  }
  const halt = async (signal: "SIGTERM" | "SIGKILL") => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      await proc.exited;
      clearTimeout(timer);
    }
  };
  const stop = async () => {
    await halt("SIGTERM");
    rmSync(store, { recursive: true, force: true });
  };
  const ready = async () => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const nc = await connect({ ...options.ready, servers: url, timeout: 500, reconnect: false });
        await nc.close();
        return;
      } catch (err) {
        if (proc.exitCode !== null || Date.now() > deadline) {
          const stderr = await new Response(proc.stderr).text().catch(() => "");
          await stop();
          throw new Error(`nats-server did not start on ${url}: ${String(err)}\n${stderr}`);
        }
        await Bun.sleep(50);
      }
    }
  };
  proc = spawnServer();
  await ready();
  const server: PrivateNats = {
    url,
    pid: proc.pid,
    stop,
    async restart(options = {}) {
      await halt(options.kill ? "SIGKILL" : "SIGTERM");
      if (options.downMs) await Bun.sleep(options.downMs);
      proc = spawnServer();
      server.pid = proc.pid;
      await ready();
    },
  };
  return server;
}
