export { type CliSpec, type ExtraCommand, runCli } from "./cli.ts";
export { localUrl, probe } from "./probe.ts";
export type { Writer } from "./writer.ts";
