// End-to-end: /docs of the compiled users binary renders its operations in headless Chromium while
// every request that would leave the machine is blocked.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@shared/testing";
import { buildService, copyAlone, type RunningBinary, startBinary } from "@shared/testing/binary.ts";
import {
  blockNonLoopback,
  type LaunchedChromium,
  launchChromium,
  skipWithoutChromium,
} from "@shared/testing/browser.ts";

let tdb: TestDatabase;
let app: RunningBinary;
let browser: LaunchedChromium;
// Outside CI a machine without a browser skips this test (and builds nothing for it).
const noBrowser = skipWithoutChromium();
const browserTest = test.skipIf(noBrowser);

beforeAll(async () => {
  if (noBrowser) return;
  tdb = await createTestDatabase({ prefix: "users_docs" });
  const binary = copyAlone(await buildService("users"));
  app = await startBinary({ path: binary, args: ["serve"], env: { DATABASE_URL: tdb.url } });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await tdb?.drop();
});

browserTest(
  "/docs renders every operation of the spec with no request leaving the machine",
  async () => {
    const spec = (await (await fetch(`${app.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    const operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.length).toBe(4);

    const page = await browser.newPage();
    const guard = await blockNonLoopback(page);
    await page.goto(`${app.url}/docs`, { waitUntil: "load" });
    await page.waitForSelector(".opblock", { timeout: 20_000 });
    const rendered = await page.$$eval(".opblock-summary", (blocks) =>
      blocks.map((b) => {
        const method = b.querySelector(".opblock-summary-method")?.textContent?.trim() ?? "";
        const path = b.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? "";
        return `${method} ${path}`;
      }),
    );
    expect(rendered.sort()).toEqual(operations.sort());
    expect(await page.title()).toContain("users");
    expect(guard.blocked).toEqual([]);
    expect(guard.requested.some((u) => u.endsWith("/openapi.json"))).toBe(true);
  },
  60_000,
);
