// Errors the gateway answers itself, as problem+json from the platform's one error taxonomy: the
// gateway's own (no route, 401, a backend that failed) and the transports' (a malformed request head).
import { AppError, type ErrorCode, httpStatusOf, toProblem } from "@shared/errors";
import type { Answer } from "../transport/transport.ts";

/** A problem+json answer for a gateway-made error; internal errors keep their detail to the logs. */
export function problem(
  code: ErrorCode,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): Answer {
  return problemWithStatus(httpStatusOf(code), code, message, requestId, headers);
}

function problemWithStatus(
  status: number,
  code: ErrorCode,
  message: string,
  requestId: string,
  headers: Record<string, string>,
): Answer {
  const body = toProblem(new AppError(code, message), { requestId });
  body.status = status;
  const pairs: string[] = [];
  for (const k in headers) pairs.push(k, headers[k]!);
  pairs.push("content-type", "application/problem+json", "x-request-id", requestId);
  return { status, headers: pairs, body: JSON.stringify(body) };
}

/** The codes of the statuses a transport answers itself; the taxonomy has no code of its own for a header
 * section too large (431) or an unsupported coding or version (501, 505), which are requests it cannot
 * take as sent. */
const codeOfStatus: Record<number, ErrorCode> = {
  400: "invalid_argument",
  408: "timeout",
  413: "payload_too_large",
  431: "invalid_argument",
  501: "invalid_argument",
  505: "invalid_argument",
};

/** The answer to a request a transport refuses before the gateway sees it, or to a handler that failed:
 * the gateway's problem shape with the status the protocol asks for, and a new request id. */
export function transportProblem(status: number, detail: string): Answer {
  const code = codeOfStatus[status] ?? (status < 500 ? "invalid_argument" : "internal");
  return problemWithStatus(status, code, detail, crypto.randomUUID(), {});
}
