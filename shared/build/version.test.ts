import { describe, expect, test } from "bun:test";
import { resolveVersion } from "./compile.ts";
import { buildVersion, DEV_VERSION } from "./version.ts";

describe("buildVersion", () => {
  test("is 0.0.0-dev when running from source, where nothing was injected", () => {
    expect(buildVersion()).toBe(DEV_VERSION);
    expect(DEV_VERSION).toBe("0.0.0-dev");
  });
});

describe("resolveVersion", () => {
  test("prefers the VERSION environment variable and strips a leading v", () => {
    expect(resolveVersion({ VERSION: "v2.3.4" })).toBe("2.3.4");
  });

  test("falls back to git describe inside the repository", () => {
    const version = resolveVersion({});
    expect(version).not.toStartWith("v");
    expect(version).toMatch(/^[0-9A-Za-z][0-9A-Za-z.+-]*$/);
  });

  test("falls back to 0.0.0-dev where git is not installed (a Docker build stage), instead of failing the build", () => {
    expect(resolveVersion({ PATH: "/nonexistent" })).toBe("0.0.0-dev");
  });
});
