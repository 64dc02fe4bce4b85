import { describe, expect, test } from "bun:test";
import { problem, transportProblem } from "./problem.ts";

const bodyOf = (a: { body: unknown }) => JSON.parse(a.body as string);
const header = (a: { headers: string[] }, name: string) => a.headers[a.headers.indexOf(name) + 1];

describe("problem answers", () => {
  test("a gateway error is problem+json with its code, status and the request id in body and header", () => {
    const a = problem("not_found", "no route for this path", "req-1", { allow: "GET" });
    expect(a.status).toBe(404);
    expect(header(a, "content-type")).toBe("application/problem+json");
    expect(header(a, "x-request-id")).toBe("req-1");
    expect(header(a, "allow")).toBe("GET");
    expect(bodyOf(a)).toMatchObject({
      status: 404,
      code: "not_found",
      detail: "no route for this path",
      requestId: "req-1",
    });
  });

  test("a transport's refusal keeps the status the protocol asks for, in the same shape", () => {
    const a = transportProblem(431, "request header section too large");
    expect(a.status).toBe(431);
    const body = bodyOf(a);
    expect(body).toMatchObject({ status: 431, code: "invalid_argument", detail: "request header section too large" });
    expect(header(a, "x-request-id")).toBe(body.requestId);
  });

  test("a stalled body is a timeout, and a transport's 500 keeps its detail to the logs", () => {
    expect(bodyOf(transportProblem(408, "the request body stopped arriving")).code).toBe("timeout");
    const failed = bodyOf(transportProblem(500, "internal error"));
    expect(failed).toMatchObject({ status: 500, code: "internal" });
    expect(failed.detail).not.toBe("internal error");
  });
});
