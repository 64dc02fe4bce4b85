// `bun run release` end to end: an arm64 and an Alpine (musl) bundle of catalog, their sums verified with
// sha256sum, the arm64 binary's header read as AArch64, and the musl binary run under musl's loader.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../shared/build/compile.ts";
import { elfMachines, readElf } from "../shared/build/targets.ts";
import { prepareMuslRuntime } from "../shared/testing/musl/musl.ts";
import { parseReleaseArgs } from "./release.ts";

const known = ["auth", "catalog", "gateway"];

describe("parseReleaseArgs", () => {
  test("defaults to every target and every service", () => {
    expect(parseReleaseArgs([], known)).toEqual({
      targets: ["linux-x64", "linux-arm64", "linux-x64-musl", "linux-arm64-musl"],
      services: known,
      help: false,
    });
  });

  test("takes repeated targets and services, once each", () => {
    const cli = parseReleaseArgs(["--target", "linux-arm64", "catalog", "--target", "linux-arm64", "catalog"], known);
    expect(cli).toMatchObject({ targets: ["linux-arm64"], services: ["catalog"] });
  });

  test("names an unknown target, option or service", () => {
    expect(() => parseReleaseArgs(["--target", "windows-x64"], known)).toThrow("unknown target windows-x64");
    expect(() => parseReleaseArgs(["--fast"], known)).toThrow("unknown option --fast");
    expect(() => parseReleaseArgs(["billing"], known)).toThrow("no services/billing/src/main.ts");
    expect(() => parseReleaseArgs(["--target"], known)).toThrow("--target needs a value");
  });
});

describe("bun run release --target linux-arm64 --target linux-x64-musl catalog", () => {
  const version = "9.9.9-release-test";
  let out: string;
  let unpacked: string;
  const run = (cmd: string[], cwd: string, env: Record<string, string | undefined> = process.env) => {
    const r = Bun.spawnSync(cmd, { cwd, env, stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };

  beforeAll(() => {
    mkdirSync(join(ROOT, "dist"), { recursive: true });
    out = mkdtempSync(join(ROOT, "dist", ".release-test-"));
    unpacked = join(out, "unpacked");
    const r = run(
      [
        process.execPath,
        "scripts/release.ts",
        "--target",
        "linux-arm64",
        "--target",
        "linux-x64-musl",
        "--outdir",
        out,
        "catalog",
      ],
      ROOT,
      { ...process.env, VERSION: version },
    );
    expect(r.code, r.out + r.err).toBe(0);
    mkdirSync(unpacked);
    for (const target of ["linux-arm64", "linux-x64-musl"]) {
      const t = run(["tar", "-xzf", join(out, `shop-${version}-${target}.tar.gz`), "-C", unpacked], out);
      expect(t.code, t.err).toBe(0);
    }
  }, 240_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("makes both bundles, each with a sum that sha256sum accepts", () => {
    expect(
      readdirSync(out)
        .filter((f) => f.startsWith("shop-"))
        .sort(),
    ).toEqual([
      `shop-${version}-linux-arm64.tar.gz`,
      `shop-${version}-linux-arm64.tar.gz.sha256`,
      `shop-${version}-linux-x64-musl.tar.gz`,
      `shop-${version}-linux-x64-musl.tar.gz.sha256`,
    ]);
    const r = run(["sha256sum", "-c", ...readdirSync(out).filter((f) => f.endsWith(".sha256"))], out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`shop-${version}-linux-arm64.tar.gz: OK`);
  });

  test("each bundle holds the binary, the deploy files, INSTALL.md, an SBOM, and SHA256SUMS over all of them", () => {
    for (const target of ["linux-arm64", "linux-x64-musl"]) {
      const dir = join(unpacked, `shop-${version}-${target}`);
      for (const f of ["bin/catalog", "INSTALL.md", "gateway.json", "sbom.cdx.json", "VERSION"]) {
        expect(existsSync(join(dir, f)), `${target}: ${f}`).toBe(true);
      }
      expect(existsSync(join(dir, "deploy/systemd/shop-catalog.service"))).toBe(true);
      expect(existsSync(join(dir, "deploy/systemd/env/catalog.env"))).toBe(true);
      expect(existsSync(join(dir, "deploy/k8s/base/kustomization.yaml"))).toBe(true);
      expect(existsSync(join(dir, "deploy/systemd/unit-file.ts"))).toBe(false);
      const sums = readFileSync(join(dir, "SHA256SUMS"), "utf8");
      expect(sums).toContain("  bin/catalog\n");
      const r = run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], dir);
      expect(r.code, r.out + r.err).toBe(0);
      const sbom = JSON.parse(readFileSync(join(dir, "sbom.cdx.json"), "utf8"));
      expect(sbom.bomFormat).toBe("CycloneDX");
      expect(sbom.metadata.component.version).toBe(version);
    }
  });

  test("the arm64 binary is an AArch64 executable with glibc's loader", () => {
    const elf = readElf(join(unpacked, `shop-${version}-linux-arm64`, "bin", "catalog"));
    expect(elf.machine).toBe(elfMachines.arm64);
    expect(elf.machine).toBe(183);
    expect(elf.interpreter).toBe("/lib/ld-linux-aarch64.so.1");
  });

  test("the musl binary asks for musl's loader and prints its version under musl", () => {
    const bin = join(unpacked, `shop-${version}-linux-x64-musl`, "bin", "catalog");
    expect(readElf(bin)).toEqual({ machine: elfMachines.x64, interpreter: "/lib/ld-musl-x86_64.so.1" });
    const musl = prepareMuslRuntime();
    try {
      const v = run([bin, "--version"], "/", { PATH: process.env.PATH, ...musl.env });
      expect(v.err).toBe("");
      expect(v.out.trim()).toBe(version);
      expect(v.code).toBe(0);
      // More than a version string: the bundled OpenAPI document comes out of the binary too.
      const doc = run([bin, "openapi"], "/", { PATH: process.env.PATH, ...musl.env });
      expect(doc.code, doc.err).toBe(0);
      expect(JSON.parse(doc.out).info).toMatchObject({ title: "catalog", version });
      // Without musl's libraries next to it, the same binary cannot start on this glibc machine.
      expect(run([bin, "--version"], "/", { PATH: process.env.PATH }).code).not.toBe(0);
    } finally {
      rmSync(musl.libDir, { recursive: true, force: true });
    }
  });
});
