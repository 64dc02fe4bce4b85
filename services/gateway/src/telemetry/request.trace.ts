// The spans of one traced gateway request: the server span (continuing the client's trace, or starting
// one at the edge) and a client span per backend call, each sending its own `traceparent`. Requests the
// sampler leaves out never get here: they cost no span object (see `ProxyCall`).
import { type Context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { extractTraceContext, injectTraceContext, recordFailure } from "@shared/telemetry";
import type { HeaderLines } from "../proxy/forward.ts";
import type { UpstreamAnswer } from "../proxy/upstream.ts";
import type { Sink } from "../transport/deferred.ts";
import type { RequestHeaders } from "../transport/transport.ts";

/** How the gateway traces, from `telemetry/opentelemetry` and the `OTEL_*` variables. */
export interface GatewayTracing {
  readonly tracer: Tracer;
  /** Continue a client's `traceparent` (true), or start every request's trace at the gateway. */
  readonly continueTrace: boolean;
  /** The share of traces recorded, decided on the trace id. */
  readonly ratio: number;
  /** A continued trace follows its client's sampled flag instead of the ratio (the `parentbased_*` samplers). */
  readonly parentBased: boolean;
}

/** A backend call's client span: the headers that carry it, and the sink that ends it with the answer. */
class BackendSpan implements Sink<UpstreamAnswer> {
  constructor(
    private readonly span: Span,
    readonly headers: HeaderLines,
    private readonly to: Sink<UpstreamAnswer>,
  ) {}

  /** Records a fact about this backend call (whether the cache answered it). */
  note(name: string, value: string | boolean): void {
    this.span.setAttribute(name, value);
  }

  answer(answer: UpstreamAnswer): void {
    this.span.setAttribute("http.response.status_code", answer.status);
    if (answer.status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
    this.to.answer(answer);
  }

  fail(err: unknown): void {
    recordFailure(this.span, err);
    this.span.end();
    this.to.fail(err);
  }
}

/** The recorded spans of one request. */
export class RequestTrace {
  readonly span: Span;
  private readonly context: Context;
  readonly traceId: string;
  readonly spanId: string;
  /** What backends get when no client span is made for them (the server span's context). */
  readonly traceparent: string;

  constructor(
    private readonly tracing: GatewayTracing,
    private readonly method: string,
    path: string,
    /** The client's headers when its trace is continued; null starts a new trace. */
    continued: RequestHeaders | null,
  ) {
    const parent = extractTraceContext(continued === null ? () => undefined : (name) => continued.get(name));
    this.span = tracing.tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": method, "url.path": path } },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
    const own = this.span.spanContext();
    this.traceId = own.traceId;
    this.spanId = own.spanId;
    this.traceparent = `00-${own.traceId}-${own.spanId}-0${own.traceFlags & 1}`;
  }

  /** Starts a client span for one backend call: parallel calls are sibling children of the server span. */
  backend(label: string, method: string, origin: string, path: string, headers: HeaderLines, to: Sink<UpstreamAnswer>) {
    const span = this.tracing.tracer.startSpan(
      method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "http.request.method": method,
          "server.address": origin,
          "url.path": path,
          "gateway.backend": label,
        },
      },
      this.context,
    );
    const carrier: Record<string, string> = {};
    injectTraceContext(trace.setSpan(this.context, span), carrier);
    return new BackendSpan(span, headers.with(carrier), to);
  }

  /** Records a fact about the request (a cache hit, the token's verdict, a rate-limit refusal). */
  note(name: string, value: string | boolean): void {
    this.span.setAttribute(name, value);
  }

  /** Names the span by its route template and ends it with the answer's status. */
  end(route: string, status: number): void {
    const span = this.span;
    if (route !== "unmatched") {
      span.updateName(`${this.method} ${route}`);
      span.setAttribute("http.route", route);
    }
    span.setAttribute("http.response.status_code", status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
}

/**
 * The gateway's tracing from a tracer and its sampler settings, or null when there is no tracer. The
 * gateway makes the sampling decision itself, before any span exists, so its SDK sampler is `always_on`.
 */
export function gatewayTracing(
  tracer: Tracer | null,
  settings: { sampler: string; samplerArg: number; continueTrace: boolean },
): GatewayTracing | null {
  if (tracer === null) return null;
  const { sampler } = settings;
  const ratio = sampler.endsWith("always_on") ? 1 : sampler.endsWith("always_off") ? 0 : settings.samplerArg;
  return { tracer, continueTrace: settings.continueTrace, ratio, parentBased: sampler.startsWith("parentbased_") };
}
