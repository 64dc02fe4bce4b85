import { afterEach, describe, expect, test } from "bun:test";
import { once } from "node:events";
import net from "node:net";
import { transportProblem } from "../proxy/problem.ts";
import type { Answer } from "../transport/transport.ts";
import {
  type Http1Handler,
  type Http1Server,
  type Http1ServerOptions,
  type IncomingRequest,
  listenHttp1,
} from "./server.ts";

const servers: Http1Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop(true)));
});

function start(handler: Http1Handler, opts: Partial<Http1ServerOptions> = {}): Http1Server {
  const server = listenHttp1({ port: 0, hostname: "127.0.0.1", handler, problem: transportProblem, ...opts });
  servers.push(server);
  return server;
}

const ok = (body: Answer["body"] = "ok", headers: string[] = []): Answer => ({
  status: 200,
  headers,
  body,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw TCP client that records every byte the server sends. */
class RawClient {
  private readonly received: Buffer[] = [];
  private waiters: (() => void)[] = [];
  bytes = 0;
  closed = false;
  /** Bytes of the first `data` event. */
  first: Buffer | null = null;

  constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      this.first ??= d;
      this.received.push(d);
      this.bytes += d.length;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static async open(port: number, allowHalfOpen = false): Promise<RawClient> {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen });
    await once(socket, "connect");
    return new RawClient(socket);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(data: string | Uint8Array): void {
    this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  text(): string {
    return Buffer.concat(this.received).toString("latin1");
  }

  async waitFor(what: string, done: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(this.text())}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until `n` complete responses arrived and returns them. */
  async responses(n: number, ms = 3000): Promise<ParsedResponse[]> {
    await this.waitFor(`${n} responses`, () => parseResponses(this.text()).length >= n, ms);
    return parseResponses(this.text());
  }

  untilClosed(ms = 3000): Promise<void> {
    return this.waitFor("the connection to close", () => this.closed, ms);
  }

  close(): void {
    this.socket.destroy();
  }
}

interface ParsedResponse {
  status: number;
  statusLine: string;
  headers: [string, string][];
  body: string;
}

const headerOf = (res: ParsedResponse, name: string) => res.headers.find(([n]) => n === name)?.[1];

/** Splits raw bytes into complete responses (Content-Length or chunked bodies; 1xx, 204 and 304 without one). */
function parseResponses(raw: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let pos = 0;
  for (;;) {
    const end = raw.indexOf("\r\n\r\n", pos);
    if (end < 0) return out;
    const lines = raw.slice(pos, end).split("\r\n");
    const statusLine = lines[0]!;
    const status = Number(statusLine.split(" ")[1]);
    const headers = lines.slice(1).map((l): [string, string] => {
      const i = l.indexOf(":");
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    });
    const res: ParsedResponse = { status, statusLine, headers, body: "" };
    pos = end + 4;
    const length = headerOf(res, "content-length");
    if (headerOf(res, "transfer-encoding") === "chunked") {
      for (;;) {
        const lineEnd = raw.indexOf("\r\n", pos);
        if (lineEnd < 0) return out;
        const size = Number.parseInt(raw.slice(pos, lineEnd), 16);
        if (raw.length < lineEnd + 2 + size + 2) return out;
        res.body += raw.slice(lineEnd + 2, lineEnd + 2 + size);
        pos = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
    } else if (length !== undefined && status >= 200 && status !== 204 && status !== 304) {
      if (raw.length < pos + Number(length)) return out;
      res.body = raw.slice(pos, pos + Number(length));
      pos += Number(length);
    }
    out.push(res);
  }
}

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

describe("listening", () => {
  test("a port another process listens on fails with the address and EADDRINUSE, not Bun's bare message", () => {
    const taken = start(() => ({ status: 204, headers: [], body: null }));
    let thrown: unknown;
    try {
      listenHttp1({
        port: taken.port,
        hostname: "127.0.0.1",
        handler: () => ({ status: 204, headers: [], body: null }),
        problem: transportProblem,
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe(
      `cannot listen on 127.0.0.1:${taken.port}: the address is already in use (another process listens there)`,
    );
    expect((thrown as { code?: string }).code).toBe("EADDRINUSE");
  });
});

describe("requests and keep-alive", () => {
  test("a GET is answered with the status line, the handler's headers, content-length, a date and the body", async () => {
    const server = start(() => ok(new TextEncoder().encode("hello"), ["content-type", "text/plain"]));
    const client = await RawClient.open(server.port);
    client.send(get("/"));
    const [res] = await client.responses(1);
    expect(res!.statusLine).toBe("HTTP/1.1 200 OK");
    expect(headerOf(res!, "content-type")).toBe("text/plain");
    expect(headerOf(res!, "content-length")).toBe("5");
    expect(headerOf(res!, "connection")).toBeUndefined();
    const date = headerOf(res!, "date")!;
    expect(date).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(3000);
    expect(res!.body).toBe("hello");
    client.close();
  });

  test("the handler sees method, target, path, query, headers, client address, version and body framing", async () => {
    const seen: IncomingRequest[] = [];
    const server = start((req) => {
      seen.push(req);
      return ok("done", ["x-echo", req.headers.get("x-a") ?? ""]);
    });
    const res = await fetch(`http://127.0.0.1:${server.port}/a/b%20c?x=1&y=2`, { headers: { "X-A": "  v1 " } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-echo")).toBe("v1");
    expect(await res.text()).toBe("done");
    const req = seen[0]!;
    expect(req.method).toBe("GET");
    expect(req.target).toBe("/a/b%20c?x=1&y=2");
    expect(req.path).toBe("/a/b%20c");
    expect(req.query).toBe("x=1&y=2");
    expect(req.clientIp).toBe("127.0.0.1");
    expect(req.httpVersion).toBe("1.1");
    expect(req.hasBody).toBe(false);
    expect(req.contentLength).toBe(0);
    expect(req.headers.has("X-A")).toBe(true);
    expect(req.headers.get("host")).toBe(`127.0.0.1:${server.port}`);
  });

  test("repeated headers keep their order; get joins them with commas, cookies with semicolons, set-cookie not at all", async () => {
    let headers: IncomingRequest["headers"] | null = null;
    const server = start((req) => {
      headers = req.headers;
      return ok();
    });
    const client = await RawClient.open(server.port);
    client.send(
      "GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\nx-a:2\r\nCookie: a=1\r\nCOOKIE: b=2\r\n" +
        "Set-Cookie: s=1\r\nSet-Cookie: s=2\r\nX-Pad: \t v \t\r\n\r\n",
    );
    await client.responses(1);
    const h = headers!;
    expect(h.get("x-a")).toBe("1, 2");
    expect(h.get("cookie")).toBe("a=1; b=2");
    expect(h.get("set-cookie")).toBe("s=1");
    expect(h.get("x-pad")).toBe("v");
    expect(h.get("absent")).toBeNull();
    expect(h.has("absent")).toBe(false);
    expect([...h.pairs]).toEqual([
      ...["host", "t", "x-a", "1", "x-a", "2", "cookie", "a=1", "cookie", "b=2"],
      ...["set-cookie", "s=1", "set-cookie", "s=2", "x-pad", "v"],
    ]);
    client.close();
  });

  test("an HTTP/1.1 connection is kept alive across requests", async () => {
    let n = 0;
    const server = start(() => ok(`n${++n}`));
    const client = await RawClient.open(server.port);
    client.send(get("/1"));
    await client.responses(1);
    client.send(get("/2"));
    const [a, b] = await client.responses(2);
    expect([a!.body, b!.body]).toEqual(["n1", "n2"]);
    expect(client.closed).toBe(false);
    client.close();
  });

  test("Connection: close from the client is answered with connection: close and the socket is closed", async () => {
    const server = start(() => ok());
    const client = await RawClient.open(server.port);
    client.send(get("/", "Connection: close\r\n"));
    await client.untilClosed();
    const [res] = parseResponses(client.text());
    expect(headerOf(res!, "connection")).toBe("close");
    expect(res!.body).toBe("ok");
  });

  test("an HTTP/1.0 request without keep-alive gets one answer with connection: close, then the socket closes", async () => {
    const seen: string[] = [];
    const server = start((req) => {
      seen.push(req.httpVersion);
      return ok();
    });
    const client = await RawClient.open(server.port);
    client.send("GET / HTTP/1.0\r\n\r\n");
    await client.untilClosed();
    const [res] = parseResponses(client.text());
    expect(res!.statusLine).toBe("HTTP/1.1 200 OK");
    expect(headerOf(res!, "connection")).toBe("close");
    expect(seen).toEqual(["1.0"]);
  });

  test("an HTTP/1.0 request with Connection: keep-alive is answered with connection: keep-alive and the socket stays open", async () => {
    const server = start(() => ok());
    const client = await RawClient.open(server.port);
    client.send("GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const [res] = await client.responses(1);
    expect(headerOf(res!, "connection")).toBe("keep-alive");
    client.send("GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    await client.responses(2);
    expect(client.closed).toBe(false);
    client.close();
  });

  test("pipelined requests in one write are answered in order, one at a time", async () => {
    let active = 0;
    let maxActive = 0;
    const delays: Record<string, number> = { "/a": 40, "/b": 10, "/c": 0 };
    const server = start(async (req) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(delays[req.path]!);
      active--;
      return ok(req.path);
    });
    const client = await RawClient.open(server.port);
    client.send(get("/a") + get("/b") + get("/c"));
    const res = await client.responses(3);
    expect(res.map((r) => r.body)).toEqual(["/a", "/b", "/c"]);
    expect(maxActive).toBe(1);
    client.close();
  });

  test("a request that arrives in many small pieces is handled once it is complete", async () => {
    const paths: string[] = [];
    const server = start((req) => {
      paths.push(req.path);
      return ok();
    });
    const client = await RawClient.open(server.port);
    const raw = get("/pieces", "X-Long: abcdefghijklmnopqrstuvwxyz\r\n");
    for (let i = 0; i < raw.length; i += 7) {
      client.send(raw.slice(i, i + 7));
      await sleep(1);
    }
    await client.responses(1);
    expect(paths).toEqual(["/pieces"]);
    client.close();
  });

  test("an absolute-form target is answered using its path and query, and OPTIONS * is accepted", async () => {
    const seen: [string, string, string][] = [];
    const server = start((req) => {
      seen.push([req.target, req.path, req.query]);
      return ok();
    });
    const client = await RawClient.open(server.port);
    client.send("GET http://example.com/a/b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
    client.send("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
    client.send("OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n");
    const res = await client.responses(3);
    expect(res.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(seen).toEqual([
      ["/a/b?x=1", "/a/b", "x=1"],
      ["/", "/", ""],
      ["*", "*", ""],
    ]);
    client.close();
  });

  test("a client that half-closes after its request still gets the answer", async () => {
    const server = start(() => ok("bye"));
    const client = await RawClient.open(server.port, true);
    client.send(get("/"));
    client.socket.end();
    await client.untilClosed();
    expect(parseResponses(client.text())[0]!.body).toBe("bye");
  });

  test("clientIp gives an IPv4-mapped IPv6 peer as plain IPv4", async () => {
    const ips: string[] = [];
    let server: Http1Server;
    try {
      server = start(
        (req) => {
          ips.push(req.clientIp);
          return ok();
        },
        { hostname: "::" },
      );
    } catch {
      return; // no IPv6 on this host
    }
    const client = await RawClient.open(server.port);
    client.send(get("/"));
    await client.responses(1);
    expect(ips).toEqual(["127.0.0.1"]);
    client.close();
  });
});

describe("strict parsing", () => {
  const host = "Host: t\r\n";
  const refused: [string, number, string][] = [
    ["a request line without a version", 400, `GET /\r\n${host}\r\n`],
    ["a lower-case protocol name", 400, `GET / http/1.1\r\n${host}\r\n`],
    ["two spaces in the request line", 400, `GET  / HTTP/1.1\r\n${host}\r\n`],
    ["a method with a character outside the token set", 400, `GE(T / HTTP/1.1\r\n${host}\r\n`],
    ["a target that does not start with a slash", 400, `GET a/b HTTP/1.1\r\n${host}\r\n`],
    ["an asterisk target outside OPTIONS", 400, `GET * HTTP/1.1\r\n${host}\r\n`],
    ["a control character in the target", 400, `GET /a\tb HTTP/1.1\r\n${host}\r\n`],
    ["a fragment in the target", 400, `GET /users/42# HTTP/1.1\r\n${host}\r\n`],
    ["a raw backslash in the target's path", 400, `GET /files/..\\..\\admin HTTP/1.1\r\n${host}\r\n`],
    ["HTTP/2.0 in the request line", 505, `GET / HTTP/2.0\r\n${host}\r\n`],
    ["a header line without a colon", 400, `GET / HTTP/1.1\r\n${host}X-A b\r\n\r\n`],
    ["whitespace before the colon", 400, `GET / HTTP/1.1\r\nHost : t\r\n\r\n`],
    ["a header name with a character outside the token set", 400, `GET / HTTP/1.1\r\n${host}X(A): b\r\n\r\n`],
    ["a bare CR in a header value", 400, `GET / HTTP/1.1\r\n${host}X-A: b\rc\r\n\r\n`],
    ["a bare LF in a header value", 400, `GET / HTTP/1.1\r\n${host}X-A: b\nX-B: c\r\n\r\n`],
    ["a NUL in a header value", 400, `GET / HTTP/1.1\r\n${host}X-A: b\0c\r\n\r\n`],
    ["an obs-fold continuation line", 400, `GET / HTTP/1.1\r\n${host}X-A: b\r\n c\r\n\r\n`],
    [
      "Content-Length together with Transfer-Encoding",
      400,
      `POST / HTTP/1.1\r\n${host}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ],
    [
      "two different Content-Length headers",
      400,
      `POST / HTTP/1.1\r\n${host}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`,
    ],
    ["a Content-Length list with different values", 400, `POST / HTTP/1.1\r\n${host}Content-Length: 5, 6\r\n\r\n`],
    ["a Content-Length with a sign", 400, `POST / HTTP/1.1\r\n${host}Content-Length: +5\r\n\r\nhello`],
    ["a Content-Length that is not a number", 400, `POST / HTTP/1.1\r\n${host}Content-Length: 0x5\r\n\r\nhello`],
    ["an unknown transfer coding", 501, `POST / HTTP/1.1\r\n${host}Transfer-Encoding: gzip\r\n\r\n`],
    ["chunked applied twice", 400, `POST / HTTP/1.1\r\n${host}Transfer-Encoding: chunked, chunked\r\n\r\n`],
    ["Transfer-Encoding in an HTTP/1.0 request", 400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
    ["an HTTP/1.1 request without Host", 400, "GET / HTTP/1.1\r\nX-A: b\r\n\r\n"],
    ["two Host headers", 400, `GET / HTTP/1.1\r\n${host}Host: u\r\n\r\n`],
    ["a Host with a space", 400, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"],
    ["a Host with a non-ASCII byte", 400, "GET / HTTP/1.1\r\nHost: caf\xe9.example\r\n\r\n"],
    ["a Host with a path", 400, "GET / HTTP/1.1\r\nHost: a.example/x\r\n\r\n"],
  ];

  test.each(refused)(
    "%s is answered %d without calling the handler, and the connection closes",
    async (_, status, raw) => {
      let calls = 0;
      const server = start(() => {
        calls++;
        return ok();
      });
      const client = await RawClient.open(server.port);
      client.send(raw + get("/next"));
      await client.untilClosed();
      const res = parseResponses(client.text());
      expect(res).toHaveLength(1);
      expect(res[0]!.status).toBe(status);
      expect(headerOf(res[0]!, "content-type")).toBe("application/problem+json");
      expect(headerOf(res[0]!, "connection")).toBe("close");
      expect(calls).toBe(0);
    },
  );

  test("a raw backslash in the query is data and reaches the handler as sent", async () => {
    const targets: string[] = [];
    const server = start((req) => {
      targets.push(req.target);
      return ok();
    });
    const client = await RawClient.open(server.port);
    client.send(`GET /search?q=a\\b HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
    await client.untilClosed();
    expect(parseResponses(client.text())[0]!.status).toBe(200);
    expect(targets).toEqual(["/search?q=a\\b"]);
  });

  test("a refusal is the gateway's problem+json document naming the status, the reason and a request id", async () => {
    const server = start(() => ok());
    const client = await RawClient.open(server.port);
    client.send("GET / HTTP/1.1\r\n\r\n");
    await client.untilClosed();
    const [res] = parseResponses(client.text());
    expect(res!.statusLine).toBe("HTTP/1.1 400 Bad Request");
    const body = JSON.parse(res!.body);
    expect(headerOf(res!, "x-request-id")).toBe(body.requestId);
    expect(body).toMatchObject({
      type: "https://errors.shop.local/invalid_argument",
      title: "Invalid request",
      status: 400,
      detail: "missing Host header",
      code: "invalid_argument",
    });
  });

  test("identical repeated Content-Length values are accepted", async () => {
    const server = start(async (req) => ok(await req.readBody(100)));
    const client = await RawClient.open(server.port);
    client.send(`POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5, 5\r\n\r\nhello`);
    const [res] = await client.responses(1);
    expect(res!.body).toBe("hello");
    client.close();
  });

  test("a header section over maxHeaderBytes is answered 431, whether or not its end arrived", async () => {
    const server = start(() => ok(), { maxHeaderBytes: 1024 });
    const whole = await RawClient.open(server.port);
    whole.send(get("/", `X-Big: ${"a".repeat(2000)}\r\n`));
    await whole.untilClosed();
    expect(parseResponses(whole.text())[0]!.status).toBe(431);

    const endless = await RawClient.open(server.port);
    endless.send(`GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${"a".repeat(2000)}`);
    await endless.untilClosed();
    expect(parseResponses(endless.text())[0]!.statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
  });

  test("more header lines than maxHeaders is answered 431", async () => {
    const server = start(() => ok(), { maxHeaders: 5 });
    const client = await RawClient.open(server.port);
    let extra = "";
    for (let i = 0; i < 10; i++) extra += `X-H${i}: v\r\n`;
    client.send(get("/", extra));
    await client.untilClosed();
    expect(parseResponses(client.text())[0]!.status).toBe(431);
  });

  test("a request hidden in an unread Content-Length body is skipped, and the next real request is answered", async () => {
    const paths: string[] = [];
    const server = start((req) => {
      paths.push(req.path);
      return ok(req.path);
    });
    const client = await RawClient.open(server.port);
    const hidden = get("/smuggled");
    client.send(`POST /first HTTP/1.1\r\nHost: t\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}${get("/next")}`);
    const res = await client.responses(2);
    expect(res.map((r) => r.body)).toEqual(["/first", "/next"]);
    expect(paths).toEqual(["/first", "/next"]);
    client.close();
  });

  test("an unread chunked body closes the connection after the answer, so a request inside it is never parsed", async () => {
    const paths: string[] = [];
    const server = start((req) => {
      paths.push(req.path);
      return ok();
    });
    const client = await RawClient.open(server.port);
    const hidden = get("/smuggled");
    client.send(
      `POST /first HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`,
    );
    await client.untilClosed();
    const res = parseResponses(client.text());
    expect(res).toHaveLength(1);
    expect(headerOf(res[0]!, "connection")).toBe("close");
    expect(paths).toEqual(["/first"]);
  });

  test("an unread Content-Length body larger than 64 KiB closes the connection after the answer", async () => {
    const server = start(() => ({ status: 403, headers: [], body: null }));
    const client = await RawClient.open(server.port);
    client.send(`POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ${1024 * 1024}\r\n\r\n${"x".repeat(1000)}`);
    await client.untilClosed();
    const [res] = parseResponses(client.text());
    expect(res!.status).toBe(403);
    expect(headerOf(res!, "connection")).toBe("close");
  });
});

describe("request bodies", () => {
  test("a Content-Length body is read whole by readBody", async () => {
    const server = start(async (req) => {
      const body = await req.readBody(1024);
      return ok(`${req.contentLength}:${req.hasBody}:${new TextDecoder().decode(body!)}`);
    });
    const res = await fetch(`http://127.0.0.1:${server.port}/`, { method: "POST", body: "hello body" });
    expect(await res.text()).toBe("10:true:hello body");
  });

  test("a chunked body is de-chunked, with chunk extensions and trailers ignored, and the connection is reused", async () => {
    const seen: [boolean, number, string][] = [];
    const server = start(async (req) => {
      const body = await req.readBody(1024);
      seen.push([req.hasBody, req.contentLength, Buffer.from(body!).toString()]);
      return ok("got");
    });
    const client = await RawClient.open(server.port);
    client.send('POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n5;ext=1;b="x"\r\nhello\r\n');
    await sleep(10);
    client.send("6 \t; e\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n");
    client.send(get("/after"));
    const res = await client.responses(2);
    expect(res.map((r) => r.status)).toEqual([200, 200]);
    expect(seen).toEqual([
      [true, -1, "hello world0123456789"],
      [false, 0, ""],
    ]);
    client.close();
  });

  test("calling readBody twice returns the same promise", async () => {
    let same = false;
    const server = start(async (req) => {
      const a = req.readBody(100);
      same = a === req.readBody(100);
      await a;
      return ok();
    });
    await fetch(`http://127.0.0.1:${server.port}/`, { method: "POST", body: "x" });
    expect(same).toBe(true);
  });

  test("a declared Content-Length over the limit resolves null, and the connection closes after the handler's answer", async () => {
    let body: Uint8Array | null | undefined;
    const server = start(async (req) => {
      body = await req.readBody(10);
      return { status: 413, headers: [], body: null };
    });
    const client = await RawClient.open(server.port);
    client.send(`POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n${"x".repeat(100)}${get("/next")}`);
    await client.untilClosed();
    const res = parseResponses(client.text());
    expect(res.map((r) => r.status)).toEqual([413]);
    expect(headerOf(res[0]!, "connection")).toBe("close");
    expect(body).toBeNull();
  });

  test("a chunked body growing over the limit resolves null and the connection closes after the answer", async () => {
    let body: Uint8Array | null | undefined;
    const server = start(async (req) => {
      body = await req.readBody(8);
      return { status: 413, headers: [], body: null };
    });
    const client = await RawClient.open(server.port);
    client.send(
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n",
    );
    await client.untilClosed();
    expect(parseResponses(client.text()).map((r) => r.status)).toEqual([413]);
    expect(body).toBeNull();
  });

  test("malformed chunk syntax is answered 400 by the server and readBody rejects", async () => {
    let failure: unknown = null;
    const errors: unknown[] = [];
    const server = start(
      async (req) => {
        try {
          await req.readBody(1024);
        } catch (err) {
          failure = err;
          throw err;
        }
        return ok();
      },
      { onError: (err) => errors.push(err) },
    );
    const client = await RawClient.open(server.port);
    client.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n");
    await client.untilClosed();
    const res = parseResponses(client.text());
    expect(res.map((r) => r.status)).toEqual([400]);
    expect(JSON.parse(res[0]!.body).detail).toBe("malformed chunk");
    expect(failure).toBeInstanceOf(Error);
    expect(errors).toEqual([]);
  });

  test("a chunk size that is not hex is answered 400", async () => {
    const server = start(async (req) => ok(await req.readBody(1024)));
    const client = await RawClient.open(server.port);
    client.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n");
    await client.untilClosed();
    expect(parseResponses(client.text()).map((r) => r.status)).toEqual([400]);
  });

  test("a malformed trailer after the last chunk is answered 400 and the connection closes", async () => {
    const server = start(async (req) => ok(await req.readBody(1024)));
    const client = await RawClient.open(server.port);
    client.send(
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nbad trailer\r\n\r\n",
    );
    await client.untilClosed();
    const res = parseResponses(client.text());
    expect(res.map((r) => r.status)).toEqual([400]);
    expect(JSON.parse(res[0]!.body).detail).toBe("malformed trailer field");
  });

  test("Expect: 100-continue gets HTTP/1.1 100 Continue when the handler reads the body", async () => {
    const server = start(async (req) => ok(await req.readBody(100)));
    const client = await RawClient.open(server.port);
    client.send("POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    await client.waitFor("100 Continue", () => client.text() === "HTTP/1.1 100 Continue\r\n\r\n");
    client.send("hello");
    const res = await client.responses(2);
    expect(res.map((r) => r.status)).toEqual([100, 200]);
    expect(res[1]!.body).toBe("hello");
    client.close();
  });

  test("Expect: 100-continue gets no 100 Continue when the handler answers without reading, and the connection closes", async () => {
    const server = start(() => ({ status: 401, headers: [], body: "no" }));
    const client = await RawClient.open(server.port);
    client.send("POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    await client.untilClosed();
    expect(client.text()).not.toContain("100 Continue");
    const [res] = parseResponses(client.text());
    expect(res!.status).toBe(401);
    expect(headerOf(res!, "connection")).toBe("close");
  });

  test("a body that stops arriving for idleTimeoutMs is answered 408, readBody rejects, and the connection closes", async () => {
    const outcome = Promise.withResolvers<string>();
    const server = start(
      async (req) => {
        await req.readBody(100).then(
          () => outcome.resolve("resolved"),
          () => outcome.resolve("rejected"),
        );
        return ok();
      },
      { idleTimeoutMs: 200 },
    );
    const client = await RawClient.open(server.port);
    client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    await client.untilClosed();
    expect(parseResponses(client.text()).map((r) => r.status)).toEqual([408]);
    expect(await outcome.promise).toBe("rejected");
  });

  test("a body cut short by the client's half-close is answered 400", async () => {
    const server = start(async (req) => ok(await req.readBody(100)));
    const client = await RawClient.open(server.port, true);
    client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    client.socket.end();
    await client.untilClosed();
    const [res] = parseResponses(client.text());
    expect(res!.status).toBe(400);
    expect(JSON.parse(res!.body).detail).toBe("the body ended early");
  });

  test("a large chunked upload is de-chunked completely", async () => {
    const size = 8 * 1024 * 1024;
    let received: Uint8Array | null = null;
    const server = start(async (req) => {
      received = await req.readBody(16 * 1024 * 1024);
      return ok(String(received?.byteLength));
    });
    const client = await RawClient.open(server.port);
    client.send("PUT /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    const piece = Buffer.alloc(60_000);
    let sent = 0;
    for (let i = 0; sent < size; i++) {
      const n = Math.min(piece.length, size - sent);
      piece.fill(i & 0xff);
      client.send(Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece.subarray(0, n), Buffer.from("\r\n")]));
      sent += n;
    }
    client.send("0\r\n\r\n");
    const [res] = await client.responses(1, 15_000);
    expect(res!.body).toBe(String(size));
    const body = received! as Uint8Array;
    expect(body[0]).toBe(0);
    expect(body[60_000]).toBe(1);
    expect(body[size - 1]).toBe(Math.floor((size - 1) / 60_000) & 0xff);
    client.close();
  }, 20_000);
});

describe("responses", () => {
  test("a string body is sent UTF-8 encoded with its byte length", async () => {
    const server = start(() => ok("héllo ✓"));
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength("héllo ✓")));
    expect(await res.text()).toBe("héllo ✓");
  });

  test("the head and a small body leave in one socket write", async () => {
    const body = "b".repeat(2000);
    const server = start(() => ok(body));
    const client = await RawClient.open(server.port);
    client.send(get("/"));
    await client.responses(1);
    const first = client.first!.toString("latin1");
    expect(first.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(first.endsWith(`\r\n\r\n${body}`)).toBe(true);
    client.close();
  });

  test("HEAD is answered with GET's headers and no body, keeping the handler's content-length when the body is null", async () => {
    const server = start((req) =>
      req.path === "/declared" ? ok(null, ["content-length", "1234"]) : ok("hello", ["x-a", "1"]),
    );
    const client = await RawClient.open(server.port);
    client.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    await client.waitFor("the HEAD answer", () => client.text().includes("\r\n\r\n"));
    client.send("HEAD /declared HTTP/1.1\r\nHost: t\r\n\r\n");
    await client.waitFor("the second HEAD answer", () => client.text().split("\r\n\r\n").length === 3);
    client.send(get("/"));
    await client.waitFor("the GET answer", () => client.text().endsWith("hello"));
    const answers = client.text().split("\r\n\r\n");
    expect(answers[0]).toContain("content-length: 5");
    expect(answers[0]).toContain("x-a: 1");
    expect(answers[1]).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(answers[1]).toContain("content-length: 1234");
    expect(answers[2]).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(answers[3]).toBe("hello");
    client.close();
  });

  test("204 and 304 answers carry no body and no content-length, and the connection stays usable", async () => {
    const server = start((req) => ({
      status: req.path === "/204" ? 204 : req.path === "/304" ? 304 : 200,
      headers: [],
      body: "ignored",
    }));
    const client = await RawClient.open(server.port);
    client.send(get("/204") + get("/304") + get("/200"));
    const res = await client.responses(3);
    expect(res.map((r) => r.statusLine)).toEqual([
      "HTTP/1.1 204 No Content",
      "HTTP/1.1 304 Not Modified",
      "HTTP/1.1 200 OK",
    ]);
    expect(headerOf(res[0]!, "content-length")).toBeUndefined();
    expect(headerOf(res[1]!, "content-length")).toBeUndefined();
    expect(res[2]!.body).toBe("ignored");
    client.close();
  });

  test("a ReadableStream body is sent chunked to an HTTP/1.1 client", async () => {
    const server = start(() =>
      ok(
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(Buffer.from("ab"));
            c.enqueue(Buffer.from("cde"));
            c.close();
          },
        }),
      ),
    );
    const client = await RawClient.open(server.port);
    client.send(get("/"));
    const [res] = await client.responses(1);
    expect(headerOf(res!, "transfer-encoding")).toBe("chunked");
    expect(headerOf(res!, "content-length")).toBeUndefined();
    expect(client.text()).toEndWith("\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n");
    client.close();
  });

  test("a ReadableStream body to an HTTP/1.0 client is sent unframed and the connection closes after it", async () => {
    const server = start(() => ok(new Blob(["streamed ", "body"]).stream()));
    const client = await RawClient.open(server.port);
    client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    await client.untilClosed();
    const text = client.text();
    expect(text).toContain("connection: close\r\n");
    expect(text).not.toContain("transfer-encoding");
    expect(text).toEndWith("\r\n\r\nstreamed body");
  });

  test("a Web Response is converted: status, headers, every set-cookie, body, without its own framing headers", async () => {
    const server = start((req) => {
      if (req.path === "/stream") return new Response(new Blob(["s1", "s2"]).stream(), { status: 202 });
      const headers = new Headers({ "x-a": "1", connection: "keep-alive", "content-length": "5" });
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response("hello", { status: 201, headers });
    });
    const client = await RawClient.open(server.port);
    client.send(get("/") + get("/stream"));
    const [plain, stream] = await client.responses(2);
    expect(plain!.statusLine).toBe("HTTP/1.1 201 Created");
    expect(headerOf(plain!, "x-a")).toBe("1");
    expect(plain!.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v)).toEqual(["a=1", "b=2"]);
    expect(plain!.headers.filter(([n]) => n === "content-length")).toEqual([["content-length", "5"]]);
    expect(headerOf(plain!, "connection")).toBeUndefined();
    expect(plain!.body).toBe("hello");
    expect(stream!.status).toBe(202);
    expect(headerOf(stream!, "transfer-encoding")).toBe("chunked");
    expect(stream!.body).toBe("s1s2");
    client.close();
  });

  const splitting: [string, Answer][] = [
    ["a response header value with a line break", ok("x", ["x-a", "1\r\nset-cookie: evil=1"])],
    [
      "a line break in a header past the ones the answer marks as checked",
      { status: 200, headers: ["x-a", "1", "x-b", "2\r\nset-cookie: evil=1"], body: "x", checked: 1 },
    ],
  ];
  for (const [what, answer] of splitting) {
    test(`${what} is refused with 500 instead of being split`, async () => {
      const errors: unknown[] = [];
      const server = start(() => answer, { onError: (e) => errors.push(e) });
      const client = await RawClient.open(server.port);
      client.send(get("/"));
      const [res] = await client.responses(1);
      expect(res!.status).toBe(500);
      expect(client.text()).not.toContain("evil");
      expect(errors).toHaveLength(1);
      client.close();
    });
  }
});

describe("backpressure", () => {
  test("a large streamed response reaches a slow reader whole, and the stream is pulled only as the client reads", async () => {
    const total = 16 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 7);
    let pulled = 0;
    const server = start(() =>
      ok(
        new ReadableStream<Uint8Array>(
          {
            pull(c) {
              if (pulled >= total) return c.close();
              pulled += piece.length;
              c.enqueue(piece);
            },
          },
          { highWaterMark: 0 },
        ),
      ),
    );
    let received = 0;
    const chunks: Buffer[] = [];
    const done = Promise.withResolvers<void>();
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port: server.port,
      socket: {
        data(_, d) {
          received += d.length;
          chunks.push(d);
          if (d.toString("latin1").endsWith("\r\n0\r\n\r\n")) done.resolve();
        },
      },
    });
    socket.pause();
    socket.write(get("/big"));
    await sleep(400);
    const pulledWhilePaused = pulled;
    expect(received).toBe(0);
    expect(pulledWhilePaused).toBeLessThan(total / 2);
    socket.resume();
    await done.promise;
    const all = Buffer.concat(chunks).toString("latin1");
    const [res] = parseResponses(all);
    expect(res!.body.length).toBe(total);
    expect(res!.body.charCodeAt(total - 1)).toBe(7);
    expect(pulled).toBe(total);
    socket.end();
  }, 20_000);

  test("a large byte body is written whole to a client that reads late", async () => {
    const body = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) & 0xff;
    const server = start(() => ok(body));
    const client = await RawClient.open(server.port);
    client.socket.pause();
    client.send(get("/"));
    await sleep(300);
    client.socket.resume();
    const [res] = await client.responses(1, 15_000);
    expect(res!.body.length).toBe(body.length);
    expect(Buffer.from(res!.body, "latin1").equals(Buffer.from(body))).toBe(true);
    client.close();
  }, 20_000);

  test("a client that goes away mid-stream cancels the stream, with no error reported", async () => {
    const errors: unknown[] = [];
    const cancelled = Promise.withResolvers<void>();
    const server = start(
      () =>
        ok(
          new ReadableStream<Uint8Array>(
            {
              pull: (c) => c.enqueue(Buffer.alloc(16 * 1024, 1)),
              cancel: () => cancelled.resolve(),
            },
            { highWaterMark: 0 },
          ),
        ),
      { onError: (e) => errors.push(e) },
    );
    const client = await RawClient.open(server.port);
    client.send(get("/endless"));
    await client.waitFor("some body bytes", () => client.bytes > 100_000);
    client.close();
    await cancelled.promise;
    await sleep(20);
    expect(errors).toEqual([]);
    expect(server.pendingRequests).toBe(0);
  });

  test("bytes pipelined behind a request in flight stop being read past 256 KiB, and once it is answered the requests behind it are answered in order", async () => {
    const gate = Promise.withResolvers<void>();
    const paths: string[] = [];
    const size = 32 * 1024 * 1024;
    const server = start(async (req) => {
      paths.push(req.path);
      if (req.path === "/hold") await gate.promise;
      if (req.path === "/upload") return ok(String((await req.readBody(size))?.byteLength));
      return ok(req.path);
    });
    const data = Buffer.concat([
      Buffer.from(`${get("/hold")}${get("/a")}POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: ${size}\r\n\r\n`),
      Buffer.alloc(size, "x"),
      Buffer.from(get("/b")),
    ]);
    const chunks: Buffer[] = [];
    let received = 0;
    let wake: () => void = () => {};
    let sent = 0;
    /** Writes as much as the socket takes now; Bun's socket.write returns how many bytes it took. */
    const push = () => {
      while (sent < data.length) {
        const piece = data.subarray(sent, sent + 64 * 1024);
        const n = socket.write(piece);
        sent += Math.max(0, n);
        if (n < piece.length) return;
      }
    };
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port: server.port,
      socket: {
        data(_, d) {
          chunks.push(d);
          received += d.length;
          wake();
        },
        drain() {
          push();
          wake();
        },
      },
    });
    push();
    // Write until the socket takes nothing more for 100 ms: the server has stopped reading.
    let before = -1;
    for (let i = 0; i < 30 && sent !== before; i++) {
      before = sent;
      await sleep(100);
      push();
    }
    // What loopback took is the kernel's socket buffers (some MiB) plus the server's 256 KiB, far from all of it.
    expect(sent).toBeLessThan(data.length / 2);
    expect(paths).toEqual(["/hold"]);
    expect(received).toBe(0);

    gate.resolve();
    const deadline = Date.now() + 5000;
    while (parseResponses(Buffer.concat(chunks).toString("latin1")).length < 4) {
      if (Date.now() > deadline) throw new Error(`timed out; ${sent} of ${data.length} bytes sent`);
      push();
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    const res = parseResponses(Buffer.concat(chunks).toString("latin1"));
    expect(sent).toBe(data.length);
    expect(res.map((r) => r.body)).toEqual(["/hold", "/a", String(size), "/b"]);
    expect(res.every((r) => r.status === 200 && headerOf(r, "connection") === undefined)).toBe(true);
    expect(paths).toEqual(["/hold", "/a", "/upload", "/b"]);
    socket.end();
  }, 10_000);
});

describe("handler errors", () => {
  test.each([
    [
      "throws",
      () => {
        throw new Error("secret detail");
      },
    ],
    [
      "rejects",
      async () => {
        throw new Error("secret detail");
      },
    ],
  ] as [string, Http1Handler][])(
    "a handler that %s gets a 500 problem+json, onError sees the error, and the connection stays usable",
    async (_, failing) => {
      const errors: unknown[] = [];
      const server = start((req) => (req.path === "/fail" ? failing(req) : ok("fine")), {
        onError: (e) => errors.push(e),
      });
      const client = await RawClient.open(server.port);
      client.send(get("/fail") + get("/ok"));
      const [failed, fine] = await client.responses(2);
      expect(failed!.status).toBe(500);
      expect(headerOf(failed!, "content-type")).toBe("application/problem+json");
      expect(failed!.body).not.toContain("secret");
      expect(JSON.parse(failed!.body)).toMatchObject({ status: 500, code: "internal" });
      expect(fine!.body).toBe("fine");
      expect((errors[0] as Error).message).toBe("secret detail");
      client.close();
    },
  );

  test("a stream that fails before its first chunk is answered 500 and onError sees the error", async () => {
    const errors: unknown[] = [];
    const server = start(
      () =>
        ok(
          new ReadableStream<Uint8Array>({
            pull: (c) => c.error(new Error("no data")),
          }),
        ),
      { onError: (e) => errors.push(e) },
    );
    const client = await RawClient.open(server.port);
    client.send(get("/"));
    const [res] = await client.responses(1);
    expect(res!.status).toBe(500);
    expect(headerOf(res!, "transfer-encoding")).toBeUndefined();
    expect((errors[0] as Error).message).toBe("no data");
    client.close();
  });

  test("a stream that errors mid-body closes the connection, without the last chunk, and calls onError", async () => {
    const errors: unknown[] = [];
    const server = start(
      () => {
        let n = 0;
        return ok(
          new ReadableStream<Uint8Array>({
            pull(c) {
              if (n++ === 0) c.enqueue(Buffer.from("part"));
              else c.error(new Error("backend broke"));
            },
          }),
        );
      },
      { onError: (e) => errors.push(e) },
    );
    const client = await RawClient.open(server.port);
    client.send(get("/"));
    await client.untilClosed();
    expect(client.text()).toContain("4\r\npart\r\n");
    expect(client.text()).not.toContain("0\r\n\r\n");
    expect((errors[0] as Error).message).toBe("backend broke");
    expect(server.pendingRequests).toBe(0);
  });
});

describe("connection cap", () => {
  test("a connection over maxConnections is answered 503 problem+json with retry-after and closed", async () => {
    const server = start(() => ok(), { maxConnections: 2 });
    const served = [await RawClient.open(server.port), await RawClient.open(server.port)];
    for (const c of served) c.send(get("/"));
    for (const c of served) expect((await c.responses(1))[0]!.status).toBe(200);
    const extra = await RawClient.open(server.port);
    extra.send(get("/"));
    await extra.untilClosed();
    const [res] = parseResponses(extra.text());
    expect(res!.status).toBe(503);
    expect(headerOf(res!, "content-type")).toContain("application/problem+json");
    expect(headerOf(res!, "retry-after")).toBe("1");
    expect(headerOf(res!, "connection")).toBe("close");
    // the served connections are untouched, and a freed place is taken by the next client
    served[0]!.send(get("/again"));
    expect((await served[0]!.responses(2))[1]!.status).toBe(200);
    served[1]!.close();
    await sleep(50);
    const next = await RawClient.open(server.port);
    next.send(get("/"));
    expect((await next.responses(1))[0]!.status).toBe(200);
  });

  test("refused connections still closing do not count against the cap", async () => {
    const server = start(() => ok(), { maxConnections: 1 });
    const served = await RawClient.open(server.port);
    const refused = await Promise.all([1, 2, 3].map(() => RawClient.open(server.port, true)));
    for (const c of refused) {
      await c.waitFor("a 503", () => c.text().startsWith("HTTP/1.1 503"));
    }
    served.close();
    await sleep(50);
    const next = await RawClient.open(server.port);
    next.send(get("/"));
    expect((await next.responses(1))[0]!.status).toBe(200);
  });
});

describe("timeouts", () => {
  test("a body dripped a byte at a time is answered 408 and closed once readTimeoutMs have passed", async () => {
    const outcome = Promise.withResolvers<string>();
    const server = start(
      async (req) => {
        await req.readBody(1000).then(
          () => outcome.resolve("resolved"),
          () => outcome.resolve("rejected"),
        );
        return ok();
      },
      { readTimeoutMs: 500, idleTimeoutMs: 300 },
    );
    const client = await RawClient.open(server.port);
    const started = Date.now();
    client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
    // every byte comes well within idleTimeoutMs, so only the read timeout can end it
    const drip = setInterval(() => {
      if (!client.closed) client.send("x");
    }, 50);
    try {
      await client.untilClosed();
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(1500);
      const [res] = parseResponses(client.text());
      expect(res!.status).toBe(408);
      expect(JSON.parse(res!.body).detail).toBe("the request took longer than the read timeout");
      expect(await outcome.promise).toBe("rejected");
    } finally {
      clearInterval(drip);
    }
  });

  test("readTimeoutMs counts from the request's first byte, so a slow head leaves less time for the body", async () => {
    const server = start(async (req) => ok(await req.readBody(1000)), {
      readTimeoutMs: 400,
      headerTimeoutMs: 5000,
    });
    const client = await RawClient.open(server.port);
    const started = Date.now();
    client.send("POST / HTTP/1.1\r\n");
    await sleep(300);
    client.send("Host: t\r\nContent-Length: 5\r\n\r\nab");
    await client.untilClosed();
    expect(Date.now() - started).toBeLessThan(1200);
    expect(parseResponses(client.text())[0]!.status).toBe(408);
  });

  test("a request completed within readTimeoutMs is answered, and the next one on the connection gets its own time", async () => {
    const server = start(async (req) => ok(await req.readBody(1000)), { readTimeoutMs: 300 });
    const client = await RawClient.open(server.port);
    client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhel");
    await sleep(100);
    client.send("lo");
    await client.responses(1);
    await sleep(400);
    client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
    const res = await client.responses(2);
    expect(res.map((r) => [r.status, r.body])).toEqual([
      [200, "hello"],
      [200, "hi"],
    ]);
  });

  test("a header section still incomplete after headerTimeoutMs is answered 408 and closed", async () => {
    const server = start(() => ok(), { headerTimeoutMs: 200 });
    const client = await RawClient.open(server.port);
    const started = Date.now();
    client.send("GET / HTTP/1.1\r\nHost: t\r\n");
    await client.untilClosed();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(parseResponses(client.text())[0]!.status).toBe(408);
  });

  test("a client that sends only line breaks is closed quietly after headerTimeoutMs, though it keeps sending", async () => {
    const server = start(() => ok(), { headerTimeoutMs: 200, idleTimeoutMs: 300 });
    const client = await RawClient.open(server.port);
    const drip = setInterval(() => {
      if (!client.closed) client.send("\r\n");
    }, 40);
    try {
      const started = Date.now();
      const outcome = await Promise.race([client.untilClosed().then(() => "closed"), sleep(2000).then(() => "open")]);
      expect(outcome).toBe("closed");
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(client.bytes).toBe(0);
    } finally {
      clearInterval(drip);
    }
  });

  test("empty lines before a request are still ignored, and the request is answered", async () => {
    const server = start(() => ok(), { headerTimeoutMs: 200 });
    const client = await RawClient.open(server.port);
    client.send("\r\n\r\n");
    await sleep(50);
    client.send(get("/after-blank-lines"));
    await client.responses(1);
    expect(parseResponses(client.text())[0]!.status).toBe(200);
  });

  test("an idle keep-alive connection is closed quietly after idleTimeoutMs, and kept while in use", async () => {
    const server = start(() => ok(), { idleTimeoutMs: 300 });
    const client = await RawClient.open(server.port);
    client.send(get("/1"));
    await client.responses(1);
    await sleep(100);
    client.send(get("/2"));
    await client.responses(2);
    const answered = client.bytes;
    const started = Date.now();
    await client.untilClosed();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(client.bytes).toBe(answered);
  });

  test("a connection that never sends anything is closed quietly after idleTimeoutMs", async () => {
    const server = start(() => ok(), { idleTimeoutMs: 200 });
    const client = await RawClient.open(server.port);
    await client.untilClosed();
    expect(client.bytes).toBe(0);
  });

  test("after a refusal with input still arriving the server half-closes at once, and ends the connection once lingerMs have passed though the client never stops sending", async () => {
    // lingerMs = min(idleTimeoutMs, 5000); the sweep runs every idleTimeoutMs / 4 and stamps time with that grain.
    const server = start(() => ok(), { idleTimeoutMs: 600 });
    const client = await RawClient.open(server.port, true);
    let ended = false;
    client.socket.on("end", () => {
      ended = true;
    });
    // Bytes behind the refused head are unread input: the server shuts down its side and lingers.
    client.send(`GET / HTTP/1.1\r\n\r\n${"x".repeat(1000)}`);
    const [res] = await client.responses(1);
    const answered = Date.now();
    expect(res!.status).toBe(400);
    const sender = setInterval(() => {
      if (!client.closed) client.send("y".repeat(1000));
    }, 20);
    try {
      await sleep(250);
      expect(ended).toBe(true);
      expect(client.closed).toBe(false);
      await client.untilClosed(2000);
    } finally {
      clearInterval(sender);
    }
    const lingered = Date.now() - answered;
    expect(lingered).toBeGreaterThanOrEqual(400);
    expect(lingered).toBeLessThan(1500);
  });
});

describe("stop", () => {
  test("stop(false) closes idle connections at once, refuses new ones, and lets the in-flight request finish with connection: close", async () => {
    const gate = Promise.withResolvers<void>();
    const server = start(async (req) => {
      if (req.path === "/slow") await gate.promise;
      return ok(req.path);
    });
    const idle = await RawClient.open(server.port);
    idle.send(get("/quick"));
    await idle.responses(1);
    const busy = await RawClient.open(server.port);
    busy.send(get("/slow"));
    await sleep(30);
    expect(server.pendingRequests).toBe(1);

    let stopped = false;
    const stopping = server.stop(false).then(() => {
      stopped = true;
    });
    await idle.untilClosed(1000);
    await expect(RawClient.open(server.port)).rejects.toThrow();
    expect(stopped).toBe(false);

    gate.resolve();
    await busy.untilClosed();
    const [res] = parseResponses(busy.text());
    expect(res!.body).toBe("/slow");
    expect(headerOf(res!, "connection")).toBe("close");
    await stopping;
    expect(stopped).toBe(true);
    expect(server.pendingRequests).toBe(0);
  });

  test("stop(true) closes every connection now, including one with a request in flight", async () => {
    const gate = Promise.withResolvers<void>();
    const errors: unknown[] = [];
    const server = start(
      async () => {
        await gate.promise;
        return ok("late");
      },
      { onError: (e) => errors.push(e) },
    );
    const busy = await RawClient.open(server.port);
    busy.send(get("/"));
    await sleep(30);
    await server.stop(true);
    await busy.untilClosed(1000);
    expect(busy.bytes).toBe(0);
    gate.resolve();
    await sleep(10);
    expect(errors).toEqual([]);
    expect(server.pendingRequests).toBe(0);
  });
});
