// gRPC from the outside, for e2e tests: `buf curl` (npm @bufbuild/buf) against a listener, and the rpcs a
// service's generated proto declares.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bufBin } from "../build/buf.ts";
import { ROOT } from "../build/compile.ts";
import { packageNameOf, protoPathOf, serviceNameOf } from "../grpc/naming.ts";

/** What one `buf curl` run printed. */
export interface BufCurlResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `buf curl --protocol grpc --http2-prior-knowledge` against `127.0.0.1:port` with `args` (a
 * `--list-methods`, or `-d JSON` and an rpc path such as `shop.catalog.v1.CatalogService/ProductsGet`);
 * schemas come from the server's reflection. Bounded to 20 s.
 * @example const listed = bufCurl(port, ["--list-methods"]);
 */
export function bufCurl(port: number, args: string[], rpc = ""): BufCurlResult {
  const p = Bun.spawnSync(
    [
      bufBin,
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--connect-timeout",
      "5",
      ...args,
      `http://127.0.0.1:${port}/${rpc}`,
    ],
    { timeout: 20_000, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" } },
  );
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** The full names of the rpcs of a service's committed proto, e.g. `shop.catalog.v1.CatalogService/ProductsGet`. */
export function rpcsOfProto(service: string): string[] {
  const text = readFileSync(join(ROOT, protoPathOf(service)), "utf8");
  const prefix = `${packageNameOf(service)}.${serviceNameOf(service)}`;
  return [...text.matchAll(/^\s*rpc (\w+)\(/gm)].map((m) => `${prefix}/${m[1]}`);
}
