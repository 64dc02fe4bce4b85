#!/usr/bin/env bun
// `bun scripts/gen-common-passwords.ts`: regenerates services/auth/src/passwords/common-passwords.txt, the
// list of common passwords auth refuses (embedded in its binary), and the licence beside it.
//
// Source: the npm package @zxcvbn-ts/language-common (MIT, Copyright Dan Wheeler, Dropbox, Inc. and
// @zxcvbn-ts), its `src/passwords.json`: the zxcvbn frequency list of leaked passwords, most common first.
// The list is lower-cased (auth compares lower case), de-duplicated and written one per line in the
// package's order. Pinned to one version so the committed file only changes on purpose.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../shared/build/compile.ts";

const pkg = "@zxcvbn-ts/language-common@4.1.3";
const outDir = join(ROOT, "services", "auth", "src", "passwords");

function run(cmd: string[], cwd: string): string {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

const work = mkdtempSync(join(tmpdir(), "common-passwords-"));
try {
  const tarball = run(["npm", "pack", "--silent", pkg], work).split("\n").pop()!;
  run(["tar", "xzf", tarball, "package/src/passwords.json", "package/LICENSE.txt"], work);
  const list = (await Bun.file(join(work, "package/src/passwords.json")).json()) as string[];
  const seen = new Set<string>();
  for (const p of list) {
    const lower = p.toLowerCase();
    if (lower.length > 0 && !/[\r\n]/.test(lower)) seen.add(lower);
  }
  await Bun.write(join(outDir, "common-passwords.txt"), `${[...seen].join("\n")}\n`);
  const licence = await Bun.file(join(work, "package/LICENSE.txt")).text();
  await Bun.write(join(outDir, "common-passwords.LICENSE.txt"), `From the npm package ${pkg}:\n\n${licence}`);
  console.log(`gen-common-passwords: ${seen.size} passwords from ${pkg}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
