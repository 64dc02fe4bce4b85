import { connectNats, type NatsSettings, type NatsUrl } from "@shared/nats";

/** The subject the catalog publishes product changes on (core NATS). */
export const DEFAULT_PURGE_SUBJECT = "catalog.product.changed";

/** Anything with a `purge()`: one http-cache or several. */
export interface Purgeable {
  purge(): void;
}

/** The logger calls this module makes (pino's signature). */
export interface PurgeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Empties the given cache(s) whenever a message arrives on `subject` (default `catalog.product.changed`,
 * core NATS: losing one is harmless because entries also expire). Any message purges everything: entries
 * are keyed by backend URL, which a product event cannot name reliably. Messages may be lost while
 * disconnected, so the cache is also purged after every reconnect. Rejects when NATS is unreachable at
 * start; the caller decides whether to serve without purging.
 * @example
 * const purger = await subscribePurge({ nats: { url: "nats://127.0.0.1:4222" }, cache: [catalogCache], logger });
 * // on shutdown: await purger.close();
 */
export async function subscribePurge(opts: {
  /** Where NATS is (one server URL, several separated by commas, or a list) and how to authenticate. */
  nats: NatsSettings & { url: NatsUrl };
  subject?: string;
  cache: Purgeable | Purgeable[];
  logger?: PurgeLogger;
  /** Name shown in the NATS server's connection list. */
  name?: string;
}): Promise<{ close(): Promise<void>; purges(): number }> {
  const subject = opts.subject ?? DEFAULT_PURGE_SUBJECT;
  const caches = Array.isArray(opts.cache) ? opts.cache : [opts.cache];
  let count = 0;
  const purgeAll = (reason: string) => {
    for (const c of caches) c.purge();
    count++;
    opts.logger?.info({ subject, reason }, "gateway cache purged");
  };

  const nc = await connectNats(opts.nats, {
    name: opts.name ?? "gateway-cache-purge",
    reconnectTimeWait: 1000,
  });
  nc.subscribe(subject, {
    callback: (err) => {
      if (err) opts.logger?.warn({ subject, err: String(err) }, "purge subscription error");
      else purgeAll("message");
    },
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "reconnect") purgeAll("reconnect");
      else if (status.type === "disconnect") opts.logger?.warn({ subject }, "purge subscription disconnected");
    }
  })();
  // the subscription is live on the server once this round trip completes
  await nc.flush();

  return {
    async close() {
      if (!nc.isClosed()) await nc.drain();
    },
    purges: () => count,
  };
}
