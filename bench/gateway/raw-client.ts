// Experiment, not production code: a minimal HTTP/1.1 keep-alive client over Bun.connect, to measure how
// much of a Bun proxy's cost is `fetch` itself. GET only, Content-Length bodies only, one request per socket
// at a time, a fixed pool per origin (requests queue when every socket is busy, so the upstream never sees
// a reconnect storm). The reference proxy uses it when REF_RAW_CLIENT=1.
import type { Socket } from "bun";

interface Pending {
  resolve(r: { status: number; headers: Array<[string, string]>; body: Uint8Array<ArrayBuffer> }): void;
  reject(e: Error): void;
}

interface Conn {
  socket: Socket<Conn> | null;
  buf: Buffer;
  pending: Pending | null;
  busy: boolean;
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

/** A pool of at most `size` keep-alive sockets to one `host:port`. */
export function rawPool(hostname: string, port: number, size: number) {
  const idle: Conn[] = [];
  const queue: Array<() => void> = [];
  let open = 0;

  const parse = (c: Conn) => {
    const end = c.buf.indexOf(CRLFCRLF);
    if (end < 0 || !c.pending) return;
    const head = c.buf.subarray(0, end).toString("latin1").split("\r\n");
    const status = Number(head[0]!.slice(9, 12));
    const headers: Array<[string, string]> = [];
    let length = 0;
    for (let i = 1; i < head.length; i++) {
      const line = head[i]!;
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") length = Number(value);
      else if (name !== "connection" && name !== "keep-alive" && name !== "date") headers.push([name, value]);
    }
    if (c.buf.length < end + 4 + length) return;
    const body = new Uint8Array(c.buf.subarray(end + 4, end + 4 + length));
    c.buf = c.buf.subarray(end + 4 + length);
    const p = c.pending;
    c.pending = null;
    release(c);
    p.resolve({ status, headers, body });
  };

  const release = (c: Conn) => {
    c.busy = false;
    const next = queue.shift();
    idle.push(c);
    next?.();
  };

  const connect = async (): Promise<Conn> => {
    const conn: Conn = { socket: null, buf: Buffer.alloc(0), pending: null, busy: true };
    open++;
    conn.socket = await Bun.connect<Conn>({
      hostname,
      port,
      data: conn,
      socket: {
        data(s, chunk) {
          s.data.buf = s.data.buf.length ? Buffer.concat([s.data.buf, chunk]) : chunk;
          parse(s.data);
        },
        close(s) {
          open--;
          const i = idle.indexOf(s.data);
          if (i >= 0) idle.splice(i, 1);
          s.data.pending?.reject(new Error("upstream closed the connection"));
          s.data.socket = null;
        },
        error(s, err) {
          s.data.pending?.reject(err);
        },
      },
    });
    return conn;
  };

  const acquire = async (): Promise<Conn> => {
    for (;;) {
      const c = idle.pop();
      if (c?.socket) {
        c.busy = true;
        return c;
      }
      if (open < size) return connect();
      await new Promise<void>((r) => queue.push(r));
    }
  };

  return {
    async get(path: string, extraHeaders = "") {
      const c = await acquire();
      return new Promise<{ status: number; headers: Array<[string, string]>; body: Uint8Array<ArrayBuffer> }>(
        (resolve, reject) => {
          c.pending = { resolve, reject };
          c.socket!.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${extraHeaders}\r\n`);
        },
      );
    },
  };
}
