import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { blockNonLoopback, isLoopbackUrl, type LaunchedChromium, launchChromium } from "./browser.ts";

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

describe("launchChromium with blockNonLoopback", () => {
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
    // The first run may install Debian's chromium package, which takes a while.
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
