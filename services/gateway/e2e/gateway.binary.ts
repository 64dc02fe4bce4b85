// The compiled gateway binary, copied alone and started on a config written for one test file.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildService, copyAlone, freePort, type RunningBinary, startBinary } from "@shared/testing/binary.ts";

/** Starts the gateway binary on a free port with `config` (version 3 and the port are added). */
export async function startGatewayBinary(name: string, config: Record<string, unknown>): Promise<RunningBinary> {
  const port = await freePort();
  const file = join(tmpdir(), `gateway-${name}-${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ version: 3, port, ...config }));
  return startBinary({
    path: copyAlone(await buildService("gateway")),
    args: ["serve", "-c", file],
    port,
    readyPaths: ["/__health"],
    env: { LOG_LEVEL: "warn" },
    timeoutMs: 40_000,
  });
}
