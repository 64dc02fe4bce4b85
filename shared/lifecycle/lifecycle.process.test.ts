import { describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { join } from "node:path";

const fixture = join(import.meta.dir, "fixtures/slow-server.ts");

/** Runs the fixture server and collects its JSON log lines as they arrive. */
async function startServer(drainMs: number) {
  const proc = Bun.spawn(["bun", "run", fixture], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, DRAIN_MS: String(drainMs) },
  });
  const logs: Record<string, unknown>[] = [];
  void (async () => {
    let buffered = "";
    for await (const chunk of proc.stderr.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) logs.push(JSON.parse(line));
    }
  })();
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) first += (await reader.read()).value ?? "";
  const { port } = JSON.parse(first) as { port: number };
  const waitForLog = async (event: string, count = 1) => {
    const deadline = Date.now() + 5000;
    while (logs.filter((l) => l.event === event || l.msg === event).length < count) {
      if (Date.now() > deadline) throw new Error(`no ${count}x ${event} in ${JSON.stringify(logs)}`);
      await Bun.sleep(5);
    }
  };
  return { proc, port, logs, waitForLog };
}

/** A raw HTTP/1.1 keep-alive connection, so the test controls exactly when requests are sent. */
function keepAliveSocket(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  let received = "";
  let lastDataAt = 0;
  const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(performance.now())));
  socket.on("data", (chunk) => {
    received += chunk.toString();
    lastDataAt = performance.now();
  });
  socket.on("error", () => {});
  return {
    send: (path: string) => socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n`),
    responses: () => received.split("HTTP/1.1 ").slice(1),
    lastDataAt: () => lastDataAt,
    closed,
  };
}

describe("createLifecycle in a real process", () => {
  test("on SIGTERM every in-flight request completes, idle connections close and the process exits 0", async () => {
    const { proc, port, logs, waitForLog } = await startServer(5000);
    const idle = keepAliveSocket(port);
    idle.send("/?ms=0");
    const busy = keepAliveSocket(port);
    busy.send("/?ms=600");
    const fetches = [300, 500, 700].map((ms) =>
      fetch(`http://127.0.0.1:${port}/?ms=${ms}`).then(async (r) => `${r.status} ${await r.text()}`),
    );
    await waitForLog("request-started", 5);

    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);

    expect(await Promise.all(fetches)).toEqual(["200 slept 300", "200 slept 500", "200 slept 700"]);
    expect(busy.responses()).toHaveLength(1);
    expect(busy.responses()[0]).toStartWith("200 OK");
    expect(busy.responses()[0]).toEndWith("slept 600");
    expect(idle.responses()).toHaveLength(1);
    // The idle keep-alive connection is closed when stopping starts, not when the process exits.
    expect(await idle.closed).toBeLessThan(busy.lastDataAt());
    const order = logs.map((l) => l.event).filter((e) => e === "http-stopped" || e === "pool-closed" || e === "exit");
    expect(order).toEqual(["http-stopped", "pool-closed", "exit"]);
    expect(logs.find((l) => l.event === "http-stopped")).toMatchObject({ drained: true, inFlight: 0 });
  });

  test("after SIGTERM the server refuses new connections while it drains", async () => {
    const { proc, port, waitForLog } = await startServer(5000);
    const slow = fetch(`http://127.0.0.1:${port}/?ms=500`);
    await waitForLog("request-started");
    proc.kill("SIGTERM");
    await waitForLog("stopping");
    const late = await fetch(`http://127.0.0.1:${port}/?ms=0`).then(
      () => "answered",
      () => "refused",
    );
    expect(late).toBe("refused");
    expect((await slow).status).toBe(200);
    expect(await proc.exited).toBe(0);
  });

  test("a request longer than drainMs is cut off and the process still exits 0", async () => {
    const { proc, port, logs, waitForLog } = await startServer(200);
    const tooSlow = fetch(`http://127.0.0.1:${port}/?ms=3000`).then(
      (r) => r.status,
      () => "failed",
    );
    await waitForLog("request-started");
    const sent = Date.now();
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(await tooSlow).toBe("failed");
    expect(logs.find((l) => l.event === "http-stopped")).toMatchObject({ drained: false });
  });

  test("a second signal while draining forces the process to exit at once with code 1", async () => {
    const { proc, port, waitForLog } = await startServer(10_000);
    void fetch(`http://127.0.0.1:${port}/?ms=5000`).catch(() => {});
    await waitForLog("request-started");
    const sent = Date.now();
    proc.kill("SIGTERM");
    // Past the grace period in which a repeated signal counts as an echo of the first.
    await Bun.sleep(1100);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(1);
    expect(Date.now() - sent).toBeLessThan(3000);
  });
});
