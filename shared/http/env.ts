import type { Logger } from "pino";

/** Hono environment shared by every service's app. */
export interface AppEnv {
  Variables: {
    requestId: string;
    traceId: string;
    /** Set when tracing is on but the edge decided not to record this request's trace. */
    unsampled?: true;
    /** The service's logger; `requestLogger(c)` gives the per-request child, built on first use. */
    baseLogger: Logger;
    /** The per-request child once built; read it through `requestLogger(c)`. */
    logger?: Logger;
  };
}
