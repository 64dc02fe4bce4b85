// Reads systemd unit files and EnvironmentFiles the way systemd does, as far as our units use them, so tests
// can run a service from exactly the lines ops install.

/** A unit file: each section's settings in order; a repeated key keeps every value. */
export type UnitFile = Record<string, { key: string; value: string }[]>;

/** Parses a unit file (sections, `Key=value`, `#`/`;` comments, `\` line continuations). */
export function parseUnitFile(text: string): UnitFile {
  const unit: UnitFile = {};
  let section: string | null = null;
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      unit[section] ??= [];
      continue;
    }
    const eq = line.indexOf("=");
    if (section === null || eq <= 0) throw new Error(`unit file: not a setting: ${line}`);
    unit[section]!.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return unit;
}

/** Every value of one key in one section (systemd's lists: `Environment=` lines, `LoadCredential=` lines). */
export function unitValues(unit: UnitFile, section: string, key: string): string[] {
  return (unit[section] ?? []).filter((s) => s.key === key).map((s) => s.value);
}

/** Parses an EnvironmentFile: `NAME=value` lines, comments, optional surrounding quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`env file: not NAME=value: ${line}`);
    const value = m[2]!.trim();
    env[m[1]!] = /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
  }
  return env;
}

/** `Environment=A=1 B=2` lines of a unit as one map (no quoting in our units). */
export function unitEnvironment(unit: UnitFile, specifiers: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of unitValues(unit, "Service", "Environment")) {
    for (const pair of line.split(/\s+/)) {
      const eq = pair.indexOf("=");
      env[pair.slice(0, eq)] = expandSpecifiers(pair.slice(eq + 1), specifiers);
    }
  }
  return env;
}

/** Replaces `%d` and other specifiers the caller supplies (`%%` is a literal percent sign). */
export function expandSpecifiers(value: string, specifiers: Record<string, string>): string {
  return value.replace(/%(.)/g, (whole, c: string) => {
    if (c === "%") return "%";
    const v = specifiers[c];
    if (v === undefined) throw new Error(`unit file: specifier ${whole} not supplied`);
    return v;
  });
}

/** An `Exec*=` line as argv (no quoting in our units; a leading `-`, `@`, `+` or `!` prefix is refused). */
export function execArgv(line: string, specifiers: Record<string, string>): string[] {
  if (/^[-@+!:]/.test(line)) throw new Error(`unit file: exec prefixes are not expected: ${line}`);
  return line.split(/\s+/).map((arg) => expandSpecifiers(arg, specifiers));
}
