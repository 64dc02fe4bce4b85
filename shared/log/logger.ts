import pino, { type DestinationStream, type Logger } from "pino";
import { activeSpanIds } from "../telemetry/context.ts";
import { type CallerOptions, createCallerResolver } from "./caller.ts";
import { createPrettyStream, type LineWriter } from "./pretty.ts";

/** Options of `createLogger`. */
export interface LoggerOptions {
  service: string;
  version: string;
  level?: pino.LevelWithSilent;
  /** Readable one-line output written in-process (for development). */
  pretty?: boolean;
  /** Where lines go; default: stdout, written synchronously so nothing is lost at exit. */
  destination?: LineWriter;
  /** Add `caller` (source `file:line`); on by default. `false` saves the stack capture. */
  caller?: boolean | CallerOptions;
}

/** A pino logger writing JSON with `level` label, ISO `time`, `service`, `version` and `caller`. */
export function createLogger(options: LoggerOptions): Logger {
  const { service, version, level = "info", pretty = false, caller = true } = options;
  const sink: LineWriter = options.destination ?? pino.destination({ fd: 1, sync: true });
  const destination = (pretty ? createPrettyStream(sink) : sink) as DestinationStream;
  const callerOf = caller === false ? undefined : createCallerResolver(caller === true ? {} : caller);
  // pino calls the mixin only for enabled levels, so disabled levels cost no stack capture. A line written
  // inside a span carries the span's own ids (`trace_id`, `span_id`), as its `traceparent` on the wire does.
  const mixin = callerOf
    ? (_merge: object, levelNumber: number, logger: Logger) => {
        const method = logger[logger.levels.labels[levelNumber] as pino.Level];
        const at = callerOf(method as (...args: never[]) => unknown);
        const ids = activeSpanIds();
        return at ? (ids ? { caller: at, ...ids } : { caller: at }) : (ids ?? {});
      }
    : () => activeSpanIds() ?? {};
  return pino(
    {
      level,
      base: { service, version },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin,
    },
    destination,
  );
}
