import { SpanKind, type Tracer, trace } from "@opentelemetry/api";
import type { z } from "zod";
import { AppError } from "../errors/index.ts";
import { activeContext, injectTraceContext, recordFailure } from "../telemetry/context.ts";
import { createIdSource } from "../trace/traceparent.ts";
import type { Breaker } from "./breaker.ts";
import type { CallContext, EndpointContract } from "./contract.ts";
import { decodeJson, encodeJson, headersOf } from "./wire.ts";

/** Calls one remote (or in-process) endpoint with typed input and output. */
export interface EndpointClient<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly contract: EndpointContract<I, O>;
  call(input: z.input<I>, ctx: CallContext): Promise<z.output<O>>;
}

/** What moves a JSON-encoded request to an endpoint by name and brings its answer back: NATS, gRPC, or the in-process bus. */
export interface RequestTransport {
  /** Sends an encoded request; resolves with the encoded reply or rejects with an AppError. */
  request(
    subject: string,
    payload: Uint8Array,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<Uint8Array>;
}

/** Options of `createClient`. */
export interface ClientOptions {
  transport: RequestTransport;
  /** Budget of one call, retries included. */
  timeoutMs: number;
  /** Extra attempts for idempotent contracts after an `unavailable` answer (default 2); never for others. */
  retries?: number;
  /** Fails fast with `unavailable` while open; counts only `unavailable` answers as failures. */
  breaker?: Breaker;
  /** Opens a client span per call and sends its context (`traceparent`, `tracestate`); null or absent: off. */
  tracer?: Tracer | null;
}

/**
 * A typed client of one contract over any transport: validates the input, sends it, validates the reply.
 * Remote AppErrors come back as the same AppError; transport failures are `unavailable`.
 * @example const products = createClient(catalogProductsGet, { transport: natsTransport(nc), timeoutMs: 500 });
 */
export function createClient<I extends z.ZodType, O extends z.ZodType>(
  contract: EndpointContract<I, O>,
  options: ClientOptions,
): EndpointClient<I, O> {
  const attempts = 1 + (contract.idempotent ? (options.retries ?? 2) : 0);
  const ids = createIdSource();
  const tracer = options.tracer ?? null;
  const spanOptions = { kind: SpanKind.CLIENT, attributes: { "rpc.method": contract.name } };

  async function send(payload: Uint8Array, headers: Record<string, string>, ctx: CallContext): Promise<z.output<O>> {
    // the caller's own deadline (a gRPC caller's grpc-timeout) caps our budget: no one waits for the answer after it
    const deadline = Math.min(Date.now() + options.timeoutMs, ctx.deadline ?? Number.POSITIVE_INFINITY);
    let lastError: AppError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (options.breaker && !options.breaker.allow()) {
        throw new AppError("unavailable", `${contract.name} is unavailable (circuit open)`);
      }
      try {
        const body = await options.transport.request(contract.name, payload, headers, left);
        options.breaker?.success();
        const output = contract.output.safeParse(decodeJson(body));
        if (!output.success) throw new AppError("unavailable", `${contract.name} answered an unexpected shape`);
        return output.data;
      } catch (err) {
        const appError = err instanceof AppError ? err : new AppError("unavailable", String(err), { cause: err });
        if (appError.code !== "unavailable") {
          options.breaker?.success();
          throw appError;
        }
        options.breaker?.failure();
        lastError = appError;
        if (attempt + 1 < attempts) await Bun.sleep(Math.min(20 * 2 ** attempt, Math.max(0, deadline - Date.now())));
      }
    }
    throw lastError ?? new AppError("unavailable", `${contract.name} timed out after ${options.timeoutMs} ms`);
  }

  return {
    contract,
    async call(input, ctx) {
      const parsed = contract.input.safeParse(input);
      if (!parsed.success) {
        throw new AppError(
          "invalid_argument",
          `invalid input for ${contract.name}: ${parsed.error.issues[0]?.message}`,
        );
      }
      const payload = encodeJson(parsed.data);
      const headers = headersOf(ctx, ids);
      if (tracer === null || ctx.sampled === false) return send(payload, headers, ctx);
      // One client span for the call, retries included; the callee continues it from the headers.
      const parent = activeContext();
      const span = tracer.startSpan(contract.name, spanOptions, parent);
      injectTraceContext(trace.setSpan(parent, span), headers);
      try {
        return await send(payload, headers, ctx);
      } catch (err) {
        recordFailure(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  };
}
