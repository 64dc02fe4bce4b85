import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fixtureEntry, ROOT } from "../shared/build/compile.ts";
import { checkMigrations, checkOpenapi, writeMigrations, writeOpenapi } from "./drift.ts";

describe("openapi drift", () => {
  const dir = mkdtempSync(join(tmpdir(), "openapi-drift-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const target = { service: "hello", entry: fixtureEntry("hello"), openapiFile: join(dir, "hello.json") };

  test("reports a missing file, passes once generated, and reports an edited file", () => {
    expect(checkOpenapi(target).ok).toBe(false);
    writeOpenapi(target);
    expect(checkOpenapi(target)).toEqual({ name: "openapi/hello.json", ok: true, problems: [] });
    writeFileSync(target.openapiFile, '{"openapi":"3.1.0","info":{"title":"stale","version":"0"},"paths":{}}\n');
    expect(checkOpenapi(target).problems[0]).toContain("differs");
  });
});

describe("drizzle migrations drift", () => {
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, "dist", "drift-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const target = {
    service: "drift",
    schema: "./scripts/fixtures/drift/drift.schema.ts",
    migrations: relative(ROOT, dir),
  };

  test("reports migrations drizzle-kit would add, and passes once they are generated", () => {
    const missing = checkMigrations(target);
    expect(missing.ok).toBe(false);
    expect(missing.problems.join("\n")).toMatch(/would add .*\.sql/);

    const gen = writeMigrations(target);
    expect(gen.ok).toBe(true);
    expect(readdirSync(dir).some((f) => f.endsWith(".sql"))).toBe(true);
    expect(checkMigrations(target)).toEqual({ name: `${target.migrations}/`, ok: true, problems: [] });
  }, 60_000);
});
