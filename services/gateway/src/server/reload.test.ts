import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile } from "../config/config.load.ts";
import { memoryLogger, sleep, startBackend, stopAll } from "../testing/harness.ts";
import { createGateway } from "./gateway.app.ts";
import { createReloader } from "./reload.ts";

const dir = mkdtempSync(join(tmpdir(), "gateway-reload-"));
afterAll(() => {
  stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const oldBackend = startBackend(async (_req, url) => {
  if (url.pathname === "/slow") await sleep(300);
  return Response.json({ from: "old", path: url.pathname });
});
const newBackend = startBackend((_req, url) => Response.json({ from: "new", path: url.pathname }));

const configWith = (host: string, endpoints: string[]) =>
  JSON.stringify({
    version: 3,
    host: [host],
    endpoints: endpoints.map((e) => ({ endpoint: e, backend: [{ url_pattern: e }] })),
  });

describe("hot reload", () => {
  const file = join(dir, "gateway.json");
  writeFileSync(file, configWith(oldBackend.url, ["/slow", "/a"]));
  const logger = memoryLogger();
  const gateway = createGateway({ loaded: loadConfigFile(file, {}), logger, fetchSpecs: async () => new Map() });
  const server = gateway.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${server.port}`;
  const reloader = createReloader({ file, ref: gateway.ref, features: {}, logger, env: {}, debounceMs: 50 });
  afterAll(() => {
    reloader.stop();
    server.stop(true);
  });

  test("a valid config swaps in while a slow request finishes on the old one", async () => {
    const inFlight = fetch(`${url}/slow`);
    await sleep(50);
    writeFileSync(file, configWith(newBackend.url, ["/a", "/b"]));
    expect(reloader.reload("test")).toBe(true);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ from: "old", path: "/slow" });
    expect(await (await fetch(`${url}/b`)).json()).toEqual({ from: "new", path: "/b" });
    expect((await fetch(`${url}/slow`)).status).toBe(404);
  });

  test("an invalid config is refused, logged, and the previous one keeps serving", async () => {
    writeFileSync(file, configWith(newBackend.url, ["/a", "no-slash"]));
    expect(reloader.reload("test")).toBe(false);
    const refused = logger.lines.find((l) => l.msg?.startsWith("config reload refused"));
    expect(JSON.stringify(refused?.obj)).toContain("endpoints[1].endpoint");
    expect(await (await fetch(`${url}/b`)).json()).toEqual({ from: "new", path: "/b" });
  });

  test("saving the file triggers the reload by itself", async () => {
    reloader.start();
    await sleep(100);
    writeFileSync(file, configWith(newBackend.url, ["/watched"]));
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await sleep(50);
      status = (await fetch(`${url}/watched`)).status;
    }
    expect(status).toBe(200);
  });

  test("a reload that moves the metrics listener applies the rest and says the address needs a restart", async () => {
    const config = JSON.parse(configWith(newBackend.url, ["/metrics-moved"]));
    config.extra_config = { "telemetry/metrics": { listen_address: "127.0.0.1:9" } };
    writeFileSync(file, JSON.stringify(config));
    const warned = () => logger.lines.filter((l) => l.msg?.includes("listen_address changes only on restart")).length;
    const before = warned();
    expect(reloader.reload("test")).toBe(true);
    expect(warned()).toBe(before + 1);
    expect((await fetch(`${url}/metrics-moved`)).status).toBe(200);
    // the listener is read at start, so the public port keeps serving /metrics until a restart
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect(reloader.reload("test")).toBe(true);
    expect(warned()).toBe(before + 1);
  });

  test("a reload that changes a server limit applies the rest and says the limits need a restart", async () => {
    const config = JSON.parse(configWith(newBackend.url, ["/limits-changed"]));
    config.read_timeout = "5s";
    writeFileSync(file, JSON.stringify(config));
    const warned = () => logger.lines.filter((l) => l.msg?.includes("server limits change only on restart")).length;
    const before = warned();
    expect(reloader.reload("test")).toBe(true);
    expect(warned()).toBe(before + 1);
    expect((await fetch(`${url}/limits-changed`)).status).toBe(200);
  });

  test("SIGHUP reloads the file", async () => {
    writeFileSync(file, configWith(newBackend.url, ["/hup"]));
    process.emit("SIGHUP", "SIGHUP");
    expect((await fetch(`${url}/hup`)).status).toBe(200);
  });
});
