import { describe, expect, test } from "bun:test";
import { createLogger } from "@shared/log";
import { createAccessLog } from "./access-line.ts";

describe("access log", () => {
  test("writes the line pino writes for the same entry, field for field and in the same order", () => {
    const ours: string[] = [];
    const theirs: string[] = [];
    const log = createAccessLog({ write: (l) => ours.push(l) }, { service: "gateway", version: "1.2.3" });
    const pinoLogger = createLogger({
      service: "gateway",
      version: "1.2.3",
      caller: false,
      destination: { write: (l: string) => theirs.push(l) } as never,
    });
    const entry = {
      requestId: "req-1",
      traceId: "0af7651916cd43dd8448eb211c80319c",
      method: "GET",
      path: '/a"b\\c\u0001/ü',
      route: "/a/{id}",
      status: 404,
      durationMs: 0.37,
      clientIp: "::1",
    };
    log(entry);
    pinoLogger.info(entry, "request");
    const strip = (line: string) => line.replace(/"time":"[^"]+"/, '"time":"T"');
    expect(ours[0]!.endsWith("\n")).toBe(true);
    expect(strip(ours[0]!)).toBe(strip(theirs[0]!));
    expect(JSON.parse(ours[0]!).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
