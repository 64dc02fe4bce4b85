import { type Attributes, type Context, context, type Span, SpanKind, type Tracer, trace } from "@opentelemetry/api";
import type postgres from "postgres";
import { recordFailure } from "../telemetry/context.ts";

type Client = postgres.Sql | postgres.TransactionSql;
type Method = (...args: unknown[]) => Promise<unknown>;

// The promise machinery of a postgres.js query without its `then`, which would send the query: a span
// listens for the answer without sending anything and without changing the query object.
const settle = Promise.prototype.then;
// Distinct statements whose span attributes are kept; drizzle's are few, and raw SQL with inlined values
// must not grow the table without bound.
const maxStatements = 512;

/** The span's parent: the active context, when it holds a recording span (a query outside any trace makes none). */
function recordingParent(): Context | undefined {
  const parent = context.active();
  return trace.getSpan(parent)?.isRecording() ? parent : undefined;
}

/** The statement's first word, upper-cased (`SELECT`, `INSERT`, ...). */
export function operationOf(text: string): string {
  let start = 0;
  while (start < text.length && text.charCodeAt(start) <= 32) start++;
  let end = start;
  while (end < text.length && text.charCodeAt(end) > 32) end++;
  return text.slice(start, end).toUpperCase();
}

/**
 * The postgres.js client drizzle runs on, with a CLIENT span per query (`db.system.name` postgresql, the
 * parameterised statement as `db.query.text`, never the values) and one per transaction, each a child of
 * the span active when it starts. A query outside any recording span costs one context lookup and nothing
 * else: no wrapper around its promise, no change to the query object.
 */
export function tracedClient<C extends Client>(client: C, tracer: Tracer, namespace: string): C {
  const base = { "db.system.name": "postgresql", "db.namespace": namespace };
  const statements = new Map<string, { name: string; attributes: Attributes }>();
  const statementOf = (text: string) => {
    let known = statements.get(text);
    if (known === undefined) {
      const name = operationOf(text);
      known = { name, attributes: { ...base, "db.operation.name": name, "db.query.text": text } };
      if (statements.size >= maxStatements) statements.clear();
      statements.set(text, known);
    }
    return known;
  };

  // drizzle reads `unsafe`, `begin` and `savepoint` from the client it was given, and `options` once: an
  // object inheriting the client's members with these three of its own serves it without a Proxy trap.
  const wrap = <T extends Client>(target: T): T => {
    const own = Object.create(target) as T & Record<string, unknown>;
    own.unsafe = unsafe(target) as never;
    own.begin = transaction(target, "begin");
    own.savepoint = transaction(target, "savepoint");
    return own;
  };

  const unsafe = (t: Client) => (text: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => {
    const query = t.unsafe(text, params as postgres.ParameterOrJSON<never>[], options);
    const parent = recordingParent();
    if (!parent) return query;
    const statement = statementOf(text);
    const span = tracer.startSpan(statement.name, { kind: SpanKind.CLIENT, attributes: statement.attributes }, parent);
    // postgres.js sends a query when it is awaited: the span ends when its answer (or error) arrives.
    settle.call(
      query,
      () => span.end(),
      (err: unknown) => {
        recordFailure(span, err);
        span.end();
      },
    );
    return query;
  };

  const transaction =
    (t: Client, method: "begin" | "savepoint") =>
    (...args: unknown[]): Promise<unknown> => {
      const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
      const call = (t as unknown as Record<string, Method>)[method]!.bind(t);
      const parent = recordingParent();
      if (!parent) return call(...args, (tx: postgres.TransactionSql) => fn(wrap(tx)));
      const span: Span = tracer.startSpan(
        method === "begin" ? "transaction" : "savepoint",
        {
          kind: SpanKind.CLIENT,
          attributes: { ...base, "db.operation.name": method === "begin" ? "BEGIN" : "SAVEPOINT" },
        },
        parent,
      );
      const inside = trace.setSpan(parent, span);
      return call(...args, (tx: postgres.TransactionSql) => context.with(inside, () => fn(wrap(tx)))).then(
        (value) => {
          span.end();
          return value;
        },
        (err) => {
          recordFailure(span, err);
          span.end();
          throw err;
        },
      );
    };

  return wrap(client);
}
