// The Dockerfile, read statically (no Docker daemon in CI): one image per service, a Debian (glibc) or an
// Alpine (musl) runtime chosen by RUNTIME, built for the image's platform with the release targets, non-root.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../shared/build/compile.ts";
import { releaseTargets } from "../shared/build/targets.ts";

const text = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const stages = [...text.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/gm)].map((m) => ({
  image: m[1]!,
  name: m[2],
}));

describe("the Dockerfile", () => {
  test("offers a Debian and an Alpine runtime, Debian by default, and ends in the chosen one", () => {
    expect(text).toMatch(/^ARG RUNTIME=debian$/m);
    const runtimes = stages.filter((s) => s.name?.startsWith("runtime-"));
    expect(runtimes.map((s) => s.name)).toEqual(["runtime-debian", "runtime-alpine"]);
    expect(runtimes[1]!.image).toMatch(/^alpine:/);
    expect(stages.at(-1)!.image).toBe(`runtime-\${RUNTIME}`);
  });

  test("installs on Alpine the C++ runtime Bun's musl build links", () => {
    const alpine = text.slice(text.indexOf("AS runtime-alpine"), text.indexOf(`FROM runtime-\${RUNTIME}`));
    expect(alpine).toMatch(/apk add --no-cache .*libstdc\+\+/);
  });

  test("builds the release target of the platform and libc asked for", () => {
    expect(text).toContain(`run build --target "\${target}" "\${SERVICE}"`);
    expect(text).toContain(`target="linux-\${arch}\${libc}"`);
    expect(releaseTargets).toContain("linux-arm64-musl");
  });

  test("runs the one binary as a non-root user", () => {
    const final = text.slice(text.indexOf(`FROM runtime-\${RUNTIME}`));
    expect(final).toMatch(/^USER 65532:65532$/m);
    expect(final.match(/^COPY /gm)).toHaveLength(1);
    expect(final).toContain('ENTRYPOINT ["/usr/local/bin/service"]');
  });
});
