// Durations as KrakenD writes them: Go's time.Duration strings ("2s", "1500ms", "1m30s") or an integer,
// which Go reads as nanoseconds. Every duration the gateway reads goes through `parseDuration`.
import { z } from "zod";

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a Go-style duration into milliseconds; returns null when the value is not one.
 * @example parseDuration("1m30s") // 90000; parseDuration(3_000_000) // 3
 */
export function parseDuration(value: string | number): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value / 1e6 : null;
  const text = value.trim();
  if (text === "0") return 0;
  if (text === "") return null;
  let total = 0;
  part.lastIndex = 0;
  while (part.lastIndex < text.length) {
    const start = part.lastIndex;
    const m = part.exec(text);
    if (!m || m.index !== start) return null;
    total += Number(m[1]) * unitMs[m[2]!]!;
  }
  return total;
}

const notADuration = 'expected a duration such as "2s" or "1500ms"';
const durationValue = z.union([z.string(), z.number()]);

/** A duration checked but kept as written (`timeout` and `cache_ttl`; the runtime builder converts them). */
export const durationText = durationValue.refine((v) => parseDuration(v) !== null, { message: notADuration });

/** A duration parsed to milliseconds (the durations inside `extra_config` namespaces). */
export const durationMs = durationValue.transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: notADuration });
    return z.NEVER;
  }
  return ms;
});
