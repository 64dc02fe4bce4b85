import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { embedMigrations } from "./migrations.macro.ts" with { type: "macro" };
import { embedMigrations as embedAtRuntime } from "./migrations.macro.ts";

const fixture = resolve(import.meta.dir, "fixtures", "basic");

describe("embedMigrations", () => {
  test("inlines the same statements, breakpoints, timestamps and hashes as drizzle's readMigrationFiles", () => {
    const embedded = embedMigrations("shared/db/fixtures/basic");
    const drizzles = readMigrationFiles({ migrationsFolder: fixture });
    expect(embedded.map(({ tag: _tag, ...rest }) => rest)).toEqual(drizzles);
    expect(embedded.map((m) => m.tag)).toEqual(["0000_init", "0001_parts", "0002_price_check"]);
  });

  test("resolves a relative folder against the repository root, not the working directory", async () => {
    const script = join(mkdtempSync(join(tmpdir(), "embed-cwd-")), "probe.ts");
    await Bun.write(
      script,
      `import { embedMigrations } from ${JSON.stringify(resolve(import.meta.dir, "migrations.macro.ts"))} with { type: "macro" };\n` +
        `console.log(embedMigrations("shared/db/fixtures/basic").length);\n`,
    );
    const run = Bun.spawnSync([process.execPath, "run", script], { cwd: "/" });
    expect(run.stderr.toString()).toBe("");
    expect(run.stdout.toString().trim()).toBe("3");
  });

  test("names the missing journal when the folder is not a drizzle-kit output", () => {
    expect(() => embedAtRuntime("shared/db/fixtures/nope")).toThrow(/no drizzle journal at .*fixtures\/nope/);
  });
});
