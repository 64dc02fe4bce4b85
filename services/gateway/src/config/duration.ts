// Durations as KrakenD writes them: Go's time.Duration strings ("2s", "1500ms", "1m30s") or an integer,
// which Go reads as nanoseconds.

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

/** Parses a Go-style duration into milliseconds; returns null when the text is not one. */
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
