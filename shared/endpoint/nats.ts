import { type Service, Svcm } from "@nats-io/services";
import { type MsgHdrs, type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import { AppError } from "../errors/index.ts";
import type { RequestTransport } from "./client.ts";
import type { Endpoint } from "./contract.ts";
import { contextOf, dispatch, errorCodeHeader, errorFromReply, errorHeader } from "./wire.ts";

/** The NATS micro protocol wants semver; a build version like `a1b2c3d-dirty` becomes `0.0.0-a1b2c3d-dirty`. */
export function semverOf(version: string): string {
  return /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)
    ? version
    : `0.0.0-${version.replace(/[^0-9A-Za-z.-]/g, "-") || "unknown"}`;
}

interface LoggerLike {
  error(obj: object, msg?: string): void;
}

/**
 * Serves endpoints over NATS request-reply with the NATS services framework: `$SRV.PING/INFO/STATS`
 * discovery, and a queue group (default `q`) so instances share the load.
 * @example await serveOverNats({ nc, service: { name: "users", version }, endpoints: [getUser], logger });
 */
export async function serveOverNats(options: {
  nc: NatsConnection;
  service: { name: string; version: string; description?: string };
  endpoints: readonly Endpoint[];
  queue?: string;
  logger: LoggerLike;
}): Promise<Service> {
  const service = await new Svcm(options.nc).add({
    name: options.service.name,
    version: semverOf(options.service.version),
    description: options.service.description ?? "",
    queue: options.queue ?? "q",
  });
  for (const endpoint of options.endpoints) {
    service.addEndpoint(endpoint.name.replace(/[^A-Za-z0-9_-]/g, "_"), {
      subject: endpoint.name,
      metadata: { summary: endpoint.summary, idempotent: String(endpoint.idempotent) },
      handler: (err, msg) => {
        if (err) {
          options.logger.error({ err, endpoint: endpoint.name }, "nats endpoint failed");
          return;
        }
        const ctx = contextOf((name) => msg.headers?.get(name) || undefined);
        void dispatch(endpoint, msg.data, ctx).then((reply) => {
          if (reply.error) {
            msg.respondError(reply.error.status, reply.error.description, reply.body);
            if (reply.error.status >= 500) options.logger.error({ endpoint: endpoint.name }, "endpoint error");
          } else {
            msg.respond(reply.body);
          }
        });
      },
    });
  }
  return service;
}

function toNatsHeaders(h: Record<string, string>): MsgHdrs {
  const out = natsHeaders();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}

/** A RequestTransport over a NATS connection; no responders and timeouts become `unavailable`. */
export function natsTransport(nc: NatsConnection): RequestTransport {
  return {
    async request(subject, payload, headers, timeoutMs) {
      let msg: Awaited<ReturnType<NatsConnection["request"]>>;
      try {
        msg = await nc.request(subject, payload, { timeout: timeoutMs, headers: toNatsHeaders(headers) });
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new AppError("unavailable", `${subject} is unavailable: ${reason}`, { cause: err });
      }
      const status = msg.headers?.get(errorCodeHeader);
      if (status) throw errorFromReply(msg.data, Number(status), msg.headers?.get(errorHeader) ?? "");
      return msg.data;
    },
  };
}
