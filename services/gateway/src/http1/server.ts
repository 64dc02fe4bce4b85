// The gateway's own HTTP/1.1 server on raw TCP (`Bun.listen`). Bun.serve spends several microseconds per
// request before any gateway code runs; a tight parser in JS over `Bun.listen` costs less, so the hot path
// lives here. Parsing is strict (RFC 9112; anything ambiguous about message framing is refused) to rule out
// smuggling. This file holds the options, listening, stopping and the sweep; requests are parsed in
// server.request.ts, their bodies read in server.body.ts, answers written in server.answer.ts, and each
// connection driven by server.connection.ts.

import type { TCPSocketListener } from "bun";
import type { Handler, ProblemFormatter } from "../transport/transport.ts";
import { noop } from "./server.body.ts";
import { Connection, type ConnectionOwner } from "./server.connection.ts";
import type { IncomingRequest } from "./server.request.ts";

export type { IncomingRequest } from "./server.request.ts";

/** What the HTTP/1.1 server calls for every request. */
export type Http1Handler = Handler<IncomingRequest>;

export interface Http1ServerOptions {
  /** 0 = pick a free port. */
  port: number;
  /** Default "0.0.0.0". */
  hostname?: string;
  handler: Http1Handler;
  /** Formats the answers the server gives itself: a refused request (400, 408, 431, 501, 505), a body it
   * cannot read, a handler that failed (500). */
  problem: ProblemFormatter;
  /** Request line + headers, bytes (default 16 KiB) -> 431 when exceeded. */
  maxHeaderBytes?: number;
  /** Max number of header lines (default 100) -> 431. */
  maxHeaders?: number;
  /** Keep-alive idle timeout (default 30_000 ms); also how long a body upload or a response write may stall.
   * 0: none. */
  idleTimeoutMs?: number;
  /** Time to receive a complete header section once its first byte arrived (default 10_000 ms; slowloris).
   * 0: none. */
  headerTimeoutMs?: number;
  /** Time to receive a whole request, head and body, from its first byte (default 0: none); a body still
   * arriving then is answered 408 and the connection closes, however steadily its bytes trickle in. */
  readTimeoutMs?: number;
  /** Connections served at once (default 0: no cap); one more is answered 503 at once and closed. */
  maxConnections?: number;
  /** Called when a handler throws/rejects or a response stream errors (the server answers 500 if nothing was
   * sent yet, else closes the connection). */
  onError?: (err: unknown) => void;
}

export interface Http1Server {
  readonly port: number;
  readonly hostname: string;
  /** Requests being handled right now. */
  readonly pendingRequests: number;
  /** Stops accepting. force=false: idle keep-alive connections are closed at once, busy ones after their current
   * response (answered with connection: close); resolves when all connections are closed. force=true: closes
   * every connection now. */
  stop(force?: boolean): Promise<void>;
}

/**
 * Starts an HTTP/1.1 server on `Bun.listen`.
 * @example
 * const server = listenHttp1({ port: 8080, problem, handler: () => ({ status: 200, headers: [], body: "ok" }) });
 * await server.stop();
 */
export function listenHttp1(opts: Http1ServerOptions): Http1Server {
  return new Http1Listener(opts);
}

/** A limit of 0 is none. */
const orNone = (ms: number) => (ms > 0 ? ms : Number.POSITIVE_INFINITY);

/** After closing our side with unread input pending, how long the peer gets to stop sending and close. */
const LINGER_MAX_MS = 5_000;

/** Runs `listen` (a `Bun.listen`, whose own error says only "Failed to listen at 0.0.0.0"), failing with the
 * address and why. */
function listenOrExplain<T>(hostname: string, port: number, listen: () => T): T {
  try {
    return listen();
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === "EADDRINUSE"
        ? "the address is already in use (another process listens there)"
        : code === "EACCES"
          ? "permission denied (a port below 1024 needs privileges)"
          : (err as Error).message;
    throw Object.assign(new Error(`cannot listen on ${hostname}:${port}: ${why}`, { cause: err }), { code });
  }
}

