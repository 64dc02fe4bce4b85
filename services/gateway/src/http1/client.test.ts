import { afterAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import {
  Http1Agent,
  type Http1Request,
  type Http1Response,
  UpstreamNetworkError,
  UpstreamTooLargeError,
} from "./client.ts";

const stoppers: (() => void)[] = [];
afterAll(() => {
  for (const stop of stoppers.splice(0)) stop();
});

/** A real Bun.serve backend that records the client ports it saw. */
function serve(fetch: (req: Request) => Response | Promise<Response>) {
  const ports = new Set<number>();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, srv) {
      ports.add(srv.requestIP(req)!.port);
      return fetch(req);
    },
  });
  stoppers.push(() => server.stop(true));
  return { origin: `http://127.0.0.1:${server.port}`, ports };
}

/** A raw TCP server answering each request with `answer(requestText, socket)`. */
function rawServer(answer: (text: string, socket: Socket<{ n: number }>) => void) {
  let accepted = 0;
  const listener = Bun.listen<{ n: number }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        accepted++;
        s.data = { n: 0 };
      },
      data(s, chunk) {
        s.data.n++;
        answer(chunk.toString("latin1"), s);
      },
    },
  });
  stoppers.push(() => listener.stop(true));
  return { origin: `http://127.0.0.1:${listener.port}`, accepted: () => accepted };
}

const get = (path: string, over: Partial<Http1Request> = {}): Http1Request => ({
  method: "GET",
  path,
  headers: {},
  body: null,
  deadline: performance.now() + 2000,
  maxBytes: Number.POSITIVE_INFINITY,
  stream: false,
  ...over,
});

async function text(res: Http1Response): Promise<string> {
  if (res.body === null) return "";
  if (res.body instanceof ReadableStream) return new Response(res.body).text();
  return new TextDecoder().decode(res.body);
}

const header = (res: Http1Response, name: string) => {
  const i = res.headers.indexOf(name);
  return i >= 0 && i % 2 === 0 ? res.headers[i + 1] : undefined;
};

