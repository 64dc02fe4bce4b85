import { AppError } from "../errors/index.ts";
import type { RequestTransport } from "./client.ts";
import type { Endpoint } from "./contract.ts";
import { contextOf, dispatch, errorFromReply } from "./wire.ts";

/**
 * An in-process request bus for the single-process dev stack: services register endpoints, clients call
 * them by name through the same encoding, validation and error mapping as NATS, without a server.
 */
export class LocalBus implements RequestTransport {
  private readonly endpoints = new Map<string, Endpoint>();

  /** Registers endpoints under their names; a name registered twice is a programming error. */
  serve(endpoints: readonly Endpoint[]): void {
    for (const e of endpoints) {
      if (this.endpoints.has(e.name)) throw new Error(`endpoint ${e.name} is already served`);
      this.endpoints.set(e.name, e);
    }
  }

  /** Removes endpoints (a stopped service). */
  unserve(names: readonly string[]): void {
    for (const n of names) this.endpoints.delete(n);
  }

  async request(subject: string, payload: Uint8Array, headers: Record<string, string>, timeoutMs: number) {
    const endpoint = this.endpoints.get(subject);
    if (!endpoint) throw new AppError("unavailable", `no service answers ${subject}`);
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError("unavailable", `${subject} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const reply = await Promise.race([
        dispatch(
          endpoint,
          payload,
          contextOf((n) => headers[n]),
        ),
        timeout,
      ]);
      if (reply.error) throw errorFromReply(reply.body, reply.error.status, reply.error.description);
      return reply.body;
    } finally {
      clearTimeout(timer);
    }
  }
}
