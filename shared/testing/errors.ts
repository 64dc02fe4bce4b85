import { AppError } from "../errors/index.ts";

/**
 * The AppError code a promise rejects with, `"no error"` when it resolves, or a description of anything
 * else it throws (which no test expects as a code).
 * @example expect(await errorCodeOf(service.get(actor, id))).toBe("not_found");
 */
export async function errorCodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "no error";
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
  }
}
