export { type CliSpec, runCli, type Writer } from "./cli.ts";
