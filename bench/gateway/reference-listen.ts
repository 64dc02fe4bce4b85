// The floor of a Bun proxy without `Bun.serve`: a featureless HTTP/1.1 proxy on `Bun.listen` and
// `Bun.connect`, with callbacks instead of promises, that understands exactly what the benchmark sends
// (small GETs, Content-Length answers) and nothing else. It is NOT a server to run: no validation, no
// limits, no errors. It shows how much of the gateway's cost is Bun's socket layer and how much is ours:
// /plain forwards to /json; /merge fetches /profile and /orders side by side and answers their merged JSON.
// Usage: bun bench/gateway/reference-listen.ts PORT BACKEND_PORT
import type { Socket } from "bun";

const [portArg, backendPortArg] = process.argv.slice(2);
const backendPort = Number(backendPortArg);
const HEAD_END = Buffer.from("\r\n\r\n");
// merges keep two requests in flight per client connection
const POOL = 128;

type Answer = (head: string, body: Buffer) => void;
interface Call {
  path: string;
  answer: Answer;
}
interface Upstream {
  socket: Socket<Upstream> | null;
  rest: Buffer | null;
  answer: Answer | null;
  path: string;
}

const idle: Upstream[] = [];
const queued: Call[] = [];
let opened = 0;

function send(up: Upstream, call: Call): void {
  up.answer = call.answer;
  up.path = call.path;
  up.socket!.write(`GET ${call.path} HTTP/1.1\r\nhost: backend\r\n\r\n`);
}

function upstreamGet(call: Call): void {
  const up = idle.pop();
  if (up) {
    send(up, call);
    return;
  }
  if (opened >= POOL) {
    queued.push(call);
    return;
  }
  opened++;
  const fresh: Upstream = { socket: null, rest: null, answer: null, path: "" };
  void Bun.connect<Upstream>({
    hostname: "127.0.0.1",
    port: backendPort,
    data: fresh,
    socket: {
      open(s) {
        fresh.socket = s;
        send(fresh, call);
      },
      data(s, chunk) {
        const u = s.data;
        const buf = u.rest ? Buffer.concat([u.rest, chunk]) : chunk;
        const end = buf.indexOf(HEAD_END);
        const head = end < 0 ? "" : buf.toString("latin1", 0, end);
        const at = head.toLowerCase().indexOf("content-length:");
        const length = at < 0 ? 0 : Number.parseInt(head.slice(at + 15), 10);
        if (end < 0 || buf.length < end + 4 + length) {
          u.rest = buf;
          return;
        }
        u.rest = null;
        const done = u.answer!;
        u.answer = null;
        const next = queued.shift();
        if (next) send(u, next);
        else idle.push(u);
        done(head, buf.subarray(end + 4, end + 4 + length));
      },
      close(s) {
        // the backend closes idle keep-alive sockets (Bun.serve after 10 s): forget this one, and resend
        // what it was carrying on another
        opened--;
        const i = idle.indexOf(s.data);
        if (i >= 0) idle.splice(i, 1);
        const pending = s.data.answer;
        s.data.answer = null;
        if (pending) upstreamGet({ path: s.data.path, answer: pending });
      },
    },
  });
}

/** The floor of a merge: both backends in parallel, their JSON objects merged into one answer. */
function merge(s: Socket<{ rest: Buffer | null }>): void {
  let first: Record<string, unknown> | null = null;
  const arrived = (_head: string, body: Buffer) => {
    const data = JSON.parse(body.toString()) as Record<string, unknown>;
    if (first === null) {
      first = data;
      return;
    }
    const text = JSON.stringify(Object.assign(first, data));
    s.write(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  };
  upstreamGet({ path: "/profile", answer: arrived });
  upstreamGet({ path: "/orders", answer: arrived });
}

Bun.listen<{ rest: Buffer | null }>({
  hostname: "127.0.0.1",
  port: Number(portArg),
  socket: {
    open(s) {
      s.data = { rest: null };
    },
    data(s, chunk) {
      let buf = s.data.rest ? Buffer.concat([s.data.rest, chunk]) : chunk;
      for (let end = buf.indexOf(HEAD_END); end >= 0; end = buf.indexOf(HEAD_END)) {
        const target = buf.toString("latin1", 0, end).split(" ", 2)[1];
        buf = buf.subarray(end + 4);
        if (target === "/__health") {
          s.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
          continue;
        }
        if (target === "/merge") {
          merge(s);
          continue;
        }
        upstreamGet({
          path: "/json",
          answer: (_head, body) => {
            const out = Buffer.allocUnsafe(128 + body.length);
            const n = out.write(
              `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
            );
            body.copy(out, n);
            s.write(out.subarray(0, n + body.length));
          },
        });
      }
      s.data.rest = buf.length ? buf : null;
    },
  },
});
console.log(`ready ${portArg}`);
