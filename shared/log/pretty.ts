/** Something pino can write lines to. */
export interface LineWriter {
  write(line: string): unknown;
}

const hidden = new Set(["level", "time", "msg", "service", "version", "caller", "pid", "hostname"]);

function clock(time: unknown): string {
  const date = typeof time === "string" || typeof time === "number" ? new Date(time) : new Date();
  return date.toISOString().slice(11, 23);
}

function show(value: unknown): string {
  return typeof value === "string" && !/\s/.test(value) ? value : JSON.stringify(value);
}

/** Formats one JSON log line as `12:00:00.000 INFO  message key=value (file.ts:12)`. */
export function formatPretty(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  const level = String(entry.level ?? "")
    .toUpperCase()
    .padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !hidden.has(key))
    .map(([key, value]) => `${key}=${show(value)}`);
  const caller = entry.caller ? ` (${entry.caller})` : "";
  return `${clock(entry.time)} ${level} ${entry.msg ?? ""}${fields.length ? ` ${fields.join(" ")}` : ""}${caller}\n`;
}

/** An in-process stream (no worker thread) that pretty-prints pino's JSON lines to `destination`. */
export function createPrettyStream(destination: LineWriter): LineWriter {
  return { write: (line: string) => destination.write(formatPretty(line)) };
}
