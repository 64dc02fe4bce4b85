export { type CliSpec, type ExtraCommand, type GrantFlags, runCli } from "./cli.ts";
export { localUrl, probe } from "./probe.ts";
export type { Writer } from "./writer.ts";
