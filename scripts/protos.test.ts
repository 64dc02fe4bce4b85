import { afterAll, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureEntry, ROOT } from "../shared/build/compile.ts";
import { descriptorTypes } from "../shared/grpc/descriptor.ts";
import { contractsIn, grpcServiceSchemaOf } from "../shared/grpc/index.ts";
import { type ProtoMessage, type ProtoType, protoModelOf } from "../shared/grpc/model.ts";
import { breakingProtos, checkProto, renderProtoOf, runBuf, servicesWithContracts } from "./protos.ts";

const contractsOf = async (service: string) =>
  contractsIn(
    (await import(join(ROOT, "services", service, "src", `${service}.contract.ts`))) as Record<string, unknown>,
  );
const protoTextOf = (service: string) =>
  readFileSync(join(ROOT, "proto", "shop", service, "v1", `${service}.proto`), "utf8");

/** A value for every field of a message: `full` sets optional ones too, `minimal` only the required ones. */
function sampleOf(message: ProtoMessage, mode: "full" | "minimal", depth = 0): unknown {
  const typed = (type: ProtoType): unknown => {
    switch (type.kind) {
      case "scalar":
        return { string: "text", bool: true, int32: 7, int64: 2 ** 40, double: 1.5 }[type.scalar];
      case "enum":
        return type.enum.values.at(-1)!.json;
      case "message":
        return depth > 3 ? {} : sampleOf(type.message, mode, depth + 1);
      case "struct":
        return { k: [1, "x", null, { deep: true }] };
      case "value":
        return { v: [1] };
      case "map":
        return { a: typed(type.value) };
    }
  };
  if (message.shape === "empty") return undefined;
  const out: Record<string, unknown> = {};
  for (const f of message.fields) {
    if (mode === "minimal" && f.absent === "undefined") continue;
    out[f.jsonKey] =
      mode === "minimal" && f.absent === "null" ? null : f.repeated ? [typed(f.type), typed(f.type)] : typed(f.type);
  }
  return message.shape === "wrapped" ? out.value : out;
}

