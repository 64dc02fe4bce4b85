// Where the buf binary from npm (@bufbuild/buf) is: scripts (lint, breaking) and e2e tests (buf curl) run it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./compile.ts";

const bufArch: Record<string, string> = { x64: "x64", arm64: process.platform === "linux" ? "aarch64" : "arm64" };

/**
 * The buf binary installed from npm: the platform package's native binary (`@bufbuild/buf-linux-x64`), so
 * no node is needed; else the npm shim in node_modules/.bin.
 */
export const bufBin: string =
  [
    join(
      ROOT,
      "node_modules",
      "@bufbuild",
      `buf-${process.platform}-${bufArch[process.arch] ?? process.arch}`,
      "bin",
      "buf",
    ),
    join(ROOT, "node_modules", ".bin", "buf"),
  ].find((path) => existsSync(path)) ?? join(ROOT, "node_modules", ".bin", "buf");
