// Reading a client's body for an endpoint: within its `max_payload`, and a body that is too large,
// malformed or cut short is the client's fault (a 4xx), not a gateway error.
import type { EndpointRuntime } from "../proxy/endpoint.types.ts";
import { problem } from "../proxy/problem.ts";
import type { Answer, ClientRequest } from "../transport/transport.ts";

/** The body (null when empty), or the answer to give instead. */
export type BodyResult = { ok: true; body: Uint8Array | null } | { ok: false; problem: Answer };

/** The client's body, or the answer to give when it is too large, malformed or cut short. */
export async function requestBody(req: ClientRequest, ep: EndpointRuntime, requestId: string): Promise<BodyResult> {
  const tooLarge = () => problem("payload_too_large", "request body too large", requestId);
  if (req.contentLength > ep.maxPayload) return { ok: false, problem: tooLarge() };
  let bytes: Uint8Array | null;
  try {
    bytes = await req.readBody(ep.maxPayload);
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    const detail = err instanceof Error ? err.message : "malformed request body";
    const res = problem("invalid_argument", detail, requestId);
    // a transport that answered already (400, or 408 for a stalled body) says so: that is what gets recorded
    if (typeof status === "number" && status >= 400 && status < 500) res.status = status;
    return { ok: false, problem: res };
  }
  if (bytes === null) return { ok: false, problem: tooLarge() };
  return { ok: true, body: bytes.byteLength > 0 ? bytes : null };
}