describe("the committed protos", async () => {
  const services = servicesWithContracts();

  it("cover the five services with contracts", () => {
    expect(services).toEqual(["auth", "catalog", "notifier", "orders", "users"]);
  });

  for (const service of services) {
    const contracts = await contractsOf(service);

    it(`match the ${service} contracts (no drift)`, async () => {
      expect(await checkProto({ service })).toEqual({ name: `proto: ${service}`, ok: true, problems: [] });
    });

    it(`round-trip sample values of every ${service} contract, full and minimal`, () => {
      const schema = grpcServiceSchemaOf(service, contracts, protoTextOf(service));
      expect(schema.methods).toHaveLength(contracts.length);
      const model = protoModelOf(service, contracts);
      for (const rpc of model.rpcs) {
        const method = schema.methods.find((m) => m.name === rpc.name)!;
        for (const mode of ["full", "minimal"] as const) {
          const input = sampleOf(rpc.request, mode);
          const output = sampleOf(rpc.response, mode);
          expect({ rpc: rpc.name, mode, input: method.decodeRequest(method.encodeRequest(input)) }).toEqual({
            rpc: rpc.name,
            mode,
            input,
          });
          expect({ rpc: rpc.name, mode, output: method.decodeResponse(method.encodeResponse(output)) }).toEqual({
            rpc: rpc.name,
            mode,
            output,
          });
        }
      }
    });
  }

  it("give reflection the same descriptors buf compiles from the files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "buf-build-"));
    try {
      const built = runBuf(["build", "-o", join(dir, "set.binpb")], join(ROOT, "proto"));
      expect(built.output).toBe("");
      const types = descriptorTypes();
      const setType = types.lookupType("google.protobuf.FileDescriptorSet");
      const fileType = types.lookupType("google.protobuf.FileDescriptorProto");
      const set = setType.toObject(setType.decode(readFileSync(join(dir, "set.binpb")))) as {
        file: { name: string }[];
      };
      const fromBuf = new Map(set.file.map((f) => [f.name, f]));
      for (const service of services) {
        const schema = grpcServiceSchemaOf(service, await contractsOf(service), protoTextOf(service));
        for (const bytes of schema.fileDescriptorProtos) {
          const ours = fileType.toObject(fileType.decode(bytes)) as { name: string };
          expect(ours).toEqual(fromBuf.get(ours.name) as never);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const renumbered = (n: number) => `syntax = "proto3";
package shop.stock.v1;
message Reservation {
  string order_id = 1;
  int32 quantity = ${n};
}
`;

function writeModule(dir: string, proto: string): string {
  mkdirSync(join(dir, "shop", "stock", "v1"), { recursive: true });
  writeFileSync(join(dir, "buf.yaml"), readFileSync(join(ROOT, "proto", "buf.yaml")));
  writeFileSync(join(dir, "shop", "stock", "v1", "stock.proto"), proto);
  return dir;
}

describe("buf breaking", () => {
  const dir = mkdtempSync(join(tmpdir(), "buf-breaking-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fails on a renumbered field and passes on an unchanged file", () => {
    const before = writeModule(join(dir, "before"), renumbered(2));
    const after = writeModule(join(dir, "after"), renumbered(3));
    const broken = runBuf(["breaking", "--against", before], after);
    expect(broken.ok).toBe(false);
    expect(broken.output).toMatch(
      /Previously present field "2" with name "quantity" on message "Reservation" was deleted/,
    );
    expect(runBuf(["breaking", "--against", before], before)).toEqual({ ok: true, output: "" });
  });

  it("runs against HEAD~1, against HEAD while proto/ has changes, and is skipped without a previous commit", () => {
    const repo = join(dir, "repo");
    mkdirSync(repo);
    const git = (...args: string[]) =>
      Bun.spawnSync(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo }).exitCode;
    const commit = (proto: string) => {
      writeModule(join(repo, "proto"), proto);
      git("add", "-A");
      git("commit", "-qm", "proto");
    };
    git("init", "-q");
    commit(renumbered(2));
    expect(breakingProtos(repo)).toEqual({
      ok: true,
      against: null,
      output: "skipped: HEAD~1 is not in this clone (shallow, or the first commit)",
    });
    writeModule(join(repo, "proto"), renumbered(3));
    expect(breakingProtos(repo)).toMatchObject({ ok: false, against: "HEAD" });
    git("add", "-A");
    git("commit", "-qm", "renumber");
    expect(breakingProtos(repo)).toMatchObject({ ok: false, against: "HEAD~1" });
    commit(renumbered(3).replace("}\n", "  string note = 4;\n}\n"));
    expect(breakingProtos(repo)).toEqual({ ok: true, against: "HEAD~1", output: "" });
  });
});

describe("generation", () => {
  it("reads the committed lockfile, so a contract module's proto regenerates identically", async () => {
    const g = await renderProtoOf({ service: "catalog" });
    expect(g.text).toBe(protoTextOf("catalog"));
  });

  it("works inside a compiled Bun binary with the proto text embedded", async () => {
    mkdirSync(join(ROOT, "dist"), { recursive: true });
    const out = mkdtempSync(join(ROOT, "dist", "grpc-codec-"));
    try {
      const exe = join(out, "codec");
      const build = await Bun.build({ entrypoints: [fixtureEntry("grpc-codec")], compile: { outfile: exe } });
      expect(build.success).toBe(true);
      const run = Bun.spawnSync([exe], { cwd: out, stdout: "pipe", stderr: "pipe", timeout: 30_000 });
      expect(run.stderr.toString()).toBe("");
      const result = JSON.parse(run.stdout.toString());
      expect(result).toEqual({
        answer: {
          products: [
            {
              id: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60",
              sku: "A-1",
              name: "Mug",
              priceMinor: 12_345_678_901,
              currency: "EUR",
              stock: 3,
              active: true,
            },
          ],
          missing: [],
        },
        malformed: "invalid_argument",
        descriptors: 1,
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
