/**
 * Build-time embedding of a drizzle-kit migrations folder.
 *
 * Import it as a Bun macro so the folder is read while bundling and the result is inlined as plain data:
 *
 * ```ts
 * import { embedMigrations } from "@shared/db/migrations.macro.ts" with { type: "macro" };
 * const migrations = embedMigrations("drizzle/users");
 * ```
 *
 * The argument must be a string literal. Relative folders resolve against the repository root (found from
 * this file's own location), never the working directory, so `bun run`, `bun test` and `bun build --compile`
 * agree from any directory. A compiled binary carries the data and never touches the folder again.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

/** One migration as drizzle's `readMigrationFiles` returns it, plus the journal tag that names it. */
export interface EmbeddedMigration {
  /** Journal tag, e.g. `0000_init`; the file is `<tag>.sql`. */
  tag: string;
  /** Statements, split on `--> statement-breakpoint` exactly as drizzle splits them. */
  sql: string[];
  /** The journal's `breakpoints` flag. */
  bps: boolean;
  /** The journal's `when`; drizzle records it as `created_at` in its journal table. */
  folderMillis: number;
  /** sha256 (hex) of the whole file text, as drizzle computes it. */
  hash: string;
}

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
  breakpoints: boolean;
}

/** The repository root: this file lives at `<root>/shared/db/`. */
const repositoryRoot = resolve(import.meta.dir, "..", "..");

/** Reads a drizzle-kit output folder (`meta/_journal.json` + `NNNN_tag.sql`) into embeddable data. */
export function embedMigrations(folder: string): EmbeddedMigration[] {
  const dir = isAbsolute(folder) ? folder : join(repositoryRoot, folder);
  const journalPath = join(dir, "meta", "_journal.json");
  if (!existsSync(journalPath)) {
    throw new Error(`embedMigrations: no drizzle journal at ${journalPath} (folder "${folder}")`);
  }
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: JournalEntry[] };
  return journal.entries.map((entry) => {
    const file = join(dir, `${entry.tag}.sql`);
    if (!existsSync(file)) {
      throw new Error(`embedMigrations: journal entry ${entry.tag} has no file ${file}`);
    }
    const text = readFileSync(file).toString();
    return {
      tag: entry.tag,
      sql: text.split("--> statement-breakpoint"),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      hash: createHash("sha256").update(text).digest("hex"),
    };
  });
}
