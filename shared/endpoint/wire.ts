import { asAppError } from "../errors/connection.ts";
import { AppError, httpStatusOf, isErrorCode, type Problem, toProblem } from "../errors/index.ts";
import { textFieldErrorOf } from "../errors/text.ts";
import { identityFromHeaders, identityHeaderNames, writeIdentityHeaders } from "../identity/caller.ts";
import { formatTraceparent, type IdSource, spanInTrace, traceIdOf } from "../trace/traceparent.ts";
import type { CallContext, Endpoint } from "./contract.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Header carrying the HTTP-equivalent status of an error reply (the NATS micro convention). */
export const errorCodeHeader = "Nats-Service-Error-Code";
/** Header carrying the error's human description. */
export const errorHeader = "Nats-Service-Error";

/**
 * Headers that carry a call context across a message transport (a new span of the caller's trace from
 * `ids`, flagged unsampled when the call's trace is not recorded).
 */
export function headersOf(ctx: CallContext, ids: IdSource): Record<string, string> {
  const h: Record<string, string> = { "x-request-id": ctx.requestId };
  const span = spanInTrace(ctx.traceId, ids, ctx.sampled !== false);
  if (span) h.traceparent = formatTraceparent(span);
  writeIdentityHeaders(h, ctx.identity);
  return h;
}

/** Rebuilds the call context from message headers (a missing request id gets a fresh one). */
export function contextOf(get: (name: string) => string | undefined): CallContext {
  const traceparent = get("traceparent");
  const traceId = traceIdOf(traceparent);
  const ctx: CallContext = {
    identity: identityFromHeaders(get(identityHeaderNames.userId), get(identityHeaderNames.roles)),
    requestId: get("x-request-id") || crypto.randomUUID(),
  };
  if (traceId) {
    ctx.traceId = traceId;
    ctx.traceparent = traceparent;
    const tracestate = get("tracestate");
    if (tracestate) ctx.tracestate = tracestate;
  }
  return ctx;
}

/** JSON bytes of a value. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** The reply a transport sends back: a body and, for errors, the error headers. */
export interface Reply {
  body: Uint8Array;
  error?: { status: number; description: string };
}

/**
 * The endpoint's input from a decoded request: validated by the contract, text fields checked; the one
 * check every message transport applies before the handler runs.
 */
export function validInput(endpoint: Endpoint, raw: unknown): unknown {
  const parsed = endpoint.input.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("invalid_argument", "Request is invalid", {
      fields: parsed.error.issues.map((i) => ({ path: `/${i.path.map(String).join("/")}`, message: i.message })),
    });
  }
  const text = textFieldErrorOf(parsed.data, []);
  if (text !== null) throw new AppError("invalid_argument", "Request is invalid", { fields: [text] });
  return parsed.data;
}

/** Any failure of a call as the AppError it answers (anything else is `internal`, its cause kept) and its problem. */
export function failureOf(err: unknown, endpoint: Endpoint, ctx: CallContext): { error: AppError; problem: Problem } {
  const error = asAppError(err);
  return { error, problem: toProblem(error, { instance: endpoint.name, requestId: ctx.requestId }) };
}

/**
 * Serves one encoded request with an endpoint: decode and validate the input, run the handler, encode the
 * output. Every failure becomes an error reply with the same problem body HTTP would send.
 */
export async function dispatch(endpoint: Endpoint, payload: Uint8Array, ctx: CallContext): Promise<Reply> {
  try {
    let raw: unknown;
    try {
      raw = payload.length ? JSON.parse(decoder.decode(payload)) : {};
    } catch {
      throw new AppError("invalid_argument", "Malformed JSON in request");
    }
    const output = await endpoint.handle(validInput(endpoint, raw), ctx);
    return { body: encodeJson(output) };
  } catch (err) {
    const { error, problem } = failureOf(err, endpoint, ctx);
    return { body: encodeJson(problem), error: { status: httpStatusOf(error.code), description: problem.detail } };
  }
}

/** Turns an error reply back into the AppError the server raised. */
export function errorFromReply(body: Uint8Array, status: number, description: string): AppError {
  try {
    const problem = JSON.parse(decoder.decode(body)) as { code?: unknown; detail?: string; errors?: [] };
    if (isErrorCode(problem.code)) {
      return new AppError(problem.code, problem.detail ?? description, { fields: problem.errors });
    }
  } catch {}
  return new AppError(status >= 500 ? "unavailable" : "invalid_argument", description || `remote error ${status}`);
}

/** Decodes a JSON reply body. */
export function decodeJson(body: Uint8Array): unknown {
  return JSON.parse(decoder.decode(body));
}