/** The server behind `listenHttp1`; its connections read its settings, clock and date. */
export class Http1Listener implements Http1Server, ConnectionOwner {
  readonly hostname: string;
  readonly handler: Http1Handler;
  readonly problem: ProblemFormatter;
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly lingerMs: number;
  pending = 0;
  stopping = false;
  /** Refreshed by the sweep: connections stamp activity with it instead of reading the clock per event. */
  now = Date.now();
  /** IMF-fixdate of the current second. */
  date = new Date(this.now).toUTCString();
  private dateSecond = Math.floor(this.now / 1000);
  private readonly onError: ((err: unknown) => void) | undefined;
  private readonly conns = new Set<Connection>();
  private readonly maxConnections: number;
  /** Connections refused for the cap, still closing: they do not count against it. */
  private refused = 0;
  private readonly listener: TCPSocketListener<Connection>;
  private readonly timer: ReturnType<typeof setInterval>;
  private stopped: Promise<void> | null = null;
  private resolveStopped: () => void = noop;

  constructor(opts: Http1ServerOptions) {
    this.hostname = opts.hostname ?? "0.0.0.0";
    this.handler = opts.handler;
    this.problem = opts.problem;
    this.maxHeaderBytes = opts.maxHeaderBytes ?? 16 * 1024;
    this.maxHeaders = opts.maxHeaders ?? 100;
    this.idleTimeoutMs = orNone(opts.idleTimeoutMs ?? 30_000);
    this.readTimeoutMs = orNone(opts.readTimeoutMs ?? 0);
    // the head is part of the request: read_timeout bounds it too
    this.headerTimeoutMs = Math.min(orNone(opts.headerTimeoutMs ?? 10_000), this.readTimeoutMs);
    this.maxConnections = opts.maxConnections || Number.POSITIVE_INFINITY;
    this.lingerMs = Math.min(this.idleTimeoutMs, LINGER_MAX_MS);
    this.onError = opts.onError;
    this.listener = listenOrExplain(this.hostname, opts.port, () =>
      Bun.listen<Connection>({
        hostname: this.hostname,
        port: opts.port,
        allowHalfOpen: true,
        data: undefined as unknown as Connection,
        socket: {
          open: (socket) => {
            const conn = new Connection(this, socket);
            socket.data = conn;
            this.conns.add(conn);
            if (this.stopping) conn.close(false);
            else if (this.conns.size - this.refused > this.maxConnections) {
              conn.refused = true;
              this.refused++;
              conn.refuseFull();
            }
          },
          data: (socket, chunk) => socket.data.onData(chunk),
          drain: (socket) => socket.data.onDrain(),
          end: (socket) => socket.data.onPeerEnd(),
          close: (socket) => socket.data?.onClose(),
          error: (socket, err) => {
            this.reportError(err);
            socket.terminate();
          },
        },
      }),
    );
    // One timer per server for every timeout; its period bounds how late a timeout fires.
    const shortest = Math.min(this.idleTimeoutMs, this.headerTimeoutMs, this.readTimeoutMs);
    const period = Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
    this.timer = setInterval(() => this.sweep(), period);
    this.timer.unref();
  }

  get port(): number {
    return this.listener.port;
  }

  get pendingRequests(): number {
    return this.pending;
  }

  reportError(err: unknown): void {
    try {
      this.onError?.(err);
    } catch {
      // A failing error reporter must not take the connection down with it.
    }
  }

  private sweep(): void {
    const now = Date.now();
    this.now = now;
    const second = Math.floor(now / 1000);
    if (second !== this.dateSecond) {
      this.dateSecond = second;
      this.date = new Date(now).toUTCString();
    }
    for (const conn of this.conns) conn.sweep(now);
  }

  forget(conn: Connection): void {
    this.conns.delete(conn);
    if (conn.refused) this.refused--;
    if (this.stopping && this.conns.size === 0) this.finishStop();
  }

  private finishStop(): void {
    clearInterval(this.timer);
    this.resolveStopped();
  }

  stop(force = false): Promise<void> {
    if (this.stopped === null) {
      this.stopping = true;
      this.listener.stop(false);
      this.stopped = new Promise((resolve) => {
        this.resolveStopped = resolve;
      });
    }
    for (const conn of [...this.conns]) {
      if (force) conn.socket.terminate();
      else if (!conn.busy && !conn.ending) conn.close(conn.discard > 0 || conn.buf !== null);
    }
    if (this.conns.size === 0) this.finishStop();
    return this.stopped;
  }
}
