import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lintAsyncapi, lintOpenapi, reportSpecLint } from "./spec-lint.ts";

const dir = mkdtempSync(join(tmpdir(), "spec-lint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A document that passes the recommended rules with no warning at all.
const clean = {
  openapi: "3.1.0",
  info: { title: "fixture", version: "1", description: "A fixture.", license: { name: "MIT", identifier: "MIT" } },
  servers: [{ url: "/" }],
  paths: {
    "/things": {
      get: {
        operationId: "things.list",
        summary: "List things",
        security: [],
        responses: { "200": { description: "The things" }, "400": { description: "Bad request" } },
      },
    },
  },
};

function write(name: string, doc: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

describe("lintOpenapi (Redocly recommended)", () => {
  test("passes a clean document", () => {
    const r = lintOpenapi([write("clean.json", clean)]);
    expect(r.output).not.toContain("error");
    expect(r.ok).toBe(true);
  }, 30_000);

  test("fails on an error and names the rule: no servers, an operation without security", () => {
    const { servers: _, ...noServers } = clean;
    const get = { ...clean.paths["/things"].get, security: undefined };
    const r = lintOpenapi([write("broken.json", { ...noServers, paths: { "/things": { get } } })]);
    expect(r.ok).toBe(false);
    expect(r.output).toContain("no-empty-servers");
    expect(r.output).toContain("security-defined");
  }, 30_000);

  test("what `bun run check` runs fails when one document of several has an error", async () => {
    const ok = await reportSpecLint([write("a.json", clean), write("b.json", { ...clean, servers: undefined })]);
    expect(ok).toBe(false);
  }, 30_000);
});

describe("lintAsyncapi (@asyncapi/parser)", () => {
  const committed = readFileSync(join(import.meta.dir, "..", "openapi", "asyncapi.json"), "utf8");

  test("passes the committed document", async () => {
    const r = await lintAsyncapi(committed);
    expect(r.output).toContain("0 error(s)");
    expect(r.ok).toBe(true);
  }, 30_000);

  test("fails on an invalid document and says what is wrong", async () => {
    const { info: _, ...noInfo } = JSON.parse(committed) as Record<string, unknown>;
    const r = await lintAsyncapi(JSON.stringify(noInfo));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('required property "info"');
  }, 30_000);

  test("what `bun run check` runs fails on an invalid asyncapi.json", async () => {
    const file = join(dir, "asyncapi.json");
    writeFileSync(file, JSON.stringify({ asyncapi: "3.0.0", channels: 42 }));
    expect(await reportSpecLint([file])).toBe(false);
  }, 30_000);
});
