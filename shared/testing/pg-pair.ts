// A PostgreSQL primary and a streaming standby on loopback, made with the distribution's own binaries
// (initdb, pg_basebackup -R, pg_ctl), for failover tests: stop the primary hard, promote the standby, and
// see the services follow. As root the servers run as the `postgres` user (PostgreSQL refuses root).
import { spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { freePort, uidOf } from "../db/embedded.ts";

/** One server of the pair. */
export interface PairServer {
  port: number;
  dataDir: string;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`, this server alone. */
  url(database?: string): string;
}

/** A running primary and standby. */
export interface PostgresPair {
  primary: PairServer;
  standby: PairServer;
  /** Both hosts, primary first, `target_session_attrs=read-write`: whoever is primary answers. */
  url(database?: string): string;
  /** `pg_ctl stop -m immediate`: the primary dies without a checkpoint, as on a crash. */
  crashPrimary(): Promise<void>;
  /** `pg_ctl promote -w`: resolves once the standby accepts writes. */
  promoteStandby(): Promise<void>;
  /** Stops both servers (immediately) and deletes their folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of `startPostgresPair`. */
export interface PostgresPairOptions {
  /**
   * Synchronous replication (default true): the primary acknowledges a commit only once the standby
   * has it, so no acknowledged commit is lost when the standby takes over.
   */
  synchronous?: boolean;
  /** Give up starting after this long (default 60 s). */
  timeoutMs?: number;
}

/** The folder of `initdb`, `pg_ctl` and `pg_basebackup`: `PG_BIN_DIR`, else the newest /usr/lib/postgresql/<n>/bin. */
export function postgresBinDir(): string | null {
  const configured = process.env.PG_BIN_DIR;
  if (configured) return existsSync(join(configured, "pg_ctl")) ? configured : null;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "pg_basebackup")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : null;
}

/** Whether tests needing a primary+standby pair run: always in CI (failing without binaries), elsewhere when found. */
export function postgresPairAvailable(): boolean {
  if (process.env.CI) return true;
  if (postgresBinDir()) return true;
  console.warn("[tests] skipping tests that need PostgreSQL server binaries: none found (set PG_BIN_DIR)");
  return false;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = uidOf("postgres");
  if (!ids) throw new Error("running as root needs a `postgres` user to run PostgreSQL");
  return ids;
}

/** Runs one PostgreSQL tool to its end (as `postgres` when root); rejects with its output when it fails. */
function run(bin: string, args: string[], ids: { uid: number; gid: number } | undefined, timeoutMs: number) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_MESSAGES: "C" },
      ...(ids ?? {}),
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${bin} ${args.join(" ")} failed (${signal ?? `code ${code}`}):\n${output.slice(-2000)}`));
    });
  });
}

const serverUrl =
  (port: number) =>
  (database = "postgres") =>
    `postgres://postgres@127.0.0.1:${port}/${database}`;

/** Polls `check` on a single-connection client of `url` until it returns true. */
async function waitFor(url: string, check: (sql: postgres.Sql) => Promise<boolean>, until: number, what: string) {
  for (;;) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      if (await check(sql)) return;
    } catch {
      // not up yet
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
    if (Date.now() > until) throw new Error(`PostgreSQL pair: timed out waiting until ${what}`);
    await Bun.sleep(100);
  }
}

/**
 * Starts a primary (wal_level=logical, trust on 127.0.0.1 for connections and replication) on a free port,
 * copies it with `pg_basebackup -R` into a standby on another, starts the standby and resolves once it
 * streams (and, when synchronous, is the synchronous standby). Everything lives in one temporary folder.
 * @example
 * const pair = await startPostgresPair();
 * try { ... pair.url("shop") ...; await pair.crashPrimary(); await pair.promoteStandby(); } finally { await pair.stop(); }
 */
export async function startPostgresPair(options: PostgresPairOptions = {}): Promise<PostgresPair> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error("PostgreSQL server binaries not found (install postgresql or set PG_BIN_DIR)");
  const synchronous = options.synchronous ?? true;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const until = Date.now() + timeoutMs;
  const ids = postgresUser();
  const tool = (name: string, args: string[]) => run(join(binDir, name), args, ids, timeoutMs);
  const root = mkdtempSync(join(tmpdir(), "pg-pair-"));
  if (ids) chownSync(root, ids.uid, ids.gid);
  chmodSync(root, 0o700);
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const primary: PairServer = { port: primaryPort, dataDir: join(root, "primary"), url: serverUrl(primaryPort) };
  const standby: PairServer = { port: standbyPort, dataDir: join(root, "standby"), url: serverUrl(standbyPort) };
  const started: PairServer[] = [];
  const pgCtl = (server: PairServer, ...args: string[]) =>
    tool("pg_ctl", [...args, "-D", server.dataDir, "-l", `${server.dataDir}.log`]);
  const start = async (server: PairServer) => {
    await pgCtl(server, "start", "-w", "-t", String(Math.ceil(timeoutMs / 1000)), "-o", `-p ${server.port}`);
    started.push(server);
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.allSettled(started.map((s) => pgCtl(s, "stop", "-m", "immediate", "-w")));
    rmSync(root, { recursive: true, force: true });
  };

  try {
    await tool("initdb", ["-D", primary.dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
    const settings = [
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${root}'`,
      "wal_level = logical",
      "max_wal_senders = 10",
      "max_replication_slots = 10",
      "hot_standby = on",
      // Speed, not durability: the test crashes processes, not the machine.
      "fsync = off",
      "full_page_writes = off",
      ...(synchronous ? ["synchronous_standby_names = '*'", "synchronous_commit = on"] : []),
    ];
    writeFileSync(join(primary.dataDir, "postgresql.auto.conf"), `${settings.join("\n")}\n`);
    writeFileSync(
      join(primary.dataDir, "pg_hba.conf"),
      "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n",
    );
    await start(primary);
    await tool("pg_basebackup", [
      ...["-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres"],
      ...["-D", standby.dataDir, "-R", "-X", "stream", "--no-sync"],
    ]);
    // pg_basebackup copied the primary's settings: a promoted standby that still waited for a synchronous
    // standby of its own would hang every commit, so it starts without them.
    const standbyConf = join(standby.dataDir, "postgresql.auto.conf");
    const conf = readFileSync(standbyConf, "utf8");
    writeFileSync(standbyConf, conf.replace(/^synchronous_(standby_names|commit) = .*$/gm, ""));
    await start(standby);
    await waitFor(
      primary.url(),
      async (sql) => {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_replication
          where state = 'streaming' and (${!synchronous} or sync_state = 'sync')`;
        return (row?.n ?? 0) > 0;
      },
      until,
      "the standby streams",
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    primary,
    standby,
    url: (database = "postgres") =>
      `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/${database}?target_session_attrs=read-write`,
    async crashPrimary() {
      await pgCtl(primary, "stop", "-m", "immediate", "-w");
    },
    async promoteStandby() {
      await pgCtl(standby, "promote", "-w");
      await waitFor(
        standby.url(),
        async (sql) => {
          const [row] = await sql<{ recovering: boolean }[]>`select pg_is_in_recovery() as recovering`;
          return row?.recovering === false;
        },
        Date.now() + timeoutMs,
        "the standby is promoted",
      );
    },
    stop,
  };
}
