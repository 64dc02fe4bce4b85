// Running a Bun linux-x64-musl executable on this Debian machine, for tests. Bun's musl build needs musl's
// loader and libc (Debian package `musl`: /lib/ld-musl-x86_64.so.1) and a libstdc++ built for musl, which
// neither Debian nor the npm registry ships (Alpine's package is out of reach). So the test loads Debian's
// glibc-built libstdc++ and libgcc_s under musl, with a small shim (compat.c, compiled by gcc) giving the
// few glibc symbols they import, as Alpine's gcompat does. The executable, its loader and libc are musl's;
// the C++ runtime is not Alpine's.
import { copyFileSync, existsSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** musl's dynamic loader on x86-64 (also its libc). */
export const MUSL_LOADER = "/lib/ld-musl-x86_64.so.1";

const debianLibs = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"];

/** What a musl executable needs here: the folder to put in `LD_LIBRARY_PATH`. */
export interface MuslRuntime {
  libDir: string;
  env: Record<string, string>;
}

/**
 * Prepares a folder of libraries under which musl's loader runs a Bun musl executable on this glibc machine.
 * Throws, naming the Debian package, when musl, gcc or libstdc++ is missing.
 *
 * @example
 * ```ts
 * const musl = prepareMuslRuntime();
 * Bun.spawnSync([bin, "--version"], { env: { ...process.env, ...musl.env } });
 * ```
 */
export function prepareMuslRuntime(): MuslRuntime {
  if (!existsSync(MUSL_LOADER)) throw new Error(`${MUSL_LOADER} is missing: apt-get install musl`);
  for (const lib of debianLibs) {
    if (!existsSync(lib)) throw new Error(`${lib} is missing: apt-get install libstdc++6`);
  }
  const gcc = Bun.which("gcc") ?? Bun.which("cc");
  if (!gcc) throw new Error("no C compiler for the musl compat shim: apt-get install gcc");
  const libDir = mkdtempSync(join(tmpdir(), "musl-runtime-"));
  for (const lib of debianLibs) copyFileSync(lib, join(libDir, lib.slice(lib.lastIndexOf("/") + 1)));
  // The name Alpine gives musl's libc, which Bun's musl build asks for.
  symlinkSync(MUSL_LOADER, join(libDir, "libc.musl-x86_64.so.1"));
  // Linked with no C library: its few calls (getrandom, strftime_l) bind to musl's at load time.
  const shim = Bun.spawnSync(
    [
      gcc,
      "-shared",
      "-fPIC",
      "-nostdlib",
      "-O2",
      "-o",
      join(libDir, "ld-linux-x86-64.so.2"),
      join(import.meta.dir, "compat.c"),
    ],
    { stderr: "pipe" },
  );
  if (shim.exitCode !== 0) throw new Error(`compiling the musl compat shim failed: ${shim.stderr.toString()}`);
  return { libDir, env: { LD_LIBRARY_PATH: libDir } };
}
