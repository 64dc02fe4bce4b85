// A CycloneDX software bill of materials for the binaries, read from bun.lock: the npm packages the
// runtime dependencies of package.json reach, with their integrity hashes. Development-only packages and
// the ones a build keeps out of the binary (EXTERNAL) are left out, since no binary contains them.

/** The parts of bun.lock the SBOM reads. */
interface BunLock {
  workspaces: Record<string, { name?: string; dependencies?: Record<string, string> }>;
  /** key (a name, or `parent/name` for a nested copy) -> [`name@version`, registry, {dependencies...}, integrity] */
  packages: Record<string, [string, string, PackageMeta?, string?]>;
}

interface PackageMeta {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** One CycloneDX component (the fields we fill). */
export interface SbomComponent {
  type: "library";
  "bom-ref": string;
  group?: string;
  name: string;
  version: string;
  purl: string;
  hashes?: { alg: "SHA-512" | "SHA-384" | "SHA-256" | "SHA-1"; content: string }[];
}

/** A CycloneDX 1.6 document in JSON form. */
export interface Sbom {
  bomFormat: "CycloneDX";
  specVersion: "1.6";
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    tools: { components: { type: "application"; name: string }[] };
    component: { type: "application"; "bom-ref": string; name: string; version: string };
  };
  components: SbomComponent[];
  dependencies: { ref: string; dependsOn: string[] }[];
}

/** Options of {@link sbomFromBunLock}. */
export interface SbomOptions {
  /** bun.lock's text (JSON with trailing commas). */
  lockText: string;
  /** What the SBOM describes, e.g. `shop`, and its version. */
  name: string;
  version: string;
  /** Package names (or `@scope/*` patterns) not in the binaries. */
  exclude?: readonly string[];
  /** Defaults to now; tests pass a fixed one. */
  timestamp?: string;
}

const integrityAlgs = { sha512: "SHA-512", sha384: "SHA-384", sha256: "SHA-256", sha1: "SHA-1" } as const;

/** `sha512-<base64>` -> a CycloneDX hash with hex content; unknown forms give none. */
function hashOf(integrity: string | undefined): SbomComponent["hashes"] {
  const m = /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/=]+)$/.exec(integrity ?? "");
  if (!m) return undefined;
  return [
    { alg: integrityAlgs[m[1] as keyof typeof integrityAlgs], content: Buffer.from(m[2]!, "base64").toString("hex") },
  ];
}

/** `@scope/name@1.2.3` -> its parts and package URL (the `@` of a scope is percent-encoded in a purl). */
function identify(spec: string): { group?: string; name: string; version: string; purl: string } {
  const at = spec.lastIndexOf("@");
  if (at <= 0) throw new Error(`sbom: bun.lock names a package without a version: ${spec}`);
  const full = spec.slice(0, at);
  const version = spec.slice(at + 1);
  const slash = full.startsWith("@") ? full.indexOf("/") : -1;
  const group = slash > 0 ? full.slice(0, slash) : undefined;
  const name = slash > 0 ? full.slice(slash + 1) : full;
  const purl = `pkg:npm/${group ? `${encodeURIComponent(group)}/` : ""}${name}@${version}`;
  return { ...(group ? { group } : {}), name, version, purl };
}

function excluded(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("/*") ? name.startsWith(p.slice(0, -1)) : p === name));
}

/**
 * Builds a CycloneDX 1.6 SBOM of the packages the root workspace's runtime `dependencies` reach in bun.lock.
 *
 * @example
 * ```ts
 * const sbom = sbomFromBunLock({ lockText: await Bun.file("bun.lock").text(), name: "shop", version: "1.2.3" });
 * ```
 */
export function sbomFromBunLock(opts: SbomOptions): Sbom {
  const lock = Bun.JSONC.parse(opts.lockText) as BunLock;
  const root = lock.workspaces[""];
  if (!root || !lock.packages) throw new Error("sbom: bun.lock has no root workspace or no packages");
  const exclude = opts.exclude ?? [];
  const components = new Map<string, SbomComponent>();
  const edges = new Map<string, Set<string>>();
  // A dependency of `parent` is its nested copy (`parent/name`) when bun.lock has one, else the hoisted one.
  const resolve = (parent: string | null, name: string): string | null => {
    if (parent && lock.packages[`${parent}/${name}`]) return `${parent}/${name}`;
    return lock.packages[name] ? name : null;
  };
  const rootRef = `pkg:npm/${opts.name}@${opts.version}`;
  const visit = (key: string): string => {
    const entry = lock.packages[key]!;
    const id = identify(entry[0]);
    if (!components.has(id.purl)) {
      const hashes = hashOf(entry[3]);
      components.set(id.purl, { type: "library", "bom-ref": id.purl, ...id, ...(hashes ? { hashes } : {}) });
      const dependsOn = new Set<string>();
      edges.set(id.purl, dependsOn);
      const meta = entry[2] ?? {};
      for (const dep of Object.keys({ ...meta.dependencies, ...meta.optionalDependencies })) {
        if (excluded(dep, exclude)) continue;
        const child = resolve(key, dep);
        // An optional dependency for another platform is in the lock only when it was installed.
        if (child) dependsOn.add(visit(child));
      }
    }
    return id.purl;
  };
  const direct = new Set<string>();
  for (const dep of Object.keys(root.dependencies ?? {})) {
    if (excluded(dep, exclude)) continue;
    const key = resolve(null, dep);
    if (!key) throw new Error(`sbom: bun.lock has no package ${dep}, a dependency of package.json`);
    direct.add(visit(key));
  }
  const byRef = (a: { "bom-ref"?: string; ref?: string }, b: { "bom-ref"?: string; ref?: string }) =>
    (a["bom-ref"] ?? a.ref ?? "").localeCompare(b["bom-ref"] ?? b.ref ?? "");
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: `urn:uuid:${crypto.randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: opts.timestamp ?? new Date().toISOString(),
      tools: { components: [{ type: "application", name: "shop release (shared/build/sbom.ts)" }] },
      component: { type: "application", "bom-ref": rootRef, name: opts.name, version: opts.version },
    },
    components: [...components.values()].sort(byRef),
    dependencies: [
      { ref: rootRef, dependsOn: [...direct].sort() },
      ...[...edges].map(([ref, deps]) => ({ ref, dependsOn: [...deps].sort() })).sort(byRef),
    ],
  };
}