describe("http1 client", () => {
  const agent = new Http1Agent({ maxSockets: 4 });
  afterAll(() => agent.close());

  test("a Content-Length answer arrives whole, and the socket is reused for the next request", async () => {
    const be = serve((req) => Response.json({ path: new URL(req.url).pathname }, { headers: { "x-a": "1" } }));
    for (let i = 0; i < 5; i++) {
      const res = await agent.request(be.origin, get(`/n/${i}`));
      expect(res.status).toBe(200);
      expect(header(res, "x-a")).toBe("1");
      expect(JSON.parse(await text(res))).toEqual({ path: `/n/${i}` });
    }
    expect(be.ports.size).toBe(1);
    expect(agent.connectionsOpened(be.origin)).toBe(1);
  });

  test("a sink gets its answer after the socket is back in the pool, so a request it sends reuses that socket", async () => {
    const own = new Http1Agent({ maxSockets: 4 });
    const be = serve((req) => new Response(new URL(req.url).pathname));
    const second = await new Promise<Http1Response>((resolve, reject) => {
      own.send(be.origin, get("/first"), {
        answer(first) {
          // sent from inside the first answer's socket callback
          if (first.status !== 200) reject(new Error(`first answered ${first.status}`));
          else own.send(be.origin, get("/second"), { answer: resolve, fail: reject });
        },
        fail: reject,
      });
    });
    expect(await text(second)).toBe("/second");
    expect(own.connectionsOpened(be.origin)).toBe(1);
    expect(be.ports.size).toBe(1);
    own.close();
  });

  test("an idle socket older than idleMs is not reused, a younger one is", async () => {
    const own = new Http1Agent({ idleMs: 60, sweepMs: 5 });
    const be = serve(() => new Response("ok"));
    await own.request(be.origin, get("/a"));
    await own.request(be.origin, get("/b"));
    expect(own.connectionsOpened(be.origin)).toBe(1);
    await Bun.sleep(150);
    await own.request(be.origin, get("/c"));
    expect(own.connectionsOpened(be.origin)).toBe(2);
    // while requests keep coming the age is read from a clock the sweep refreshes: a busy socket stays in use
    for (let i = 0; i < 20; i++) {
      await own.request(be.origin, get(`/d${i}`));
      await Bun.sleep(10);
    }
    expect(own.connectionsOpened(be.origin)).toBe(2);
    own.close();
  });

  test("a request that cannot be written fails its sink before send returns", () => {
    const failures: unknown[] = [];
    agent.send("http://127.0.0.1:9", get("/bad target"), { answer: () => {}, fail: (err) => failures.push(err) });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(UpstreamNetworkError);
  });

  test("request headers, query and a POST body reach the backend byte for byte", async () => {
    const be = serve(async (req) =>
      Response.json({
        method: req.method,
        url: req.url.slice(req.url.indexOf("/", 8)),
        x: req.headers.get("x-user-id"),
        host: req.headers.get("host"),
        body: await req.text(),
      }),
    );
    const body = new TextEncoder().encode('{"qty":2,"name":"Grüße"}');
    const res = await agent.request(
      be.origin,
      get("/orders?a=1&b=%20x", { method: "POST", headers: { "x-user-id": "u-7" }, body }),
    );
    expect(JSON.parse(await text(res))).toEqual({
      method: "POST",
      url: "/orders?a=1&b=%20x",
      x: "u-7",
      host: be.origin.slice(7),
      body: '{"qty":2,"name":"Grüße"}',
    });
  });

  test("chunked answers are decoded, buffered or streamed", async () => {
    const be = serve(
      () =>
        new Response(
          new ReadableStream({
            async start(c) {
              c.enqueue(new TextEncoder().encode("hello "));
              await Bun.sleep(5);
              c.enqueue(new TextEncoder().encode("chunked "));
              await Bun.sleep(5);
              c.enqueue(new TextEncoder().encode("world"));
              c.close();
            },
          }),
        ),
    );
    const buffered = await agent.request(be.origin, get("/"));
    expect(buffered.body).toBeInstanceOf(Uint8Array);
    expect(await text(buffered)).toBe("hello chunked world");
    const streamed = await agent.request(be.origin, get("/", { stream: true }));
    expect(streamed.body).toBeInstanceOf(ReadableStream);
    expect(await text(streamed)).toBe("hello chunked world");
    // both exchanges went over the same keep-alive socket
    expect(be.ports.size).toBe(1);
  });

  test("chunk framing split at every byte boundary is still decoded", async () => {
    const body = "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n";
    const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
    const be = rawServer((_t, s) => {
      void (async () => {
        for (let i = 0; i < wire.length; i += 3) {
          s.write(wire.slice(i, i + 3));
          s.flush();
          await Bun.sleep(1);
        }
      })();
    });
    const res = await agent.request(be.origin, get("/"));
    expect(await text(res)).toBe("Wikipedia in \r\n\r\nchunks.");
  });

  test("a large body is streamed when asked, and counted against the limit when buffered", async () => {
    const big = "x".repeat(3 * 1024 * 1024);
    const be = serve(() => new Response(big));
    const streamed = await agent.request(be.origin, get("/", { stream: true }));
    expect(streamed.body).toBeInstanceOf(ReadableStream);
    expect((await text(streamed)).length).toBe(big.length);
    const whole = await agent.request(be.origin, get("/"));
    expect((whole.body as Uint8Array).byteLength).toBe(big.length);
    await expect(agent.request(be.origin, get("/", { maxBytes: 1024 * 1024 }))).rejects.toBeInstanceOf(
      UpstreamTooLargeError,
    );
    // the limit also holds for chunked answers, whose size is unknown up front
    const chunkedBig = serve(
      () =>
        new Response(
          new ReadableStream({
            start(c) {
              for (let i = 0; i < 40; i++) c.enqueue(new Uint8Array(64 * 1024));
              c.close();
            },
          }),
        ),
    );
    await expect(agent.request(chunkedBig.origin, get("/", { maxBytes: 1024 * 1024 }))).rejects.toBeInstanceOf(
      UpstreamTooLargeError,
    );
  });

  test("a server answering Connection: close gets a new socket for the next request", async () => {
    const be = serve(() => new Response("bye", { headers: { connection: "close" } }));
    expect(await text(await agent.request(be.origin, get("/")))).toBe("bye");
    expect(await text(await agent.request(be.origin, get("/")))).toBe("bye");
    expect(be.ports.size).toBe(2);
  });

  test("a body delimited by the end of the connection is read to the end", async () => {
    const be = rawServer((_t, s) => {
      s.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end");
      s.end();
    });
    expect(await text(await agent.request(be.origin, get("/")))).toBe("until the end");
  });

  test("a reused socket the server closes without answering is retried once on a fresh one (GET only)", async () => {
    // like a server that ends idle keep-alive connections: the second request on a connection is dropped
    const be = rawServer((_t, s) => {
      if (s.data.n >= 2) s.end();
      else s.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    });
    const local = new Http1Agent({ maxSockets: 1 });
    expect(await text(await local.request(be.origin, get("/")))).toBe("ok");
    expect(await text(await local.request(be.origin, get("/")))).toBe("ok");
    expect(be.accepted()).toBe(2);
    // a fresh socket that fails is not retried: the error reaches the caller
    const once = rawServer((_t, s) => s.end());
    await expect(local.request(once.origin, get("/"))).rejects.toBeInstanceOf(UpstreamNetworkError);
    expect(once.accepted()).toBe(1);
    local.close();
  });

  test("a POST on a socket the server closed mid-request is not retried", async () => {
    const be = rawServer((t, s) => {
      if (t.startsWith("POST")) s.end();
      else s.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    });
    const local = new Http1Agent({ maxSockets: 1 });
    await local.request(be.origin, get("/"));
    const post = local.request(be.origin, get("/", { method: "POST", body: new Uint8Array([1]) }));
    await expect(post).rejects.toBeInstanceOf(UpstreamNetworkError);
    expect(be.accepted()).toBe(1);
    local.close();
  });

  test("a slow backend fails with a TimeoutError at the deadline and its socket is not reused", async () => {
    const be = serve(async (req) => {
      if (req.url.endsWith("/slow")) await Bun.sleep(500);
      return new Response("late");
    });
    const started = performance.now();
    const err = await agent.request(be.origin, get("/slow", { deadline: performance.now() + 80 })).catch((e) => e);
    expect((err as Error).name).toBe("TimeoutError");
    expect(performance.now() - started).toBeLessThan(300);
    expect(await text(await agent.request(be.origin, get("/fast")))).toBe("late");
  });

  test("a request queued behind a busy socket fails at its own deadline and is never sent", async () => {
    const paths: string[] = [];
    const be = serve(async (req) => {
      paths.push(new URL(req.url).pathname);
      await Bun.sleep(400);
      return new Response("late");
    });
    const one = new Http1Agent({ maxSockets: 1 });
    const started = performance.now();
    const [busy, queued] = await Promise.all([
      one.request(be.origin, get("/busy", { deadline: performance.now() + 100 })).catch((e) => e),
      one.request(be.origin, get("/queued", { deadline: performance.now() + 60 })).catch((e) => e),
    ]);
    expect((busy as Error).name).toBe("TimeoutError");
    expect((queued as Error).name).toBe("TimeoutError");
    expect(performance.now() - started).toBeLessThan(350);
    expect(one.pending).toBe(0);
    await Bun.sleep(50);
    expect(paths).toEqual(["/busy"]);
    one.close();
  });

  test("close fails the requests in flight and the queued ones with network errors", async () => {
    const be = serve(async () => {
      await Bun.sleep(300);
      return new Response("late");
    });
    const one = new Http1Agent({ maxSockets: 1 });
    const calls = [one.request(be.origin, get("/a")), one.request(be.origin, get("/b"))].map((p) => p.catch((e) => e));
    await Bun.sleep(30);
    one.close();
    const [a, b] = await Promise.all(calls);
    expect(a).toBeInstanceOf(UpstreamNetworkError);
    expect(b).toBeInstanceOf(UpstreamNetworkError);
    expect(one.pending).toBe(0);
  });

  test("HEAD, 204 and 304 answers have no body and keep the socket usable", async () => {
    const be = serve((req) => {
      if (req.url.endsWith("/204")) return new Response(null, { status: 204 });
      if (req.url.endsWith("/304")) return new Response(null, { status: 304, headers: { etag: '"v1"' } });
      return new Response("body text");
    });
    const head = await agent.request(be.origin, get("/", { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect((await agent.request(be.origin, get("/204"))).status).toBe(204);
    const notModified = await agent.request(be.origin, get("/304", { headers: { "if-none-match": '"v1"' } }));
    expect(notModified.status).toBe(304);
    expect(await text(await agent.request(be.origin, get("/")))).toBe("body text");
    expect(be.ports.size).toBe(1);
  });

  test("more concurrent requests than sockets queue instead of opening more connections", async () => {
    const be = serve(async () => {
      await Bun.sleep(5);
      return new Response("q");
    });
    const local = new Http1Agent({ maxSockets: 3 });
    const all = await Promise.all(Array.from({ length: 30 }, () => local.request(be.origin, get("/"))));
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(local.connectionsOpened(be.origin)).toBe(3);
    local.close();
  });

  test("a refused connection and a malformed answer fail as network errors", async () => {
    const refused = serve(() => new Response());
    const origin = refused.origin;
    for (const stop of stoppers.splice(-1)) stop();
    await expect(agent.request(origin, get("/"))).rejects.toBeInstanceOf(UpstreamNetworkError);
    const garbage = rawServer((_t, s) => {
      s.write("HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd");
    });
    await expect(agent.request(garbage.origin, get("/"))).rejects.toBeInstanceOf(UpstreamNetworkError);
  });

  test("an answer whose head holds a bare LF, a bare CR, a NUL or a header without a token name is refused", async () => {
    const heads = [
      "HTTP/1.1 200 OK\r\nx-a: 1\nx-injected: 2\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nx-a: 1\rx-injected: 2\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nx-a: 1\0\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nx a: 1\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\n folded: 1\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\nx-a: 1\r\ncontent-length: 2\r\n\r\nok",
    ];
    for (const head of heads) {
      const be = rawServer((_t, s) => {
        s.write(head);
      });
      await expect(agent.request(be.origin, get("/"))).rejects.toBeInstanceOf(UpstreamNetworkError);
    }
    const fine = rawServer((_t, s) => {
      s.write("HTTP/1.1 200 OK\r\nX-A:\t 1 \t\r\nContent-Length: 2\r\n\r\nok");
    });
    const res = await agent.request(fine.origin, get("/"));
    expect(res.headers).toEqual(["x-a", "1", "content-length", "2"]);
    expect(res.contentLength).toBe(2);
  });

  test("an answer with an unknown version, a protocol switch, an oversized head or too many headers is refused", async () => {
    const many = Array.from({ length: 300 }, (_, i) => `x-${i}: 1\r\n`).join("");
    const heads = [
      "HTTP/1.9 200 OK\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
      `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(70 * 1024)}\r\ncontent-length: 2\r\n\r\nok`,
      `HTTP/1.1 200 OK\r\n${many}content-length: 2\r\n\r\nok`,
    ];
    for (const head of heads) {
      const be = rawServer((_t, s) => {
        s.write(head);
      });
      await expect(agent.request(be.origin, get("/"))).rejects.toBeInstanceOf(UpstreamNetworkError);
    }
  });

  test("only a final chunked coding frames an answer as chunked ('xchunked' does not)", async () => {
    const be = rawServer((_t, s) => {
      s.write("HTTP/1.1 200 OK\r\ntransfer-encoding: xchunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
      s.end();
    });
    const res = await agent.request(be.origin, get("/"));
    // not chunked: the body runs to the end of the connection, framing bytes and all
    expect(await text(res)).toBe("2\r\nok\r\n0\r\n\r\n");
    const chunked = rawServer((_t, s) => {
      s.write("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked \r\n\r\n2\r\nok\r\n0\r\n\r\n");
    });
    expect(await text(await agent.request(chunked.origin, get("/")))).toBe("ok");
  });

  test("a header value with a line break is refused before anything is sent", async () => {
    const be = serve(() => new Response("never"));
    await expect(agent.request(be.origin, get("/", { headers: { "x-a": "1\r\nx-b: 2" } }))).rejects.toBeInstanceOf(
      UpstreamNetworkError,
    );
    expect(be.ports.size).toBe(0);
  });
});
