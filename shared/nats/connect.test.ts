// Every way of authenticating to NATS, each against a private nats-server that demands it, with the secret
// read from its file the way a service reads it (`loadConfig` from the environment).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/transport-node";
import { defineServiceConfig } from "../config/base.ts";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { connectBus } from "../endpoint/bus.ts";
import { type PrivateNats, privateNatsAvailable, startPrivateNats } from "../testing/nats-server.ts";
import { connectNats, natsConnectOptions, natsServers, natsSettingsFromEnv } from "./connect.ts";

const dir = mkdtempSync(join(tmpdir(), "nats-auth-test-"));
const servers: PrivateNats[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const schema = defineServiceConfig("orders");
const settings = (env: Record<string, string>) => loadConfig({ schema, env }).nats;

async function serve(config: string, ready: Parameters<typeof startPrivateNats>[0] = {}): Promise<PrivateNats> {
  const server = await startPrivateNats({ configFile: file(`server-${servers.length}.conf`, config), ...ready });
  servers.push(server);
  return server;
}

/** Connects as the settings say and proves the connection works with a request the server answers. */
async function roundTrip(nats: ReturnType<typeof settings>): Promise<string> {
  const nc = await connectNats({ ...nats, url: nats.url! }, { timeout: 3_000, reconnect: false });
  try {
    const sub = nc.subscribe("auth.test.echo", { callback: (_err, msg) => void msg.respond(msg.data) });
    const reply = await nc.request("auth.test.echo", "hello", { timeout: 2_000 });
    sub.unsubscribe();
    return reply.string();
  } finally {
    await nc.close();
  }
}

/** Whether connecting as the settings say is refused. */
async function refused(nats: ReturnType<typeof settings>): Promise<boolean> {
  return roundTrip(nats).then(
    () => false,
    () => true,
  );
}

const b64url = (data: string | Uint8Array) => Buffer.from(data).toString("base64url");

/** A NATS JWT (ed25519-nkey) with `claims`, issued by `issuer` for the subject `subject`. */
function natsJwt(issuer: KeyPair, subject: string, nats: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const claims = {
    jti: crypto.randomUUID().replaceAll("-", "").toUpperCase(),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    sub: subject,
    name: subject.slice(0, 8),
    nats: { ...nats, version: 2 },
  };
  const body = b64url(JSON.stringify(claims));
  const signature = issuer.sign(new TextEncoder().encode(`${header}.${body}`));
  return `${header}.${body}.${b64url(signature)}`;
}

const unlimited = { subs: -1, data: -1, payload: -1 };

describe.if(privateNatsAvailable())("NATS credentials from files", () => {
  test("user and password: NATS_USER with NATS_PASSWORD_FILE connect; a wrong password is refused", async () => {
    const server = await serve('authorization { user: "svc", password: "s3cret-pw" }', {
      ready: { user: "svc", pass: "s3cret-pw" },
    });
    const password = file("password", "s3cret-pw\n");
    expect(await roundTrip(settings({ NATS_URL: server.url, NATS_USER: "svc", NATS_PASSWORD_FILE: password }))).toBe(
      "hello",
    );
    const wrong = file("wrong-password", "nope\n");
    expect(await refused(settings({ NATS_URL: server.url, NATS_USER: "svc", NATS_PASSWORD_FILE: wrong }))).toBe(true);
  });

  test("token: NATS_TOKEN_FILE connects, and through the endpoint bus too; no token is refused", async () => {
    const server = await serve('authorization { token: "t0ken-abc" }', { ready: { token: "t0ken-abc" } });
    const nats = settings({ NATS_URL: server.url, NATS_TOKEN_FILE: file("token", "t0ken-abc\n") });
    expect(await roundTrip(nats)).toBe("hello");
    const bus = await connectBus({ nats, name: "orders", logger: { error() {}, warn() {} } });
    await bus.ping();
    await bus.close();
    expect(await refused(settings({ NATS_URL: server.url }))).toBe(true);
  });

  test("NKey: NATS_NKEY_FILE holding the user's seed connects; another seed is refused", async () => {
    const user = createUser();
    const server = await serve(`authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }`, {
      ready: { authenticator: nkeyAuthenticator(user.getSeed()) },
    });
    const seedFile = file("user.nk", `${new TextDecoder().decode(user.getSeed())}\n`);
    expect(await roundTrip(settings({ NATS_URL: server.url, NATS_NKEY_FILE: seedFile }))).toBe("hello");
    const stranger = file("stranger.nk", new TextDecoder().decode(createUser().getSeed()));
    expect(await refused(settings({ NATS_URL: server.url, NATS_NKEY_FILE: stranger }))).toBe(true);
  });

  test("creds: NATS_CREDS_FILE with a user JWT and seed connects to a server in operator mode", async () => {
    const operator = createOperator();
    const account = createAccount();
    // JetStream (every private server runs it) wants a system account in operator mode
    const system = createAccount();
    const user = createUser();
    const operatorJwt = natsJwt(operator, operator.getPublicKey(), { type: "operator" });
    const limits = { ...unlimited, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
    const accountJwt = natsJwt(operator, account.getPublicKey(), { type: "account", limits });
    const systemJwt = natsJwt(operator, system.getPublicKey(), { type: "account", limits });
    const userJwt = natsJwt(account, user.getPublicKey(), { type: "user", pub: {}, sub: {}, ...unlimited });
    const seed = new TextDecoder().decode(user.getSeed());
    const creds = [
      "-----BEGIN NATS USER JWT-----",
      userJwt,
      "------END NATS USER JWT------",
      "",
      "-----BEGIN USER NKEY SEED-----",
      seed,
      "------END USER NKEY SEED------",
      "",
    ].join("\n");
    const credsFile = file("user.creds", creds);
    const server = await serve(
      [
        `operator: "${operatorJwt}"`,
        `system_account: "${system.getPublicKey()}"`,
        "resolver: MEMORY",
        `resolver_preload: { "${account.getPublicKey()}": "${accountJwt}", "${system.getPublicKey()}": "${systemJwt}" }`,
      ].join("\n"),
      { ready: { authenticator: credsAuthenticator(new TextEncoder().encode(creds)) } },
    );
    expect(await roundTrip(settings({ NATS_URL: server.url, NATS_CREDS_FILE: credsFile }))).toBe("hello");
    expect(await refused(settings({ NATS_URL: server.url }))).toBe(true);
  });

  test("TLS: a tls:// URL with NATS_CA_FILE trusts a server whose certificate that CA signed; without it, refused", async () => {
    const openssl = Bun.which("openssl");
    if (!openssl) throw new Error("openssl not found: the TLS test generates its certificates with it");
    const run = (args: string[]) => {
      const done = Bun.spawnSync([openssl, ...args], { cwd: dir, stderr: "pipe" });
      if (done.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${done.stderr.toString()}`);
    };
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=shop test CA"]);
    run(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    file("san.ext", "subjectAltName=IP:127.0.0.1\n");
    run([
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "1",
      "-extfile",
      "san.ext",
    ]);
    const caFile = join(dir, "ca.pem");
    const server = await serve(
      `tls { cert_file: "${join(dir, "server.pem")}", key_file: "${join(dir, "server.key")}" }`,
      { scheme: "tls", ready: { tls: { caFile } } },
    );
    expect(server.url).toStartWith("tls://");
    expect(await roundTrip(settings({ NATS_URL: server.url, NATS_CA_FILE: caFile }))).toBe("hello");
    expect(await refused(settings({ NATS_URL: server.url }))).toBe(true);
  });
});

describe("natsConnectOptions", () => {
  test("a comma list or a config list gives the client every server, and it reconnects forever unless told otherwise", () => {
    const listed = natsConnectOptions({ url: "nats://h1:4222, nats://h2:4222,," }, { name: "orders" });
    expect(listed).toMatchObject({ servers: ["nats://h1:4222", "nats://h2:4222"], name: "orders" });
    expect(listed.maxReconnectAttempts).toBe(-1);
    expect(listed.timeout).toBe(5_000);
    expect(natsConnectOptions({ url: ["nats://h1:4222", "nats://h2:4222,nats://h3:4222"] }).servers).toEqual([
      "nats://h1:4222",
      "nats://h2:4222",
      "nats://h3:4222",
    ]);
    const once = natsConnectOptions({ url: "nats://h1:4222" }, { maxReconnectAttempts: 0, timeout: 500 });
    expect(once).toMatchObject({ maxReconnectAttempts: 0, timeout: 500 });
    expect(natsServers(" nats://h1:4222 ")).toEqual(["nats://h1:4222"]);
  });

  test("a tls:// server anywhere in the list turns TLS on", () => {
    expect(natsConnectOptions({ url: "nats://h1:4222,tls://h2:4222" }).tls).toEqual({});
    expect(natsConnectOptions({ url: ["nats://h1:4222"] }).tls).toBeUndefined();
  });

  test("a missing credentials, seed or CA file is a ConfigError naming the key", () => {
    const missing = join(dir, "missing");
    for (const key of ["credsFile", "nkeyFile", "caFile"] as const) {
      const build = () => natsConnectOptions({ url: "nats://127.0.0.1:4222", [key]: missing });
      expect(build).toThrow(ConfigError);
      expect(build).toThrow(`nats.${key}: cannot read the file ${missing} (ENOENT)`);
    }
  });

  test("a seed file without a seed is a ConfigError", () => {
    const empty = file("no-seed.nk", "# nothing here\n");
    expect(() => natsConnectOptions({ url: "nats://127.0.0.1:4222", nkeyFile: empty })).toThrow("holds no NKey seed");
  });

  test("programs without a service config read the same variables: natsSettingsFromEnv", () => {
    const nats = natsSettingsFromEnv({ NATS_URL: "nats://n:4222", NATS_TOKEN_FILE: file("env-token", "tok\n") });
    expect(nats).toMatchObject({ url: "nats://n:4222", token: "tok" });
  });
});
