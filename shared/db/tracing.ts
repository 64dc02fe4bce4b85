import { type Context, context, type Span, SpanKind, type Tracer, trace } from "@opentelemetry/api";
import type postgres from "postgres";
import { recordFailure } from "../telemetry/context.ts";

type Client = postgres.Sql | postgres.TransactionSql;
type Settle = ((value: unknown) => unknown) | null | undefined;

/** The span's parent: the active context, when it holds a recording span (a query outside any trace makes none). */
function recordingParent(): Context | undefined {
  const parent = context.active();
  return trace.getSpan(parent)?.isRecording() ? parent : undefined;
}

function operationOf(text: string): string {
  const start = text.search(/\S/);
  const end = text.slice(start).search(/\s/);
  return text.slice(start, end < 0 ? undefined : start + end).toUpperCase();
}

/**
 * The postgres.js client drizzle runs on, with a CLIENT span per query (`db.system.name` postgresql, the
 * parameterised statement as `db.query.text`, never the values) and one per transaction, each a child of
 * the span active when it starts. Queries outside any recording span pay one context lookup.
 */
export function tracedClient<C extends Client>(client: C, tracer: Tracer, namespace: string): C {
  const base = { "db.system.name": "postgresql", "db.namespace": namespace };
  // The replacements are made once per client (drizzle reads `unsafe` for every query).
  const wrap = <T extends Client>(target: T): T => {
    const ownUnsafe = unsafe(target);
    const begin = transaction(target, "begin");
    const savepoint = transaction(target, "savepoint");
    return new Proxy(target, {
      get: (t, prop) =>
        prop === "unsafe"
          ? ownUnsafe
          : prop === "begin"
            ? begin
            : prop === "savepoint"
              ? savepoint
              : Reflect.get(t, prop),
    });
  };

  const unsafe = (t: Client) => (text: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => {
    const query = t.unsafe(text, params as postgres.ParameterOrJSON<never>[], options);
    const parent = recordingParent();
    if (!parent) return query;
    const operation = operationOf(text);
    const span = tracer.startSpan(
      operation,
      { kind: SpanKind.CLIENT, attributes: { ...base, "db.operation.name": operation, "db.query.text": text } },
      parent,
    );
    const then = query.then;
    let ended = false;
    const end = (err?: unknown) => {
      if (ended) return;
      ended = true;
      if (err !== undefined) recordFailure(span, err);
      span.end();
    };
    // postgres.js sends a query when it is awaited: the span ends when its answer (or error) arrives.
    // biome-ignore lint/suspicious/noThenProperty: the query is a promise already; its own `then` is wrapped
    query.then = function (this: typeof query, onDone?: Settle, onFail?: Settle) {
      return then.call(
        this,
        (rows: unknown) => {
          end();
          return onDone ? onDone(rows) : rows;
        },
        (err: unknown) => {
          end(err);
          if (onFail) return onFail(err);
          throw err;
        },
      ) as never;
    } as typeof query.then;
    return query;
  };

  const transaction =
    (t: Client, method: "begin" | "savepoint") =>
    (...args: unknown[]): Promise<unknown> => {
      const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
      const call = (t as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!.bind(t);
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
