// A checkout of another git revision beside this one, for benchmarks that measure a change against the code
// before it in one run (`--a REV`).
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..", "..");

/** A detached worktree of `ref` sharing this checkout's node_modules; `remove` deletes it. */
export function checkout(ref: string, prefix: string): { dir: string; remove(): void } {
  const dir = join(mkdtempSync(join(tmpdir(), `${prefix}-`)), "tree");
  const made = Bun.spawnSync(["git", "-C", root, "worktree", "add", "--detach", dir, ref], { stderr: "pipe" });
  if (made.exitCode !== 0) throw new Error(`cannot check out ${ref}: ${made.stderr.toString().trim()}`);
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return {
    dir,
    remove() {
      Bun.spawnSync(["git", "-C", root, "worktree", "remove", "--force", dir]);
      rmSync(resolve(dir, ".."), { recursive: true, force: true });
    },
  };
}
