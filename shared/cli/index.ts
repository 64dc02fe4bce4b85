export { type CliSpec, type ExtraCommand, runCli, type Writer } from "./cli.ts";
export { localUrl, probe } from "./probe.ts";
