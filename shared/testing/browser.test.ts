import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type BrowserHost,
  blockNonLoopback,
  CHROMIUM_PATH,
  ensureChromium,
  isLoopbackUrl,
  type LaunchedChromium,
  launchChromium,
  planChromium,
  skipWithoutChromium,
} from "./browser.ts";

/** A machine with the given files and commands, as root or not. */
function host(opts: {
  env?: Record<string, string>;
  files?: string[];
  commands?: string[];
  root?: boolean;
}): BrowserHost {
  const files = new Set(opts.files ?? []);
  const commands = new Set(opts.commands ?? []);
  return {
    env: opts.env ?? {},
    exists: (p) => files.has(p),
    which: (c) => (commands.has(c) ? `/usr/local/bin/${c}` : null),
    isRoot: opts.root ?? false,
  };
}

describe("planChromium", () => {
  test("uses CHROME_PATH first, then Debian's chromium, then a Chrome or Chromium on the PATH", () => {
    const everything = { files: ["/opt/chrome", CHROMIUM_PATH], commands: ["chromium-browser"] };
    expect(planChromium(host({ ...everything, env: { CHROME_PATH: "/opt/chrome" } }))).toEqual({
      kind: "use",
      path: "/opt/chrome",
    });
    expect(planChromium(host(everything))).toEqual({ kind: "use", path: CHROMIUM_PATH });
    expect(planChromium(host({ commands: ["google-chrome"] }))).toEqual({
      kind: "use",
      path: "/usr/local/bin/google-chrome",
    });
  });

  test("outside CI with no browser, skips (even as root) and says how to get one", () => {
    for (const machine of [
      host({ root: true, commands: ["apt-get"] }),
      host({ env: { CI: "false" }, commands: ["apt-get", "sudo"] }),
    ]) {
      const plan = planChromium(machine);
      expect(plan.kind).toBe("skip");
      expect(plan.kind === "skip" && plan.reason).toContain("CHROME_PATH");
      expect(plan.kind === "skip" && plan.reason).toContain("apt-get install chromium");
    }
    const wrong = planChromium(host({ env: { CHROME_PATH: "/nope" }, files: [CHROMIUM_PATH] }));
    expect(wrong.kind === "skip" && wrong.reason).toContain("CHROME_PATH=/nope does not exist");
  });

  test("in CI with no browser, installs Debian's package as root or through sudo -n, else fails", () => {
    const ci = { CI: "true" };
    expect(planChromium(host({ env: ci, root: true, commands: ["apt-get"] }))).toEqual({
      kind: "install",
      sudo: [],
      path: CHROMIUM_PATH,
    });
    expect(planChromium(host({ env: ci, commands: ["apt-get", "sudo"] }))).toEqual({
      kind: "install",
      sudo: ["sudo", "-n"],
      path: CHROMIUM_PATH,
    });
    expect(planChromium(host({ env: ci, commands: ["apt-get"] })).kind).toBe("fail");
    expect(planChromium(host({ env: ci, root: true })).kind).toBe("fail");
    expect(planChromium(host({ env: { ...ci, CHROME_PATH: "/nope" }, files: [CHROMIUM_PATH] })).kind).toBe("fail");
  });

  test("a plan without a browser makes ensureChromium throw its reason, and only a skip plan skips", () => {
    expect(() => ensureChromium({ kind: "fail", reason: "no browser in CI" })).toThrow("no browser in CI");
    expect(ensureChromium({ kind: "use", path: "/x/chrome" })).toBe("/x/chrome");
    expect(skipWithoutChromium(host({ env: { CI: "true" } }))).toBe(false);
    expect(skipWithoutChromium(host({ files: [CHROMIUM_PATH] }))).toBe(false);
    expect(skipWithoutChromium(host({}))).toBe(true);
  });
});

describe("isLoopbackUrl", () => {
  test("accepts only loopback hosts and host-less schemes", () => {
    for (const url of [
      "http://127.0.0.1:8080/docs",
      "http://localhost/x",
      "http://[::1]:3000/",
      "data:text/plain,hi",
    ]) {
      expect(isLoopbackUrl(url)).toBe(true);
    }
    for (const url of [
      "https://cdn.example.invalid/ui.js",
      "http://10.0.0.1/",
      "http://127.0.0.1.invalid/",
      "nonsense",
    ]) {
      expect(isLoopbackUrl(url)).toBe(false);
    }
  });
});

// A tiny page that loads one local script and tries to reach two outside hosts (under the reserved
// .invalid TLD, so even an unguarded browser could not resolve them).
const PAGE = `<!doctype html><html><head><title>fixture</title>
<link rel="stylesheet" href="https://fonts.example.invalid/font.css">
<script src="/local.js"></script></head>
<body><h1 id="greeting">waiting</h1><img src="http://images.example.invalid/pixel.png"></body></html>`;
const SCRIPT = `document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("greeting").textContent = "hello from loopback";
});`;

describe.skipIf(skipWithoutChromium())("launchChromium with blockNonLoopback", () => {
  let browser: LaunchedChromium;
  let server: ReturnType<typeof Bun.serve>;

  beforeAll(async () => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (path === "/local.js") return new Response(SCRIPT, { headers: { "content-type": "text/javascript" } });
        return new Response(PAGE, { headers: { "content-type": "text/html" } });
      },
    });
    // The first run in CI may install Debian's chromium package, which takes a while.
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    server?.stop(true);
  });

  test("renders a local page and blocks and records every request that leaves loopback", async () => {
    const page = await browser.newPage();
    const guard = await blockNonLoopback(page);
    await page.goto(`http://127.0.0.1:${server.port}/`, { waitUntil: "load" });
    expect(await page.textContent("#greeting")).toBe("hello from loopback");
    expect(guard.blocked.sort()).toEqual([
      "http://images.example.invalid/pixel.png",
      "https://fonts.example.invalid/font.css",
    ]);
    expect(guard.requested).toContain(`http://127.0.0.1:${server.port}/local.js`);
    await page.close();
  });

  test("lets a page that stays on loopback through untouched", async () => {
    const page = await browser.newPage();
    const guard = await blockNonLoopback(page);
    const res = await page.goto(`http://localhost:${server.port}/local.js`);
    expect(res?.status()).toBe(200);
    expect(guard.blocked).toEqual([]);
    await page.close();
  });
});
