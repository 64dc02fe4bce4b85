// Errors the gateway itself answers, as problem+json from the platform's one error taxonomy.
import { AppError, type ErrorCode, httpStatusOf, toProblem } from "@shared/errors";
import type { Answer } from "./answer.ts";

/** A problem+json answer for a gateway-made error; internal errors keep their detail to the logs. */
export function problem(
  code: ErrorCode,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): Answer {
  const body = toProblem(new AppError(code, message), { requestId });
  const pairs: string[] = [];
  for (const k in headers) pairs.push(k, headers[k]!);
  pairs.push("content-type", "application/problem+json", "x-request-id", requestId);
  return { status: httpStatusOf(code), headers: pairs, body: JSON.stringify(body) };
}
