import type { NodeConnectionOptions } from "@nats-io/transport-node";

/**
 * The servers a `nats.url` names: one URL, several separated by commas, or a list; blanks dropped.
 * @example natsServers("nats://h1:4222, nats://h2:4222") // ["nats://h1:4222", "nats://h2:4222"]
 */
export function natsServers(url: string | readonly string[]): string[] {
  const parts = typeof url === "string" ? url.split(",") : url.flatMap((u) => u.split(","));
  return parts.map((u) => u.trim()).filter((u) => u !== "");
}

/**
 * The options every NATS connection of a service is opened with: every server of the cluster (the client
 * moves to another when its server goes), named after the service, reconnecting forever.
 * @example const nc = await connect(natsConnectOptions({ url: config.nats.url, name: "orders" }));
 */
export function natsConnectOptions(options: { url: string | readonly string[]; name: string }): NodeConnectionOptions {
  return {
    servers: natsServers(options.url),
    name: options.name,
    maxReconnectAttempts: -1,
    timeout: 5_000,
  };
}
