import type { Logger } from "pino";

/** Identity forwarded by the gateway (`X-User-Id`, `X-User-Roles`). */
export interface Identity {
  userId: string;
  roles: readonly string[];
}

/** Hono environment shared by every service's app. */
export interface AppEnv {
  Variables: {
    requestId: string;
    traceId: string;
    /** The service's logger; `requestLogger(c)` gives the per-request child, built on first use. */
    baseLogger: Logger;
    /** The per-request child once built; read it through `requestLogger(c)`. */
    logger?: Logger;
  };
}
