/** The part of a `Bun.serve` server that draining needs. */
export interface StoppableServer {
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

/**
 * Stops a `Bun.serve` server gracefully; after `drainMs` closes what is still open. True if it drained.
 *
 * Measured on Bun 1.4.5 (see fixtures/slow-server.ts and lifecycle.process.test.ts): `server.stop()`
 * closes the listening socket at once (new connections are refused), closes idle keep-alive
 * connections at once, lets in-flight requests finish and then closes their connections, and its
 * promise resolves when the last in-flight request has been answered. `server.stop(true)` also closes
 * connections with requests in flight (their clients see a reset), so it is only the fallback.
 */
export async function drainServer(server: StoppableServer, drainMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), drainMs);
  });
  const drained = await Promise.race([Promise.resolve(server.stop(false)).then(() => true), deadline]);
  clearTimeout(timer);
  if (!drained) await server.stop(true);
  return drained;
}
