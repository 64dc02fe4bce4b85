import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunTargetOf, elfMachines, elfMatchesTarget, isReleaseTarget, readElf, releaseTargets } from "./targets.ts";

/** A minimal 64-bit little-endian ELF: header, one program header, and an interpreter string if given. */
function fakeElf(machine: number, interpreter: string | null): Buffer {
  const interp = interpreter === null ? Buffer.alloc(0) : Buffer.from(`${interpreter}\0`, "latin1");
  const buf = Buffer.alloc(64 + 56 + interp.length);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = 2; // 64-bit
  buf[5] = 1; // little-endian
  buf.writeUInt16LE(machine, 18);
  buf.writeBigUInt64LE(64n, 32); // e_phoff
  buf.writeUInt16LE(56, 54); // e_phentsize
  buf.writeUInt16LE(1, 56); // e_phnum
  buf.writeUInt32LE(interpreter === null ? 1 : 3, 64); // PT_LOAD or PT_INTERP
  buf.writeBigUInt64LE(120n, 64 + 8); // p_offset
  buf.writeBigUInt64LE(BigInt(interp.length), 64 + 32); // p_filesz
  interp.copy(buf, 120);
  return buf;
}

function withFile<T>(bytes: Buffer, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "elf-"));
  try {
    const path = join(dir, "bin");
    writeFileSync(path, bytes);
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("release targets", () => {
  test("are the four Linux platforms, each with Bun's compile target name", () => {
    expect([...releaseTargets]).toEqual(["linux-x64", "linux-arm64", "linux-x64-musl", "linux-arm64-musl"]);
    expect(bunTargetOf("linux-arm64-musl")).toBe("bun-linux-arm64-musl");
    expect(isReleaseTarget("linux-arm64")).toBe(true);
    expect(isReleaseTarget("darwin-arm64")).toBe(false);
  });
});

describe("readElf", () => {
  test("reads this machine's Bun as x86-64 with glibc's loader", () => {
    const info = readElf(process.execPath);
    expect(info.machine).toBe(elfMachines.x64);
    expect(info.interpreter).toMatch(/ld-linux-x86-64\.so\.2$/);
    expect(elfMatchesTarget(info, "linux-x64")).toBe(true);
    expect(elfMatchesTarget(info, "linux-x64-musl")).toBe(false);
    expect(elfMatchesTarget(info, "linux-arm64")).toBe(false);
  });

  test("reads an AArch64 musl header and tells it from the other targets", () => {
    withFile(fakeElf(183, "/lib/ld-musl-aarch64.so.1"), (path) => {
      const info = readElf(path);
      expect(info).toEqual({ machine: 183, interpreter: "/lib/ld-musl-aarch64.so.1" });
      expect(releaseTargets.filter((t) => elfMatchesTarget(info, t))).toEqual(["linux-arm64-musl"]);
    });
  });

  test("gives no interpreter for a static executable", () => {
    withFile(fakeElf(62, null), (path) => expect(readElf(path)).toEqual({ machine: 62, interpreter: null }));
  });

  test("refuses a file that is not ELF, and one cut short", () => {
    withFile(Buffer.from("#!/bin/sh\nexit 0\n".padEnd(64, " ")), (path) => {
      expect(() => readElf(path)).toThrow("is not an ELF file");
    });
    withFile(fakeElf(62, "/lib/ld-linux-x86-64.so.2").subarray(0, 40), (path) => {
      expect(() => readElf(path)).toThrow("file ends at 40");
    });
  });
});
