// A config problem and how its path and message are written, shared by loading and checking.
import type { z } from "zod";

/** One problem in a config file, with the path in KrakenD's notation (`endpoints[3].backend[0].url_pattern`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** `endpoints[3].backend[0].url_pattern` from a zod path, appended to `base` (a path already formatted). */
export function formatPath(path: readonly PropertyKey[], base = ""): string {
  let out = base;
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** A zod issue's message without zod's generic prefix. */
export function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.message.replace(/^Invalid input: /, "");
}
