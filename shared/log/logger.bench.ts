// Cost of one log line with and without `caller`: `bun run shared/log/logger.bench.ts`.
import { createLogger } from "./logger.ts";

const sink = { write: (_line: string) => {} };
const lines = 200_000;

function measure(label: string, caller: boolean, child: boolean): void {
  const root = createLogger({ service: "bench", version: "0", destination: sink, caller });
  const logger = child ? root.child({ requestId: "r", traceId: "t" }) : root;
  for (let i = 0; i < 20_000; i++) logger.info({ i }, "warm up");
  const start = Bun.nanoseconds();
  for (let i = 0; i < lines; i++) logger.info({ i }, "hello");
  console.log(`${label}: ${((Bun.nanoseconds() - start) / lines / 1000).toFixed(2)} µs/line`);
}

measure("no caller       ", false, false);
measure("caller          ", true, false);
measure("child, no caller", false, true);
measure("child, caller   ", true, true);
