// Errors the gateway itself answers, as problem+json from the platform's one error taxonomy.
import { AppError, type ErrorCode, httpStatusOf, toProblem } from "@shared/errors";

/** A problem+json response for a gateway-made error; internal errors keep their detail to the logs. */
export function problem(
  code: ErrorCode,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  const body = toProblem(new AppError(code, message), { requestId });
  return new Response(JSON.stringify(body), {
    status: httpStatusOf(code),
    headers: { ...headers, "content-type": "application/problem+json", "x-request-id": requestId },
  });
}
