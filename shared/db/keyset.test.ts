import { describe, expect, test } from "bun:test";
import { PgDialect } from "drizzle-orm/pg-core";
import { parts } from "./fixtures/tables.ts";
import { afterKey, beforeKey } from "./keyset.ts";

const dialect = new PgDialect();
const cursor = { createdAt: new Date("2026-11-24T05:00:00.123Z"), id: "0190d9a4-6b1e-7c3a-9f51-2b9d3c4e5f60" };
const render = (condition: ReturnType<typeof afterKey>) => dialect.sqlToQuery(condition!);

describe("keyset conditions", () => {
  test("after a cursor means a later time, or the same time and a greater id", () => {
    const q = render(afterKey(parts, cursor));
    expect(q.sql).toBe(
      '("kit_fixture"."parts"."created_at" > $1 or ("kit_fixture"."parts"."created_at" = $2 and "kit_fixture"."parts"."id" > $3))',
    );
    expect(q.params).toEqual([cursor.createdAt.toISOString(), cursor.createdAt.toISOString(), cursor.id]);
  });

  test("before a cursor means an earlier time, or the same time and a smaller id", () => {
    const q = render(beforeKey(parts, cursor));
    expect(q.sql).toBe(
      '("kit_fixture"."parts"."created_at" < $1 or ("kit_fixture"."parts"."created_at" = $2 and "kit_fixture"."parts"."id" < $3))',
    );
  });
});
