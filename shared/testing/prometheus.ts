/** One sample of a Prometheus text exposition. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const labelPair = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/;
const types = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(raw: string, line: string): number {
  if (raw === "+Inf") return Number.POSITIVE_INFINITY;
  if (raw === "-Inf") return Number.NEGATIVE_INFINITY;
  if (raw === "NaN") return Number.NaN;
  const n = Number(raw);
  if (Number.isNaN(n)) throw new Error(`bad sample value in: ${line}`);
  return n;
}

function parseLabels(raw: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = raw;
  while (rest.trim() !== "") {
    const m = labelPair.exec(rest);
    if (!m) throw new Error(`bad labels in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    rest = rest.slice(m[0].length);
  }
  return labels;
}

/**
 * Parses Prometheus text format (version 0.0.4) strictly: every line must be a HELP, a TYPE, a comment
 * or a well-formed sample, and a metric may be TYPEd only once. Throws on the first bad line.
 */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  const typed = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("# HELP ")) {
      if (!metricName.test(line.split(" ")[2] ?? "")) throw new Error(`bad HELP: ${line}`);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      if (!name || !metricName.test(name) || !types.has(type ?? "")) throw new Error(`bad TYPE: ${line}`);
      if (typed.has(name)) throw new Error(`metric typed twice: ${name}`);
      typed.add(name);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    samples.push({ name: m[1]!, labels: parseLabels(m[3] ?? "", line), value: parseValue(m[4]!, line) });
  }
  return samples;
}
