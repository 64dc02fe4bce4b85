// Release targets and what an executable says about itself: the platforms `bun run release` builds for,
// the Bun compile target of each, and the ELF header fields that tell which machine and libc a binary is for.
import { closeSync, openSync, readSync } from "node:fs";

/** The platforms a release is built for (`<os>-<arch>[-musl]`, also the suffix of artifact names). */
export const releaseTargets = ["linux-x64", "linux-arm64", "linux-x64-musl", "linux-arm64-musl"] as const;

/** One release platform. */
export type ReleaseTarget = (typeof releaseTargets)[number];

/** Whether a string names a release target. */
export function isReleaseTarget(value: string): value is ReleaseTarget {
  return (releaseTargets as readonly string[]).includes(value);
}

/** `value` as a release target; an error naming it and the known ones (prefixed by `tool`) otherwise. */
export function releaseTargetOf(value: string, tool: string): ReleaseTarget {
  if (!isReleaseTarget(value)) throw new Error(`${tool}: unknown target ${value} (${releaseTargets.join(", ")})`);
  return value;
}

/** The platform this process runs on, in the same spelling (`linux-x64`; glibc is assumed, as Bun's own build). */
export function hostTarget(): string {
  return `${process.platform}-${process.arch}`;
}

/** Bun's `compile.target` for a release target: `linux-arm64-musl` -> `bun-linux-arm64-musl`. */
export function bunTargetOf(target: ReleaseTarget): Bun.Build.CompileTarget {
  return `bun-${target}` as Bun.Build.CompileTarget;
}

/** ELF `e_machine` values of the architectures we release for. */
export const elfMachines = { x64: 62, arm64: 183 } as const;

/** What the ELF header of an executable says. */
export interface ElfInfo {
  /** `e_machine`: 62 for x86-64, 183 for AArch64. */
  machine: number;
  /** The requested program interpreter (`PT_INTERP`), e.g. `/lib/ld-musl-aarch64.so.1`; null when static. */
  interpreter: string | null;
}

const PT_INTERP = 3;

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const got = readSync(fd, buf, 0, length, offset);
  if (got !== length) throw new Error(`elf: file ends at ${offset + got}, wanted ${offset + length}`);
  return buf;
}

/**
 * Reads the machine and the interpreter from a 64-bit little-endian ELF file (what every release target is),
 * without running it: `file` is not on every machine, and a foreign binary can't say `--version` here.
 *
 * @example
 * ```ts
 * readElf("dist/release/bin/catalog").machine === elfMachines.arm64;
 * ```
 */
export function readElf(path: string): ElfInfo {
  const fd = openSync(path, "r");
  try {
    const header = readAt(fd, 0, 64);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`elf: ${path} is not an ELF file`);
    if (header[4] !== 2 || header[5] !== 1) throw new Error(`elf: ${path} is not a 64-bit little-endian ELF file`);
    const machine = header.readUInt16LE(18);
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    let interpreter: string | null = null;
    for (let i = 0; i < phnum; i++) {
      const ph = readAt(fd, phoff + i * phentsize, phentsize);
      if (ph.readUInt32LE(0) !== PT_INTERP) continue;
      const offset = Number(ph.readBigUInt64LE(8));
      const size = Number(ph.readBigUInt64LE(32));
      interpreter = readAt(fd, offset, size).toString("latin1").replace(/\0+$/, "");
    }
    return { machine, interpreter };
  } finally {
    closeSync(fd);
  }
}

/** Whether an executable built for `target` has the header that target needs (machine and libc). */
export function elfMatchesTarget(info: ElfInfo, target: ReleaseTarget): boolean {
  const arch = target.includes("arm64") ? "arm64" : "x64";
  if (info.machine !== elfMachines[arch]) return false;
  const musl = target.endsWith("-musl");
  return musl ? /ld-musl-/.test(info.interpreter ?? "") : !/ld-musl-/.test(info.interpreter ?? "");
}
