// A private nats-server for one test file or benchmark: its own port and store, so nothing else serving
// a subject on the shared NATS (`catalog.products.get`, a stream name) can interfere, and a test may
// stop and restart it. Needs the `nats-server` executable
// (Debian's package puts it in /usr/sbin; CI installs it); without it the caller skips, except in CI.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { type ConnectionOptions, connect } from "@nats-io/transport-node";
import { freePort } from "../db/embedded.ts";

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

/** One nats-server process on a fixed port and store, which may be stopped and started again. */
export interface ServerNode {
  readonly pid: number;
  /** Starts the process and resolves once a client connects (throws, with its stderr, when it does not). */
  start(): Promise<void>;
  /** Stops the process (the signal, then SIGKILL after 5 s); the store stays. */
  halt(signal: "SIGTERM" | "SIGKILL"): Promise<void>;
}

/**
 * Runs `bin` with `args`; ready once a client connects to `url` with the `ready` options (credentials, TLS).
 */
export function natsServerNode(
  bin: string,
  url: string,
  args: string[],
  ready: Omit<ConnectionOptions, "servers"> = {},
): ServerNode {
  let proc: Bun.Subprocess<"ignore", "ignore", "pipe"> | undefined;
  const halt = async (signal: "SIGTERM" | "SIGKILL") => {
    const p = proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      p.kill(signal);
      const timer = setTimeout(() => p.kill("SIGKILL"), 5_000);
      await p.exited;
      clearTimeout(timer);
    }
  };
  return {
    get pid() {
      return proc?.pid ?? 0;
    },
    halt,
    async start() {
      const p = Bun.spawn([bin, ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
      proc = p;
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          const nc = await connect({ ...ready, servers: url, timeout: 500, reconnect: false });
          await nc.close();
          return;
        } catch (err) {
          if (p.exitCode !== null || Date.now() > deadline) {
            await halt("SIGKILL");
            const stderr = await new Response(p.stderr).text().catch(() => "");
            throw new Error(`nats-server did not start on ${url}: ${String(err)}\n${stderr}`);
          }
          await Bun.sleep(50);
        }
      }
    },
  };
}

/** The nats-server executable, or an error saying how to provide one. */
export function requireNatsServer(): string {
  const bin = natsServerBinary();
  if (!bin) throw new Error("nats-server not found (install it or set NATS_SERVER_BIN)");
  return bin;
}

/**
 * Starts nats-server on a free loopback port with JetStream in a temporary store, and resolves once a
 * client connects (with `options.ready`: credentials, TLS). `configFile` adds authorization or TLS blocks,
 * `scheme: "tls"` gives a `tls://` URL. `restart` brings it back on the same port and store (JetStream
 * state survives).
 * @example const nats = await startPrivateNats(); try { ... } finally { await nats.stop(); }
 */
export async function startPrivateNats(options: PrivateNatsOptions = {}): Promise<PrivateNats> {
  const bin = requireNatsServer();
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), "nats-"));
  const url = `${options.scheme ?? "nats"}://127.0.0.1:${port}`;
  const config = options.configFile ? ["-c", options.configFile] : [];
  const args = [...config, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store];
  const node = natsServerNode(bin, url, args, options.ready);
  const stop = async () => {
    await node.halt("SIGTERM");
    rmSync(store, { recursive: true, force: true });
  };
  await node.start().catch(async (err) => {
    await stop();
    throw err;
  });
  const server: PrivateNats = {
    url,
    pid: node.pid,
    stop,
    async restart(options = {}) {
      await node.halt(options.kill ? "SIGKILL" : "SIGTERM");
      if (options.downMs) await Bun.sleep(options.downMs);
      await node.start();
      server.pid = node.pid;
    },
  };
  return server;
}

/** One node of a {@link PrivateNatsCluster}. */
export interface ClusterNode {
  name: string;
  url: string;
  /** The node's HTTP monitoring endpoint (`/varz`, `/connz`, `/jsz`). */
  monitorUrl: string;
  readonly pid: number;
  /** Kills the node with SIGKILL (its store stays until the cluster stops). */
  kill(): Promise<void>;
  /** Starts a killed node again on its port and store; resolves once JetStream has a meta leader. */
  start(): Promise<void>;
}

/** A running private nats-server cluster with JetStream. */
export interface PrivateNatsCluster {
  nodes: ClusterNode[];
  /** Every node's client URL, comma-separated: what `NATS_URL` holds. */
  url: string;
  /** Stops every node and deletes their stores. */
  stop(): Promise<void>;
}

/** Resolves once JetStream answers on the cluster, which needs an elected meta leader. */
async function waitForMetaLeader(servers: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const nc = await connect({ servers, timeout: 1_000, maxReconnectAttempts: -1 });
  try {
    for (;;) {
      try {
        // jetstreamManager asks for the account info, which only a cluster with a meta leader answers
        await jetstreamManager(nc, { timeout: 1_000 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the NATS cluster elected no JetStream leader: ${String(err)}`);
        await Bun.sleep(100);
      }
    }
  } finally {
    await nc.close();
  }
}

/**
 * Starts a cluster of `size` (default 3) nats-server nodes on loopback, each with its own client and cluster
 * ports and store, routes to every other node, JetStream on; resolves once JetStream has a meta leader.
 * @example const cluster = await startPrivateNatsCluster(); try { ...NATS_URL: cluster.url... } finally { await cluster.stop(); }
 */
export async function startPrivateNatsCluster(options: { size?: number } = {}): Promise<PrivateNatsCluster> {
  const bin = requireNatsServer();
  const size = options.size ?? 3;
  const clusterName = `test-${crypto.randomUUID().slice(0, 8)}`;
  const specs: { name: string; port: number; routePort: number; monitorPort: number; store: string }[] = [];
  for (let i = 0; i < size; i++) {
    specs.push({
      name: `n${i + 1}`,
      port: await freePort(),
      monitorPort: await freePort(),
      routePort: await freePort(),
      store: mkdtempSync(join(tmpdir(), "nats-cluster-")),
    });
  }
  const routes = specs.map((s) => `nats://127.0.0.1:${s.routePort}`).join(",");
  const urls = specs.map((s) => `nats://127.0.0.1:${s.port}`);
  const nodes = specs.map((s) => {
    const url = `nats://127.0.0.1:${s.port}`;
    const server = natsServerNode(bin, url, [
      ...["-a", "127.0.0.1", "-p", String(s.port), "-m", String(s.monitorPort), "-js", "-sd", s.store],
      ...["--server_name", s.name],
      ...["--cluster_name", clusterName, "--cluster", `nats://127.0.0.1:${s.routePort}`, "--routes", routes],
    ]);
    const node: ClusterNode = {
      name: s.name,
      url,
      monitorUrl: `http://127.0.0.1:${s.monitorPort}`,
      get pid() {
        return server.pid;
      },
      kill: () => server.halt("SIGKILL"),
      async start() {
        await server.start();
        await waitForMetaLeader(urls, 30_000);
      },
    };
    return { node, server, store: s.store };
  });
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.server.halt("SIGTERM")));
    for (const n of nodes) rmSync(n.store, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => n.server.start()));
    await waitForMetaLeader(urls, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: nodes.map((n) => n.node), url: urls.join(","), stop };
}
