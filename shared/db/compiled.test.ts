import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";

// One throwaway binary proves three things only a real `bun build --compile` can: the macro's data is inlined,
// the kit knows it is compiled, and the embedded-PostgreSQL fallback is refused there.
const work = mkdtempSync(join(tmpdir(), "db-compiled-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("a compiled binary using the database part", () => {
  test("carries the embedded migrations and demands a database URL instead of starting PostgreSQL", async () => {
    const here = import.meta.dir;
    const entry = join(work, "main.ts");
    await Bun.write(
      entry,
      `import { embedMigrations } from ${JSON.stringify(join(here, "migrations.macro.ts"))} with { type: "macro" };
import { isCompiledBinary, resolveDatabaseUrl } from ${JSON.stringify(join(here, "index.ts"))};
const migrations = embedMigrations("shared/db/fixtures/basic");
let error = "";
await resolveDatabaseUrl({ dataDir: "pg" }).catch((err: Error) => { error = err.message; });
console.log(JSON.stringify({ migrations, compiled: isCompiledBinary(), error }));
`,
    );
    const outfile = join(work, "out", "probe");
    const build = await Bun.build({ entrypoints: [entry], compile: { outfile } });
    expect(build.success).toBe(true);
    const alone = join(work, "alone");
    mkdirSync(alone);
    const run = Bun.spawnSync([outfile], { cwd: alone, env: { PATH: process.env.PATH ?? "" } });
    const out = JSON.parse(run.stdout.toString());
    const expected = readMigrationFiles({ migrationsFolder: resolve(here, "fixtures", "basic") });
    expect(out.migrations.map(({ tag: _t, ...m }: { tag: string }) => m)).toEqual(expected);
    expect(out.compiled).toBe(true);
    expect(out.error).toContain("DATABASE_URL");
  }, 60_000);
});
