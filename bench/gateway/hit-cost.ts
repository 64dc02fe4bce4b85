// The JavaScript a cache hit costs, without sockets: the request head parsed, the gateway's handler (route,
// cache front, access-log line) and the answer written into a connection that takes every byte. CPU time of
// this process per request (process.cpuUsage, so a busy neighbour slows it less than wall time would), the
// best of ROUNDS rounds. Compare two builds by running it in each checkout:
//   bun bench/gateway/hit-cost.ts [--rounds 5] [--requests 300000] [--access-log off] > /dev/null
// (the access log goes to stdout; the figures to stderr)
import { createAccessLog, LineBuffer } from "@shared/log";
import pino from "pino";
import { parseConfigText } from "../../services/gateway/src/config/config.load.ts";
import { createFeatures } from "../../services/gateway/src/features.ts";
import { send } from "../../services/gateway/src/http1/server.answer.ts";
import { parseHead } from "../../services/gateway/src/http1/server.request.ts";
import { createGateway } from "../../services/gateway/src/server/gateway.app.ts";
import type { Answer } from "../../services/gateway/src/transport/transport.ts";

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const ROUNDS = Number(opt("rounds", "5"));
const N = Number(opt("requests", "300000"));
const ACCESS_LOG = opt("access-log", "on") !== "off";

const product = { id: "p-1", name: "Teapot", price: { amount: 1999, currency: "EUR" }, stock: 12 };
const backend = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => Response.json(product, { headers: { "cache-control": "public, max-age=3600", etag: '"p-1-v1"' } }),
});
const config = {
  version: 3,
  endpoints: [
    {
      endpoint: "/cached",
      output_encoding: "no-op",
      backend: [
        {
          host: [`http://127.0.0.1:${backend.port}`],
          url_pattern: "/cached",
          encoding: "no-op",
          extra_config: { "qos/http-cache": {} },
        },
      ],
    },
  ],
};
const gateway = createGateway({
  loaded: parseConfigText(JSON.stringify(config), { format: "json" }),
  features: createFeatures(),
  logger: pino({ level: "warn" }),
  accessLog: ACCESS_LOG,
  accessWriter: createAccessLog(new LineBuffer(1), { service: "gateway", version: "bench" }),
});

// what parsing and writing need of a connection
const source = { clientIp: "127.0.0.1", server: { maxHeaders: 100 }, startBody() {} };
const sink = {
  server: { date: new Date().toUTCString(), stopping: false, reportError() {} },
  closed: false,
  ending: false,
  out: null,
  flushed: null,
  stream: null,
  write: () => true,
  finish() {},
  settle() {},
  handlerFailed() {},
  abort() {},
};
const head = "GET /cached HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n";
type Req = Parameters<typeof gateway.fetch>[0];
const request = () => parseHead(head, source as never) as unknown as Req;

// the first request fills the cache
await gateway.fetch(request());
const cpu = () => process.cpuUsage().user;
const perRequest = (run: () => void) => {
  const t = cpu();
  for (let i = 0; i < N; i++) run();
  return (cpu() - t) / N;
};

let best = { parse: Infinity, handle: Infinity, all: Infinity };
for (let round = 0; round < ROUNDS; round++) {
  const parse = perRequest(() => request());
  const handle = perRequest(() => gateway.fetch(request())) - parse;
  const all = perRequest(() => {
    const req = request();
    send(sink as never, req as never, gateway.fetch(req) as Answer);
  });
  if (all < best.all) best = { parse, handle, all };
}
console.error(
  `cache hit, µs of CPU per request (best of ${ROUNDS} x ${N}): parse ${best.parse.toFixed(2)}, handler ${best.handle.toFixed(2)}, parse + handler + write ${best.all.toFixed(2)} (access log ${ACCESS_LOG ? "on" : "off"})`,
);
process.exit(0);
