export type { Logger } from "pino";
export { type AccessLog, createAccessLogger } from "./access.ts";
export { type AccessEntry, createAccessLog, type LineSink } from "./access-line.ts";
export { type CallerOptions, createCallerResolver } from "./caller.ts";
export { LineBuffer, type LineBufferOptions } from "./line-buffer.ts";
export { createLogger, type LoggerOptions } from "./logger.ts";
export { createPrettyStream, formatPretty, type LineWriter } from "./pretty.ts";
