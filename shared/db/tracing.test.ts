import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AlwaysOnSampler, type ReadableSpan, TracerProvider } from "@opentelemetry/sdk-trace";
import { createTestDatabase, type TestDatabase } from "@shared/testing/db.ts";
import { eq, sql } from "drizzle-orm";
import { createDatabase, type Database } from "./database.ts";
import { widgets } from "./fixtures/tables.ts";
import { migrate } from "./migrate.ts";
import { embedMigrations } from "./migrations.macro.ts" with { type: "macro" };
import { operationOf } from "./tracing.ts";

const ended: ReadableSpan[] = [];
const provider = new TracerProvider({
  sampler: new AlwaysOnSampler(),
  spanProcessors: [{ onStart() {}, onEnd: (s) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
});
const tracer = provider.getTracer("db-test");
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

let tdb: TestDatabase;
let database: Database;

beforeAll(async () => {
  tdb = await createTestDatabase({ prefix: "dbtrace" });
  database = createDatabase({
    url: tdb.url,
    schema: "kit_fixture",
    pool: { max: 2, idleTimeoutSec: 5, connectTimeoutSec: 5 },
    tracer,
  });
  await migrate({ sql: database.sql, schema: "kit_fixture", migrations: embedMigrations("shared/db/fixtures/basic") });
});

afterAll(async () => {
  await database.close();
  await tdb.drop();
});

/** Runs fn inside a recording server span and returns the spans that ended meanwhile, the server span last. */
async function traced(fn: () => Promise<unknown>): Promise<ReadableSpan[]> {
  ended.length = 0;
  const span = tracer.startSpan("request", { kind: SpanKind.SERVER });
  // awaited inside the context: drizzle sends a query when it is awaited
  await context
    .with(trace.setSpan(context.active(), span), async () => {
      await fn();
    })
    .catch(() => {});
  span.end();
  return [...ended];
}

describe("the traced SQL client", () => {
  test("a query inside a recording span is its CLIENT child with the statement and never the values", async () => {
    const spans = await traced(() => database.db.select().from(widgets).where(eq(widgets.name, "secret-value")));
    const [query, server] = spans;
    expect(spans.length).toBe(2);
    expect(query!.kind).toBe(SpanKind.CLIENT);
    expect(query!.name).toBe("SELECT");
    expect(query!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
    expect(query!.attributes).toMatchObject({
      "db.system.name": "postgresql",
      "db.namespace": "kit_fixture",
      "db.operation.name": "SELECT",
    });
    expect(String(query!.attributes["db.query.text"])).toContain("$1");
    expect(JSON.stringify(query!.attributes)).not.toContain("secret-value");
  });

  test("a query outside any span makes no span, and a traced one keeps the query object as postgres.js made it", async () => {
    ended.length = 0;
    const rows = await database.db.select().from(widgets);
    expect(rows).toEqual([]);
    expect(ended).toEqual([]);
    const client = (database.db as unknown as { session: { client: { unsafe(t: string): object } } }).session.client;
    let keys: string[] = [];
    const spans = await traced(async () => {
      const query = client.unsafe("select 1");
      keys = Object.keys(query);
      await query;
    });
    // traced or not, the query object is postgres.js's own
    expect(spans.map((s) => s.name)).toEqual(["SELECT", "request"]);
    expect(keys).not.toContain("then");
  });

  test("a failing query marks its span failed and still reaches the caller as an error", async () => {
    let caught: unknown;
    const spans = await traced(() =>
      database.db.execute(sql`select * from kit_fixture.missing_table`).catch((e) => {
        caught = e;
      }),
    );
    expect(caught).toBeDefined();
    expect(spans[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(spans[0]!.attributes["error.type"]).toBe("internal");
  });

  test("a transaction gets its own span with its queries beneath it", async () => {
    const spans = await traced(() =>
      database.db.transaction(async (tx) => {
        await tx.insert(widgets).values({ name: "t", price: 1 });
      }),
    );
    const tx = spans.find((s) => s.name === "transaction")!;
    const insert = spans.find((s) => s.name === "INSERT")!;
    expect(tx.attributes["db.operation.name"]).toBe("BEGIN");
    expect(insert.parentSpanContext?.spanId).toBe(tx.spanContext().spanId);
  });

  test("the operation is the statement's first word, whatever whitespace comes first", () => {
    expect(operationOf("\n  select 1")).toBe("SELECT");
    expect(operationOf("insert\tinto x")).toBe("INSERT");
    expect(operationOf("")).toBe("");
  });
});
