import { z } from "@hono/zod-openapi";
import { errorCodes } from "../errors/index.ts";

/** The problem+json body every error answer has, for route definitions. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(errorCodes),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const descriptions: Record<number, string> = {
  400: "Invalid request (malformed JSON, wrong types, missing fields)",
  401: "No or invalid identity",
  403: "The caller may not do this",
  404: "Not found",
  409: "Conflict with the current state",
  413: "Request body too large",
  415: "Unsupported content type",
  422: "The Idempotency-Key was already used with another request",
  429: "Too many requests",
  503: "A dependency is unavailable",
};

/**
 * The problem+json responses of a route, keyed by status, for `createRoute({ responses })`.
 * @example responses: { 200: {...}, ...problemResponses(400, 404) }
 */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: descriptions[s] ?? "Error",
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
    ]),
  ) as Record<
    number,
    { description: string; content: { "application/problem+json": { schema: typeof ProblemSchema } } }
  >;
}
