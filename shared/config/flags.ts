import type { z } from "zod";
import type { RawEntry } from "./env.ts";
import { ConfigError } from "./errors.ts";
import { coreType, schemaAt } from "./schema-walk.ts";

/** Short flag names every service understands, mapped to config paths (used only if the path exists). */
export const standardFlagAliases: Readonly<Record<string, string>> = {
  port: "http.port",
  host: "http.host",
  "log-level": "log.level",
};

/** What the command line says: an optional config file and raw values by path. */
export interface ParsedFlags {
  configFile?: string;
  entries: RawEntry[];
}

/** `body-limit-bytes` -> `bodyLimitBytes`, so both spellings of a key work. */
function camel(segment: string): string {
  return segment.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const booleanWords = new Set(["true", "false", "1", "0", "yes", "no", "on", "off"]);

/** Parses `--config FILE`, `--a.b=v`, `--a.b v`, `--flag` (booleans) and `--no-flag`; unknown flags throw. */
export function parseFlags(
  schema: z.core.$ZodType,
  argv: readonly string[],
  aliases: Record<string, string> = standardFlagAliases,
): ParsedFlags {
  const result: ParsedFlags = { entries: [] };
  const fail = (arg: string, message: string): never => {
    throw new ConfigError([{ key: "", message, source: `flag ${arg}` }]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--") || arg === "--") fail(arg, `unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    const takeNext = (): string | undefined => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) return undefined;
      i++;
      return next;
    };
    if (name === "config") {
      const file = inline ?? takeNext();
      if (!file) fail(arg, "--config needs a file name");
      result.configFile = file;
      continue;
    }
    let negated = false;
    const resolve = (n: string) => {
      const dotted = aliases[n] && schemaAt(schema, aliases[n].split(".")) ? aliases[n] : n;
      const path = dotted.split(".").map(camel);
      return schemaAt(schema, path) ? path : undefined;
    };
    let path = resolve(name);
    if (!path && name.startsWith("no-") && inline === undefined) {
      path = resolve(name.slice(3));
      if (path && coreType(schemaAt(schema, path)!) === "boolean") negated = true;
      else path = undefined;
      name = name.slice(3);
    }
    if (!path) return fail(arg, `unknown flag --${name}`);
    const leaf = schemaAt(schema, path)!;
    const source = `flag --${path.join(".")}`;
    if (negated) {
      result.entries.push({ path, raw: "false", source });
      continue;
    }
    if (coreType(leaf) === "boolean" && inline === undefined) {
      const next = argv[i + 1];
      const takesWord = next !== undefined && booleanWords.has(next.toLowerCase());
      inline = takesWord ? next : "true";
      if (takesWord) i++;
    }
    const raw = inline ?? takeNext();
    if (raw === undefined) fail(arg, `--${name} needs a value`);
    result.entries.push({ path, raw: raw as string, source });
  }
  return result;
}
